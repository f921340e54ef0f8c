-- l2d results database, schema version 4.
--
-- This file is the single source of the schema: the library embeds it (the
-- build turns it into framework/host/schema_sql.h) and runs it, in one
-- transaction, on a new database. `sqlite3 my.db < results/schema.sql` makes
-- the same database by hand. A later version adds a forward-only migration in
-- framework/host/store.c and bumps user_version at the end of this file; the
-- library refuses a database whose user_version is newer than its own.
--
-- History: 1, the first; 2, runs say what their device is (device_name,
-- cuda_driver, cuda_runtime, cudnn), v_metrics shows the device and
-- v_summary the devices its runs ran on; 3, experiments say which code made
-- them (code_commit, build_options, blas), epochs keep the adversarial
-- validation risk that selects the epoch under select = val_adv_risk
-- (val_adv_risk), experiment_plugins.path is absolute, v_allocation puts
-- agent names next to allocations; 4, a run is identified by its settings
-- (runs.cell_key, runs.setting_key), experiments list the runs that answer
-- their cells (experiment_runs, what the views read), and workers claim cells
-- before training them (claims), and runs say where their time went
-- (agents_seconds, train_seconds). A version-1 database is upgraded in
-- place, in one transaction, when l2d opens it for writing: its runs keep
-- their rows, with NULL in the new columns.
--
-- Connections opened by the library also set: journal_mode=WAL,
-- foreign_keys=ON, busy_timeout. With the sqlite3 shell, run
-- `PRAGMA foreign_keys=ON;` before deleting rows so that children go too.

-- One row per distinct (name, configuration). Re-running the same config finds
-- its row again; that is what makes a sweep resumable.
CREATE TABLE experiments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    config_text  TEXT NOT NULL,
    config_hash  TEXT NOT NULL,          -- 64-bit hash, 16 lower-case hex digits
    code_version TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    -- since version 3 (NULL in experiments recorded before): the code that
    -- created the experiment's row (later runs may be resumed by another build:
    -- its runs say nothing of that)
    code_commit   TEXT,                  -- `git describe --always --dirty` at build time, or the release version
    build_options TEXT,                  -- configure flags, CFLAGS, CUDA on/off
    blas          TEXT,                  -- openblas_get_config()
    UNIQUE (name, config_hash)
) STRICT;

-- The plugins an experiment was run with (kind: dataset, agent, surrogate, attack).
CREATE TABLE experiment_plugins (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    path          TEXT,                 -- absolute since version 3
    UNIQUE (experiment_id, kind, name)
) STRICT;

-- One row per sweep cell of an experiment. cell_id is the canonical id of the
-- cell ("method=sard;cost.beta_scale=0.5;train.nu=1;seed=0"); params holds the
-- swept parameters without method and seed ("cost.beta_scale=0.5;train.nu=1",
-- '' when nothing is swept): seeds of one setting share it, which is what the
-- summaries average over. A failed run is replaced when the cell is retried;
-- a done run is never replaced.
--
-- The device is where the run ran, not part of what it computes: a cell done
-- on one device is not run again on another (the cell id and the
-- experiment's config hash leave the device out), so a sweep may be resumed,
-- sharded or merged across CPUs and GPUs, and the device columns say which
-- run ran where.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    cell_id         TEXT NOT NULL,
    params          TEXT NOT NULL,
    method          TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error           TEXT,                -- why it failed; NULL when done
    device          TEXT,                -- 'cpu' or 'cuda:N'
    started_at      REAL,                -- Unix time, seconds
    finished_at     REAL,
    seconds         REAL,                -- wall time of the run
    best_epoch      INTEGER,             -- checkpoint kept (lowest validation risk)
    rejector_passes INTEGER,             -- rejector forward+backward passes (cost of training)
    -- since version 2 (NULL in runs recorded before):
    device_name     TEXT,                -- the CPU model, or the GPU's name ('NVIDIA H200')
    cuda_driver     TEXT,                -- CUDA version the driver supports ('12.8'); NULL on the CPU
    cuda_runtime    TEXT,                -- CUDA runtime version ('13.0'); NULL on the CPU
    cudnn           TEXT,                -- cuDNN version ('9.19.0'); NULL on the CPU
    -- since version 3 (computed when an older database is first run again):
    cell_key        TEXT,                -- identity of the cell: hash of its resolved settings
                                         -- (data set, agents, costs, rejector, training, attack,
                                         -- evaluation, plugin versions) and seed, 32 hex digits
    setting_key     TEXT,                -- the same without the seed: seeds of one setting share it
    -- since version 4 (NULL in runs recorded before): where the time went
    agents_seconds  REAL,                -- loading the data set and fitting the agents (0 when
                                         -- the process had them from an earlier cell)
    train_seconds   REAL,                -- training the rejector; the rest is evaluation
    UNIQUE (experiment_id, cell_id),
    CHECK ((status = 'done') = (error IS NULL))
) STRICT;
CREATE INDEX runs_by_method ON runs (experiment_id, method, params);
CREATE INDEX runs_by_key ON runs (cell_key);

-- Which run answers each cell of an experiment (one per cell): the runs it
-- ran itself, and done runs of the same experiment name and cell_key that an
-- earlier configuration ran (adding a seed or a sweep value reruns nothing).
-- cell_id, method and params are the cell as this experiment names it. The
-- views read runs through this table, so one question is answered by one
-- run per setting and seed.
CREATE TABLE experiment_runs (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    cell_id       TEXT NOT NULL,
    method        TEXT NOT NULL,
    params        TEXT NOT NULL,
    PRIMARY KEY (experiment_id, cell_id)
) STRICT;
CREATE INDEX experiment_runs_by_run ON experiment_runs (run_id);
-- Every run answers its own experiment's cell (runs written by hand too).
CREATE TRIGGER runs_answer AFTER INSERT ON runs BEGIN
    INSERT OR REPLACE INTO experiment_runs (experiment_id, run_id, cell_id, method, params)
    VALUES (NEW.experiment_id, NEW.id, NEW.cell_id, NEW.method, NEW.params);
END;

-- A cell a worker is training (l2d run with several processes on one
-- database). A claim is taken before training and dropped when the run is
-- written; one whose expires_at has passed, or whose process is gone (same
-- host, pid not running), may be taken over: a crashed worker's cell is
-- retried.
CREATE TABLE claims (
    experiment  TEXT NOT NULL,           -- experiments.name
    cell_key    TEXT NOT NULL,
    owner       TEXT NOT NULL,           -- 'host:pid:random'
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    claimed_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,           -- Unix time; renewed while the cell trains
    PRIMARY KEY (experiment, cell_key)
) STRICT;

-- One row per swept parameter of a run (key as in the config, e.g. 'train.nu').
-- value_num is the value as a number when it reads as one, else NULL, so that
-- `WHERE key = 'train.nu' AND value_num = 1` works.
CREATE TABLE run_params (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    value_num REAL,
    PRIMARY KEY (run_id, key)
) STRICT;
CREATE INDEX run_params_by_key ON run_params (key, value_num);

-- Per-epoch training curve; NULL where a quantity was not measured.
CREATE TABLE epochs (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    train_loss REAL,
    train_risk REAL,
    val_loss   REAL,
    val_risk   REAL,
    seconds    REAL,
    -- since version 3: the validation deferral risk under the untargeted
    -- attack, measured when it selects the epoch kept (select = val_adv_risk)
    val_adv_risk REAL,
    PRIMARY KEY (run_id, epoch)
) STRICT;

-- System metrics of the kept rejector: split ('train', 'val', 'test'), attack
-- ('clean', 'untargeted', 'targeted:J'), name ('risk', 'accuracy', 'rmse',
-- 'smooth_l1', 'mae', 'alloc_J', 'defer_rate', 'risk_noquery', 'oracle_*',
-- 'surrogate', 'surrogate_gap'; docs/metrics.md).
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split  TEXT NOT NULL,
    attack TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (run_id, split, attack, name)
) STRICT;

-- Each agent's own metrics (agent_index in allocation order, the model first).
CREATE TABLE agent_metrics (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    agent_index INTEGER NOT NULL,
    agent_name  TEXT NOT NULL,
    split       TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (run_id, agent_index, split, name)
) STRICT;

-- Metrics of finished runs, with their experiment, cell and device: the runs
-- each experiment lists in experiment_runs (one per cell), under the cell's
-- name in that experiment.
CREATE VIEW v_metrics AS
SELECT e.id AS experiment_id, e.name AS experiment, r.id AS run_id, l.cell_id, l.method,
       l.params, r.seed, m.split, m.attack, m.name AS metric, m.value, r.device, r.device_name,
       r.setting_key, r.cell_key
FROM experiment_runs l JOIN experiments e ON e.id = l.experiment_id JOIN runs r ON r.id = l.run_id
JOIN metrics m ON m.run_id = r.id
WHERE r.status = 'done';

-- v_metrics with one row per (metric, swept parameter) for filtering on one
-- parameter: SELECT ... FROM v_run_metrics WHERE key = 'train.nu' AND value_num = 1.
-- A run without swept parameters appears once, with key NULL.
CREATE VIEW v_run_metrics AS
SELECT vm.*, p.key, p.value AS param_value, p.value_num
FROM v_metrics vm LEFT JOIN run_params p ON p.run_id = vm.run_id;

-- Mean over seeds of each metric, per experiment, method and swept parameters.
-- var is the sample variance (NULL when n = 1), computed in two passes for
-- accuracy. std = sqrt(var) needs SQLite's math functions; the library
-- registers sqrt itself where SQLite lacks them, and with an sqlite3 shell
-- built without them, use var (l2d report takes the root in C). devices lists
-- the devices the runs averaged ran on ('cpu', 'cpu,cuda:0'), comma-separated.
CREATE VIEW v_summary AS
WITH g AS (
    SELECT experiment_id, experiment, method, params, split, attack, metric,
           count(*) AS n, avg(value) AS mean, min(run_id) AS first_run,
           group_concat(DISTINCT device) AS devices
    FROM v_metrics GROUP BY experiment_id, method, params, split, attack, metric
), d AS (
    SELECT g.experiment_id, g.method, g.params, g.split, g.attack, g.metric,
           CASE WHEN g.n > 1 THEN sum((v.value - g.mean) * (v.value - g.mean)) / (g.n - 1) END AS var
    FROM g JOIN v_metrics v USING (experiment_id, method, params, split, attack, metric)
    GROUP BY g.experiment_id, g.method, g.params, g.split, g.attack, g.metric
)
SELECT g.experiment_id, g.experiment, g.method, g.params, g.split, g.attack, g.metric,
       g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run, g.devices
FROM g JOIN d USING (experiment_id, method, params, split, attack, metric);

-- The same for each agent's own metrics.
CREATE VIEW v_agent_summary AS
WITH a AS (
    SELECT l.experiment_id, l.method, l.params, am.agent_index, am.agent_name, am.split,
           am.name AS metric, am.value, r.id AS run_id
    FROM experiment_runs l JOIN runs r ON r.id = l.run_id JOIN agent_metrics am ON am.run_id = r.id
    WHERE r.status = 'done'
), g AS (
    SELECT experiment_id, method, params, agent_index, max(agent_name) AS agent_name, split,
           metric, count(*) AS n, avg(value) AS mean, min(run_id) AS first_run
    FROM a GROUP BY experiment_id, method, params, agent_index, split, metric
), d AS (
    SELECT g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric,
           CASE WHEN g.n > 1 THEN sum((a.value - g.mean) * (a.value - g.mean)) / (g.n - 1) END AS var
    FROM g JOIN a USING (experiment_id, method, params, agent_index, split, metric)
    GROUP BY g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric
)
SELECT g.experiment_id, e.name AS experiment, g.method, g.params, g.agent_index, g.agent_name,
       g.split, g.metric, g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run
FROM g JOIN d USING (experiment_id, method, params, agent_index, split, metric)
JOIN experiments e ON e.id = g.experiment_id;

-- Allocation of finished runs, one row per run, split, attack and agent:
-- the fraction of points sent to the agent (metric alloc_J), the agent's
-- name (from the run's agent_metrics; NULL when it has none) and the
-- oracle's fraction (metric oracle_alloc_J; NULL when not measured).
CREATE VIEW v_allocation AS
SELECT vm.experiment_id, vm.experiment, vm.run_id, vm.method, vm.params, vm.seed, vm.split,
       vm.attack, CAST(substr(vm.metric, 7) AS INTEGER) AS agent_index,
       (SELECT am.agent_name FROM agent_metrics am
        WHERE am.run_id = vm.run_id AND am.agent_index = CAST(substr(vm.metric, 7) AS INTEGER)
        LIMIT 1) AS agent,
       vm.value AS alloc,
       (SELECT o.value FROM metrics o WHERE o.run_id = vm.run_id AND o.split = vm.split
        AND o.attack = vm.attack AND o.name = 'oracle_' || vm.metric) AS oracle_alloc
FROM v_metrics vm
WHERE vm.metric GLOB 'alloc_[0-9]*';

PRAGMA user_version = 4;
