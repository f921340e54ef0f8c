-- A results database of schema version 2: t/data/migrate/legacy.ini run with
-- --shard 0/2 by l2d at schema version 2 (commit d136474), dumped with sqlite3 .dump;
-- plugin paths made relative to the build tree. For t/migrate_v3.sh.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE experiments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    config_text  TEXT NOT NULL,
    config_hash  TEXT NOT NULL,          -- 64-bit hash, 16 lower-case hex digits
    code_version TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (name, config_hash)
) STRICT;
INSERT INTO experiments VALUES(1,'legacy',replace('[experiment]\nname = legacy\nseeds = 0\n\n[dataset]\nplugin = synthetic\nn = 300\nfeatures = 4\nclasses = 3\nclusters = 3\n\n[agent.model]\nplugin = network\ntask = both\nhidden = 8\nepochs = 3\n\n[agent.expert1]\nplugin = cluster-expert\nz = 3\ncls_clusters = 1, 2\nreg_clusters = 1\nquery_cost = 0.1\n\n[agent.expert2]\nplugin = cluster-expert\nz = 3\ncls_clusters = 3\nreg_clusters = 2, 3\nquery_cost = 0.2\n\n[cost]\nlambda_cla = 1\nlambda_reg = 1\n\n[rejector]\nhidden = 8\n\n[train]\nepochs = 3\nbatch = 64\nlr = 0.01\n\n[sweep]\ncost.beta_scale = 0, 1, 3\n','\n',char(10)),'f3a8626e6e3a4e5e','0.1.0','2026-11-28T15:42:53Z');
CREATE TABLE experiment_plugins (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    path          TEXT,
    UNIQUE (experiment_id, kind, name)
) STRICT;
INSERT INTO experiment_plugins VALUES(1,'dataset','synthetic','1.0','plugins/.libs/synthetic.so');
INSERT INTO experiment_plugins VALUES(1,'agent','network','1.0','plugins/.libs/network.so');
INSERT INTO experiment_plugins VALUES(1,'agent','cluster-expert','1.0','plugins/.libs/cluster-expert.so');
INSERT INTO experiment_plugins VALUES(1,'surrogate','ce','1.0','plugins/.libs/ce.so');
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
    UNIQUE (experiment_id, cell_id),
    CHECK ((status = 'done') = (error IS NULL))
) STRICT;
INSERT INTO runs VALUES(1,1,'cost.beta_scale=0;seed=0','cost.beta_scale=0','default',0,'done',NULL,'cpu',1795880573.709085226,1795880573.7096011638,0.00051593780517578125,3,630,'AMD EPYC',NULL,NULL,NULL);
INSERT INTO runs VALUES(2,1,'cost.beta_scale=3;seed=0','cost.beta_scale=3','default',0,'done',NULL,'cpu',1795880573.7100181579,1795880573.7101466655,0.0001285076141357421875,1,630,'AMD EPYC',NULL,NULL,NULL);
CREATE TABLE run_params (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    value_num REAL,
    PRIMARY KEY (run_id, key)
) STRICT;
INSERT INTO run_params VALUES(1,'cost.beta_scale','0',0.0);
INSERT INTO run_params VALUES(2,'cost.beta_scale','3',3.0);
CREATE TABLE epochs (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    train_loss REAL,
    train_risk REAL,
    val_loss   REAL,
    val_risk   REAL,
    seconds    REAL,
    PRIMARY KEY (run_id, epoch)
) STRICT;
INSERT INTO epochs VALUES(1,1,11.531693481761390529,2.1856077403255786961,9.9315258049282935104,1.7020914512799789619,2.8051000072082388214e-05);
INSERT INTO epochs VALUES(1,2,11.123225685204866763,2.0879016466578725896,9.8018110795262867185,1.78057920082850063,2.1542000013141660019e-05);
INSERT INTO epochs VALUES(1,3,11.002357832214153532,1.7829037983020121771,9.7822470006622399552,1.5109244515306314848,2.2493999949801946058e-05);
INSERT INTO epochs VALUES(2,1,13.425287269383726851,2.1927505974684362577,11.835824541056684467,1.7120914512799787488,2.3155000008046044968e-05);
INSERT INTO epochs VALUES(2,2,13.04312529499520501,2.1563273013267845179,11.731310726388381127,2.0680541226833337731,2.052099989668931812e-05);
INSERT INTO epochs VALUES(2,3,12.941802225346560106,2.0250701100543722077,11.717031504174190814,1.791344730822600928,2.1722000155932619236e-05);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split  TEXT NOT NULL,
    attack TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (run_id, split, attack, name)
) STRICT;
INSERT INTO metrics VALUES(1,'train','clean','surrogate',10.986884230042306854);
INSERT INTO metrics VALUES(1,'train','clean','surrogate_gap',0.97180457935362163368);
INSERT INTO metrics VALUES(1,'val','clean','surrogate',9.7822470006622399552);
INSERT INTO metrics VALUES(1,'val','clean','surrogate_gap',0.86775907242187033663);
INSERT INTO metrics VALUES(1,'val','clean','risk',1.5109244515306314848);
INSERT INTO metrics VALUES(1,'val','clean','accuracy',0.56666666666666665186);
INSERT INTO metrics VALUES(1,'val','clean','rmse',2.0604592290661640774);
INSERT INTO metrics VALUES(1,'val','clean','smooth_l1',1.0775911181972981367);
INSERT INTO metrics VALUES(1,'val','clean','mae',1.4505382861942053285);
INSERT INTO metrics VALUES(1,'val','clean','alloc_0',0.33333333333333331482);
INSERT INTO metrics VALUES(1,'val','clean','alloc_1',0.59999999999999997779);
INSERT INTO metrics VALUES(1,'val','clean','alloc_2',0.066666666666666665741);
INSERT INTO metrics VALUES(1,'val','clean','oracle_risk',0.23218226286008042391);
INSERT INTO metrics VALUES(1,'val','clean','oracle_accuracy',0.86666666666666669627);
INSERT INTO metrics VALUES(1,'val','clean','oracle_rmse',0.45437130157153476917);
INSERT INTO metrics VALUES(1,'val','clean','oracle_smooth_l1',0.098848929526747106311);
INSERT INTO metrics VALUES(1,'val','clean','oracle_mae',0.17909225486218929845);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_0',0.066666666666666665741);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_1',0.43333333333333334813);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_2',0.5);
INSERT INTO metrics VALUES(1,'test','clean','surrogate',10.355464882153112782);
INSERT INTO metrics VALUES(1,'test','clean','surrogate_gap',0.81988389159730556965);
INSERT INTO metrics VALUES(1,'test','clean','risk',1.6452943770033525705);
INSERT INTO metrics VALUES(1,'test','clean','accuracy',0.33333333333333331482);
INSERT INTO metrics VALUES(1,'test','clean','rmse',1.9305425960343658431);
INSERT INTO metrics VALUES(1,'test','clean','smooth_l1',0.97862771033668627396);
INSERT INTO metrics VALUES(1,'test','clean','mae',1.342146272522707795);
INSERT INTO metrics VALUES(1,'test','clean','alloc_0',0.46666666666666667406);
INSERT INTO metrics VALUES(1,'test','clean','alloc_1',0.46666666666666667406);
INSERT INTO metrics VALUES(1,'test','clean','alloc_2',0.066666666666666665741);
INSERT INTO metrics VALUES(1,'test','clean','oracle_risk',0.16848478442342593175);
INSERT INTO metrics VALUES(1,'test','clean','oracle_accuracy',0.88333333333333330372);
INSERT INTO metrics VALUES(1,'test','clean','oracle_rmse',0.32763017431666807688);
INSERT INTO metrics VALUES(1,'test','clean','oracle_smooth_l1',0.051818117756759256298);
INSERT INTO metrics VALUES(1,'test','clean','oracle_mae',0.098810770114262896912);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_0',0.016666666666666666435);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_1',0.48333333333333333703);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_2',0.5);
INSERT INTO metrics VALUES(2,'train','clean','surrogate',13.107115075855347186);
INSERT INTO metrics VALUES(2,'train','clean','surrogate_gap',0.90945141628816861256);
INSERT INTO metrics VALUES(2,'val','clean','surrogate',11.835824541056684467);
INSERT INTO metrics VALUES(2,'val','clean','surrogate_gap',0.79627883474681193654);
INSERT INTO metrics VALUES(2,'val','clean','risk',1.7120914512799787488);
INSERT INTO metrics VALUES(2,'val','clean','accuracy',0.26666666666666666296);
INSERT INTO metrics VALUES(2,'val','clean','rmse',1.6702879213361720989);
INSERT INTO metrics VALUES(2,'val','clean','smooth_l1',0.96875811794664556941);
INSERT INTO metrics VALUES(2,'val','clean','mae',1.4271487128299971125);
INSERT INTO metrics VALUES(2,'val','clean','alloc_0',0.96666666666666667406);
INSERT INTO metrics VALUES(2,'val','clean','alloc_1',0.03333333333333333287);
INSERT INTO metrics VALUES(2,'val','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(2,'val','clean','oracle_risk',0.60836973479371136974);
INSERT INTO metrics VALUES(2,'val','clean','oracle_accuracy',0.86666666666666669627);
INSERT INTO metrics VALUES(2,'val','clean','oracle_rmse',0.58209009643213827089);
INSERT INTO metrics VALUES(2,'val','clean','oracle_smooth_l1',0.16503640146037787395);
INSERT INTO metrics VALUES(2,'val','clean','oracle_mae',0.34107472933828830718);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_0',0.29999999999999998889);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_1',0.36666666666666664076);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_2',0.33333333333333331482);
INSERT INTO metrics VALUES(2,'test','clean','surrogate',12.473739455192266234);
INSERT INTO metrics VALUES(2,'test','clean','surrogate_gap',0.78467649122790705806);
INSERT INTO metrics VALUES(2,'test','clean','risk',2.0991357549489668699);
INSERT INTO metrics VALUES(2,'test','clean','accuracy',0.18333333333333332038);
INSERT INTO metrics VALUES(2,'test','clean','rmse',2.090676012149905727);
INSERT INTO metrics VALUES(2,'test','clean','smooth_l1',1.2524690882823006354);
INSERT INTO metrics VALUES(2,'test','clean','mae',1.6884911359714653844);
INSERT INTO metrics VALUES(2,'test','clean','alloc_0',0.9000000000000000222);
INSERT INTO metrics VALUES(2,'test','clean','alloc_1',0.10000000000000000555);
INSERT INTO metrics VALUES(2,'test','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(2,'test','clean','oracle_risk',0.5760619433627199859);
INSERT INTO metrics VALUES(2,'test','clean','oracle_accuracy',0.86666666666666669627);
INSERT INTO metrics VALUES(2,'test','clean','oracle_rmse',0.35547271626637977348);
INSERT INTO metrics VALUES(2,'test','clean','oracle_smooth_l1',0.062728610029386261404);
INSERT INTO metrics VALUES(2,'test','clean','oracle_mae',0.14547664274772006964);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_0',0.11666666666666666851);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_1',0.5);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_2',0.38333333333333335923);
CREATE TABLE agent_metrics (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    agent_index INTEGER NOT NULL,
    agent_name  TEXT NOT NULL,
    split       TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (run_id, agent_index, split, name)
) STRICT;
INSERT INTO agent_metrics VALUES(1,0,'model','test','risk',2.1775720540323075802);
INSERT INTO agent_metrics VALUES(1,0,'model','test','accuracy',0.11666666666666666851);
INSERT INTO agent_metrics VALUES(1,0,'model','test','rmse',2.129621389512101004);
INSERT INTO agent_metrics VALUES(1,0,'model','test','smooth_l1',1.2942387206989736103);
INSERT INTO agent_metrics VALUES(1,0,'model','test','mae',1.7520678799560605032);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','risk',1.3690978366622834627);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','risk',1.1112272924556776398);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','mae',0.90390397123992438643);
INSERT INTO agent_metrics VALUES(2,0,'model','test','risk',2.1775720540323075802);
INSERT INTO agent_metrics VALUES(2,0,'model','test','accuracy',0.11666666666666666851);
INSERT INTO agent_metrics VALUES(2,0,'model','test','rmse',2.129621389512101004);
INSERT INTO agent_metrics VALUES(2,0,'model','test','smooth_l1',1.2942387206989736103);
INSERT INTO agent_metrics VALUES(2,0,'model','test','mae',1.7520678799560605032);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','risk',1.6690978366622821749);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','risk',1.7112272924556752862);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','mae',0.90390397123992438643);
CREATE INDEX runs_by_method ON runs (experiment_id, method, params);
CREATE INDEX run_params_by_key ON run_params (key, value_num);
CREATE VIEW v_metrics AS
SELECT e.id AS experiment_id, e.name AS experiment, r.id AS run_id, r.cell_id, r.method,
       r.params, r.seed, m.split, m.attack, m.name AS metric, m.value, r.device, r.device_name
FROM metrics m JOIN runs r ON r.id = m.run_id JOIN experiments e ON e.id = r.experiment_id
WHERE r.status = 'done';
CREATE VIEW v_run_metrics AS
SELECT vm.*, p.key, p.value AS param_value, p.value_num
FROM v_metrics vm LEFT JOIN run_params p ON p.run_id = vm.run_id;
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
CREATE VIEW v_agent_summary AS
WITH a AS (
    SELECT r.experiment_id, r.method, r.params, am.agent_index, am.agent_name, am.split,
           am.name AS metric, am.value, r.id AS run_id
    FROM agent_metrics am JOIN runs r ON r.id = am.run_id WHERE r.status = 'done'
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
PRAGMA user_version = 2;
COMMIT;
