/* The results database: opening (schema creation, migrations, version
 * checks) and writing experiments and runs. */
#include "config.h"

#include "host/store.h"

#include "l2d/l2d.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* results/schema.sql as a C string, made by the build (framework/host/store.mk) */
static const char schema_sql[] =
#include "framework/host/schema_sql.h"
    ;

/* 1 -> 2: runs say what their device is; v_metrics shows it and v_summary
 * the devices of the runs it averages. The new columns go at the end of
 * runs, where schema.sql puts them too, so that an upgraded database and a
 * new one have the same columns in the same order; old runs get NULL in
 * them. The columns are added before the views are replaced (ALTER TABLE
 * checks the schema, views included). v_run_metrics selects vm.* and so
 * follows v_metrics without being rewritten. */
static const char migrate_1_to_2[] =
    "ALTER TABLE runs ADD COLUMN device_name TEXT;\n"
    "ALTER TABLE runs ADD COLUMN cuda_driver TEXT;\n"
    "ALTER TABLE runs ADD COLUMN cuda_runtime TEXT;\n"
    "ALTER TABLE runs ADD COLUMN cudnn TEXT;\n"
    "DROP VIEW v_summary;\n"
    "DROP VIEW v_metrics;\n"
    "CREATE VIEW v_metrics AS\n"
    "SELECT e.id AS experiment_id, e.name AS experiment, r.id AS run_id, r.cell_id, r.method,\n"
    "       r.params, r.seed, m.split, m.attack, m.name AS metric, m.value, r.device, r.device_name\n"
    "FROM metrics m JOIN runs r ON r.id = m.run_id JOIN experiments e ON e.id = r.experiment_id\n"
    "WHERE r.status = 'done';\n"
    "CREATE VIEW v_summary AS\n"
    "WITH g AS (\n"
    "    SELECT experiment_id, experiment, method, params, split, attack, metric,\n"
    "           count(*) AS n, avg(value) AS mean, min(run_id) AS first_run,\n"
    "           group_concat(DISTINCT device) AS devices\n"
    "    FROM v_metrics GROUP BY experiment_id, method, params, split, attack, metric\n"
    "), d AS (\n"
    "    SELECT g.experiment_id, g.method, g.params, g.split, g.attack, g.metric,\n"
    "           CASE WHEN g.n > 1 THEN sum((v.value - g.mean) * (v.value - g.mean)) / (g.n - 1) END AS var\n"
    "    FROM g JOIN v_metrics v USING (experiment_id, method, params, split, attack, metric)\n"
    "    GROUP BY g.experiment_id, g.method, g.params, g.split, g.attack, g.metric\n"
    ")\n"
    "SELECT g.experiment_id, g.experiment, g.method, g.params, g.split, g.attack, g.metric,\n"
    "       g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run, g.devices\n"
    "FROM g JOIN d USING (experiment_id, method, params, split, attack, metric);\n";

/* 2 -> 3: which code made an experiment (commit, build options, BLAS), the
 * adversarial validation risk of each epoch, and the view v_allocation. The
 * columns go at the end of their tables, as in schema.sql; old rows get NULL. Kept apart from the
 * other steps so that it can be renumbered. */
static const char migrate_2_to_3[] =
    "ALTER TABLE experiments ADD COLUMN code_commit TEXT;\n"
    "ALTER TABLE experiments ADD COLUMN build_options TEXT;\n"
    "ALTER TABLE experiments ADD COLUMN blas TEXT;\n"
    "ALTER TABLE epochs ADD COLUMN val_adv_risk REAL;\n"
    "CREATE VIEW v_allocation AS\n"
    "SELECT vm.experiment_id, vm.experiment, vm.run_id, vm.method, vm.params, vm.seed, vm.split,\n"
    "       vm.attack, CAST(substr(vm.metric, 7) AS INTEGER) AS agent_index,\n"
    "       (SELECT am.agent_name FROM agent_metrics am\n"
    "        WHERE am.run_id = vm.run_id AND am.agent_index = CAST(substr(vm.metric, 7) AS INTEGER)\n"
    "        LIMIT 1) AS agent,\n"
    "       vm.value AS alloc,\n"
    "       (SELECT o.value FROM metrics o WHERE o.run_id = vm.run_id AND o.split = vm.split\n"
    "        AND o.attack = vm.attack AND o.name = 'oracle_' || vm.metric) AS oracle_alloc\n"
    "FROM v_metrics vm\n"
    "WHERE vm.metric GLOB 'alloc_[0-9]*';\n";

/* 3 -> 4 (the "sweeps beyond one process" step): runs get their identity
 * (cell_key, setting_key: NULL here, computed by the runner from the
 * experiment's stored configuration when the database is next run, see
 * runner.c backfill_keys), every run is listed as the answer to its own
 * experiment's cell (experiment_runs), workers get a claims table, and the
 * views read runs through experiment_runs. */
static const char migrate_3_to_4[] =
    "ALTER TABLE runs ADD COLUMN cell_key TEXT;\n"
    "ALTER TABLE runs ADD COLUMN setting_key TEXT;\n"
    "ALTER TABLE runs ADD COLUMN agents_seconds REAL;\n"
    "ALTER TABLE runs ADD COLUMN train_seconds REAL;\n"
    "CREATE INDEX runs_by_key ON runs (cell_key);\n"
    "CREATE TABLE experiment_runs (\n"
    "    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,\n"
    "    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "    cell_id       TEXT NOT NULL,\n"
    "    method        TEXT NOT NULL,\n"
    "    params        TEXT NOT NULL,\n"
    "    PRIMARY KEY (experiment_id, cell_id)\n"
    ") STRICT;\n"
    "CREATE INDEX experiment_runs_by_run ON experiment_runs (run_id);\n"
    "INSERT INTO experiment_runs (experiment_id, run_id, cell_id, method, params)\n"
    "    SELECT experiment_id, id, cell_id, method, params FROM runs;\n"
    "CREATE TRIGGER runs_answer AFTER INSERT ON runs BEGIN\n"
    "    INSERT OR REPLACE INTO experiment_runs (experiment_id, run_id, cell_id, method, params)\n"
    "    VALUES (NEW.experiment_id, NEW.id, NEW.cell_id, NEW.method, NEW.params);\n"
    "END;\n"
    "CREATE TABLE claims (\n"
    "    experiment  TEXT NOT NULL,\n"
    "    cell_key    TEXT NOT NULL,\n"
    "    owner       TEXT NOT NULL,\n"
    "    host        TEXT NOT NULL,\n"
    "    pid         INTEGER NOT NULL,\n"
    "    claimed_at  REAL NOT NULL,\n"
    "    expires_at  REAL NOT NULL,\n"
    "    PRIMARY KEY (experiment, cell_key)\n"
    ") STRICT;\n"
    "DROP VIEW v_summary;\n"
    "DROP VIEW v_agent_summary;\n"
    "DROP VIEW v_metrics;\n"
    "CREATE VIEW v_metrics AS\n"
    "SELECT e.id AS experiment_id, e.name AS experiment, r.id AS run_id, l.cell_id, l.method,\n"
    "       l.params, r.seed, m.split, m.attack, m.name AS metric, m.value, r.device, r.device_name,\n"
    "       r.setting_key, r.cell_key\n"
    "FROM experiment_runs l JOIN experiments e ON e.id = l.experiment_id JOIN runs r ON r.id = l.run_id\n"
    "JOIN metrics m ON m.run_id = r.id\n"
    "WHERE r.status = 'done';\n"
    "CREATE VIEW v_summary AS\n"
    "WITH g AS (\n"
    "    SELECT experiment_id, experiment, method, params, split, attack, metric,\n"
    "           count(*) AS n, avg(value) AS mean, min(run_id) AS first_run,\n"
    "           group_concat(DISTINCT device) AS devices\n"
    "    FROM v_metrics GROUP BY experiment_id, method, params, split, attack, metric\n"
    "), d AS (\n"
    "    SELECT g.experiment_id, g.method, g.params, g.split, g.attack, g.metric,\n"
    "           CASE WHEN g.n > 1 THEN sum((v.value - g.mean) * (v.value - g.mean)) / (g.n - 1) END AS var\n"
    "    FROM g JOIN v_metrics v USING (experiment_id, method, params, split, attack, metric)\n"
    "    GROUP BY g.experiment_id, g.method, g.params, g.split, g.attack, g.metric\n"
    ")\n"
    "SELECT g.experiment_id, g.experiment, g.method, g.params, g.split, g.attack, g.metric,\n"
    "       g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run, g.devices\n"
    "FROM g JOIN d USING (experiment_id, method, params, split, attack, metric);\n"
    "CREATE VIEW v_agent_summary AS\n"
    "WITH a AS (\n"
    "    SELECT l.experiment_id, l.method, l.params, am.agent_index, am.agent_name, am.split,\n"
    "           am.name AS metric, am.value, r.id AS run_id\n"
    "    FROM experiment_runs l JOIN runs r ON r.id = l.run_id JOIN agent_metrics am ON am.run_id = r.id\n"
    "    WHERE r.status = 'done'\n"
    "), g AS (\n"
    "    SELECT experiment_id, method, params, agent_index, max(agent_name) AS agent_name, split,\n"
    "           metric, count(*) AS n, avg(value) AS mean, min(run_id) AS first_run\n"
    "    FROM a GROUP BY experiment_id, method, params, agent_index, split, metric\n"
    "), d AS (\n"
    "    SELECT g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric,\n"
    "           CASE WHEN g.n > 1 THEN sum((a.value - g.mean) * (a.value - g.mean)) / (g.n - 1) END AS var\n"
    "    FROM g JOIN a USING (experiment_id, method, params, agent_index, split, metric)\n"
    "    GROUP BY g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric\n"
    ")\n"
    "SELECT g.experiment_id, e.name AS experiment, g.method, g.params, g.agent_index, g.agent_name,\n"
    "       g.split, g.metric, g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run\n"
    "FROM g JOIN d USING (experiment_id, method, params, agent_index, split, metric)\n"
    "JOIN experiments e ON e.id = g.experiment_id;\n";

/* Forward-only migrations: migrations[v - 1] takes a database from schema
 * version v to v + 1 (it need not set user_version); setup_schema runs them
 * all, and sets user_version, in one transaction. schema.sql always creates
 * the latest version directly. */
static const char *const migrations[] = {migrate_1_to_2, migrate_2_to_3, migrate_3_to_4};
_Static_assert(sizeof migrations / sizeof *migrations == L2D_STORE_SCHEMA_VERSION - 1,
               "one migration per schema version after the first");

/* Long enough to outlast another worker's run transaction. */
#define BUSY_TIMEOUT_MS 60000

struct l2d_store {
    sqlite3 *db;
    char *path;
};

const char *l2d_store_schema_sql(void) { return schema_sql; }
struct sqlite3 *l2d_store_sqlite(struct l2d_store *st) { return st ? st->db : NULL; }
const char *l2d_store_path(const struct l2d_store *st) { return st ? st->path : NULL; }

static int code_of(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_NOMEM: return L2D_ENOMEM;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return L2D_EINVAL;
    case SQLITE_INTERRUPT: return L2D_EINTERRUPTED;
    case SQLITE_MISUSE:
    case SQLITE_INTERNAL: return L2D_EINTERNAL;
    default: return L2D_EIO;
    }
}

/* "PATH: WHAT: sqlite message" */
static int db_fail(struct l2d_store *st, int sqlite_rc, struct l2d_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int db_fail(struct l2d_store *st, int sqlite_rc, struct l2d_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(sqlite_rc);
    return l2d_seterr(err, code_of(sqlite_rc), "%s: %s: %s", st->path, what, msg);
}

static void sqrt_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int t = sqlite3_value_numeric_type(argv[0]);
    if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) {
        sqlite3_result_null(ctx);
        return;
    }
    double x = sqlite3_value_double(argv[0]);
    if (x < 0) sqlite3_result_null(ctx);
    else sqlite3_result_double(ctx, sqrt(x));
}

int l2d_store_register_sqrt(struct sqlite3 *db)
{
    return sqlite3_create_function(db, "sqrt", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   NULL, sqrt_fn, NULL, NULL);
}

/* The views use sqrt(), which SQLite has only when built with its math functions. */
static int ensure_sqrt(struct l2d_store *st, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT sqrt(4.0)", -1, &s, NULL);
    sqlite3_finalize(s);
    if (rc == SQLITE_OK) return 0;
    rc = l2d_store_register_sqrt(st->db);
    return rc == SQLITE_OK ? 0 : db_fail(st, rc, err, "cannot register sqrt()");
}

/* Bind the statement's parameters from a list typed by fmt: 't' text (NULL
 * binds NULL), 'i' int64, 'd' double (NaN binds NULL), 'e' double of an
 * epoch's curve (any non-finite value binds NULL: a diverged run's curve
 * must not stop its failure from being recorded). */
static int bind_all(sqlite3_stmt *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = SQLITE_OK;
    for (int k = 0; fmt[k] && rc == SQLITE_OK; k++) {
        switch (fmt[k]) {
        case 't': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(s, k + 1, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, k + 1);
            break;
        }
        case 'i': rc = sqlite3_bind_int64(s, k + 1, va_arg(ap, int64_t)); break;
        case 'd':
        case 'e': {
            double v = va_arg(ap, double);
            int null = fmt[k] == 'e' ? !isfinite(v) : isnan(v);
            rc = null ? sqlite3_bind_null(s, k + 1) : sqlite3_bind_double(s, k + 1, v);
            break;
        }
        default: rc = SQLITE_MISUSE;
        }
    }
    va_end(ap);
    return rc;
}

/* Run a statement that returns no rows and leave it ready for new bindings. */
static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int exec(struct l2d_store *st, const char *sql, struct l2d_error *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(st, rc, err, "%.60s", sql);
}

static void rollback(struct l2d_store *st)
{
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One integer from a query without parameters. */
static int query_int(struct l2d_store *st, const char *sql, int64_t *out, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) db_fail(st, rc, err, "%s", sql);
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : code_of(rc);
}

/* The first read of the file: it also tells whether the file is SQLite at all. */
static int read_version(struct l2d_store *st, int64_t *v, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
    if (src == SQLITE_OK) src = sqlite3_step(s);
    if (src == SQLITE_ROW) *v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return src == SQLITE_ROW ? 0 : db_fail(st, src, err, "cannot read it as a results database");
}

static int newer_error(struct l2d_store *st, int64_t v, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_EUNSUPPORTED,
                      "%s: results schema version %" PRId64 " is newer than this l2d's (%d): "
                      "use a newer l2d",
                      st->path, v, L2D_STORE_SCHEMA_VERSION);
}

/* Create or upgrade the schema, inside one write transaction. */
static int setup_schema(struct l2d_store *st, struct l2d_error *err)
{
    int64_t v, nobj;
    if (exec(st, "BEGIN IMMEDIATE", err)) return err->code;
    /* read again under the lock: another process may have just done it */
    int rc = query_int(st, "PRAGMA user_version", &v, err);
    if (!rc) rc = query_int(st, "SELECT count(*) FROM sqlite_schema", &nobj, err);
    if (!rc && v > L2D_STORE_SCHEMA_VERSION) rc = newer_error(st, v, err);
    if (!rc && v == 0 && nobj > 0)
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: a SQLite database, but not an l2d results database (no schema version)",
                        st->path);
    if (!rc && v == 0) {
        int src = sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL);
        if (src != SQLITE_OK) rc = db_fail(st, src, err, "creating the results schema");
    } else {
        for (; !rc && v < L2D_STORE_SCHEMA_VERSION; v++) {
            if (!migrations[v - 1]) {
                rc = l2d_seterr(err, L2D_EINTERNAL, "%s: no migration from schema version %" PRId64,
                                st->path, v);
                break;
            }
            int src = sqlite3_exec(st->db, migrations[v - 1], NULL, NULL, NULL);
            if (src != SQLITE_OK)
                rc = db_fail(st, src, err, "upgrading the results schema from version %" PRId64 " to %" PRId64,
                             v, v + 1);
        }
        if (!rc) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version = %d", L2D_STORE_SCHEMA_VERSION);
            rc = exec(st, sql, err);
        }
    }
    if (!rc) rc = query_int(st, "PRAGMA user_version", &v, err);
    if (!rc && v != L2D_STORE_SCHEMA_VERSION)
        rc = l2d_seterr(err, L2D_EINTERNAL, "%s: schema left at version %" PRId64 ", expected %d",
                        st->path, v, L2D_STORE_SCHEMA_VERSION);
    if (!rc) rc = exec(st, "COMMIT", err);
    if (rc) rollback(st);
    return rc;
}

static int store_new(const char *path, struct l2d_store **out, struct l2d_error *err)
{
    *out = NULL;
    if (!path || !*path) return l2d_seterr(err, L2D_EINVAL, "results database: empty path");
    struct l2d_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", path);
    }
    *out = st;
    return 0;
}

static int missing_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = strndup(path, (size_t)(slash - path));
    struct stat sb;
    int missing = dir && stat(dir, &sb) != 0;
    free(dir);
    return missing;
}

static int connect(struct l2d_store *st, int flags, struct l2d_error *err)
{
    int rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);
    if (rc != SQLITE_OK && missing_dir(st->path))
        return l2d_seterr(err, L2D_EIO, "%s: cannot open: its directory does not exist", st->path);
    if (rc != SQLITE_OK) {
        if (!st->db) return l2d_seterr(err, code_of(rc), "%s: cannot open: %s", st->path, sqlite3_errstr(rc));
        return db_fail(st, rc, err, "cannot open");
    }
    sqlite3_extended_result_codes(st->db, 1);
    rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) return db_fail(st, rc, err, "busy_timeout");
    return ensure_sqrt(st, err);
}

int l2d_store_open(const char *path, struct l2d_store **out, struct l2d_error *err)
{
    struct l2d_store *st;
    int rc = store_new(path, &st, err);
    if (rc) return rc;
    rc = connect(st, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    int64_t v = 0;
    if (!rc) rc = read_version(st, &v, err);
    if (!rc && v > L2D_STORE_SCHEMA_VERSION) rc = newer_error(st, v, err);
    sqlite3_stmt *s = NULL;
    if (!rc) {
        /* several processes opening a new file at once: the switch to WAL
         * can be refused as busy without the busy handler; retry */
        int src = SQLITE_BUSY;
        for (int tries = 0; tries < BUSY_TIMEOUT_MS / 20 && (src & 0xff) == SQLITE_BUSY; tries++) {
            if (tries) {
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            sqlite3_finalize(s);
            s = NULL;
            src = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
            if (src == SQLITE_OK) src = sqlite3_step(s);
        }
        if (src != SQLITE_ROW) {
            rc = db_fail(st, src, err, "journal_mode = WAL");
        } else {
            const char *mode = (const char *)sqlite3_column_text(s, 0);
            if (!mode || (strcmp(mode, "wal") && strcmp(mode, "memory")))
                rc = l2d_seterr(err, L2D_EIO, "%s: cannot switch to WAL journal mode (got '%s')", path,
                                mode ? mode : "?");
        }
        sqlite3_finalize(s);
    }
    if (!rc) rc = exec(st, "PRAGMA foreign_keys = ON", err);
    if (!rc && v < L2D_STORE_SCHEMA_VERSION) rc = setup_schema(st, err);
    if (rc) {
        l2d_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

int l2d_store_open_readonly(const char *path, struct l2d_store **out, struct l2d_error *err)
{
    struct l2d_store *st;
    int rc = store_new(path, &st, err);
    if (rc) return rc;
    struct stat sb;
    if (stat(path, &sb)) rc = l2d_seterr(err, L2D_EIO, "%s: no such file", path);
    else if (!S_ISREG(sb.st_mode)) rc = l2d_seterr(err, L2D_EIO, "%s: not a regular file", path);
    if (!rc) rc = connect(st, SQLITE_OPEN_READONLY, err);
    int64_t v = 0;
    if (!rc) rc = read_version(st, &v, err);
    if (!rc && v > L2D_STORE_SCHEMA_VERSION) rc = newer_error(st, v, err);
    if (!rc && v == 0)
        rc = l2d_seterr(err, L2D_EINVAL, "%s: not an l2d results database (no schema version)", path);
    if (!rc && v < L2D_STORE_SCHEMA_VERSION)
        rc = l2d_seterr(err, L2D_EUNSUPPORTED,
                        "%s: results schema version %" PRId64 " is older than this l2d's (%d): "
                        "open it once for writing (e.g. l2d run) to upgrade it",
                        path, v, L2D_STORE_SCHEMA_VERSION);
    if (rc) {
        l2d_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void l2d_store_close(struct l2d_store *st)
{
    if (!st) return;
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

static void hex64(uint64_t h, char buf[17]) { snprintf(buf, 17, "%016" PRIx64, h); }

int l2d_store_experiment(struct l2d_store *st, const char *name, const char *config_text,
                         uint64_t config_hash, const char *code_version, size_t nplugins,
                         const struct l2d_plugin_use *plugins, int64_t *experiment_id,
                         struct l2d_error *err)
{
    if (!st || !name || !*name || !config_text || !code_version || !experiment_id ||
        (nplugins && !plugins))
        return l2d_seterr(err, L2D_EINVAL, "store experiment: missing name, config, version or id");
    for (size_t k = 0; k < nplugins; k++)
        if (!plugins[k].kind || !plugins[k].name || !plugins[k].version)
            return l2d_seterr(err, L2D_EINVAL, "store experiment %s: plugin %zu lacks kind, name or version",
                              name, k);
    char hash[17];
    hex64(config_hash, hash);
    sqlite3_stmt *find = NULL, *ins = NULL, *plug = NULL;
    int rc = exec(st, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    int src = sqlite3_prepare_v2(st->db, "SELECT id FROM experiments WHERE name = ? AND config_hash = ?",
                                 -1, &find, NULL);
    if (src == SQLITE_OK) src = bind_all(find, "tt", name, hash);
    if (src == SQLITE_OK) src = sqlite3_step(find);
    if (src == SQLITE_ROW) {
        *experiment_id = sqlite3_column_int64(find, 0);
        src = SQLITE_OK;
    } else if (src == SQLITE_DONE) {
        src = sqlite3_prepare_v2(st->db,
                                 "INSERT INTO experiments (name, config_text, config_hash, code_version, "
                                 "code_commit, build_options, blas) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 -1, &ins, NULL);
        /* which code made it: this library's build */
        if (src == SQLITE_OK)
            src = bind_all(ins, "ttttttt", name, config_text, hash, code_version, l2d_build_commit(),
                           l2d_build_options(), l2d_blas_config());
        if (src == SQLITE_OK) src = step_done(ins);
        if (src == SQLITE_OK) *experiment_id = sqlite3_last_insert_rowid(st->db);
        /* several agents may share one plugin: list it once */
        if (src == SQLITE_OK && nplugins)
            src = sqlite3_prepare_v2(st->db,
                                     "INSERT OR IGNORE INTO experiment_plugins "
                                     "(experiment_id, kind, name, version, path) VALUES (?, ?, ?, ?, ?)",
                                     -1, &plug, NULL);
        for (size_t k = 0; src == SQLITE_OK && k < nplugins; k++) {
            const struct l2d_plugin_use *p = &plugins[k];
            /* absolute, so that the row says which file it was wherever l2d ran */
            char *abs = p->path ? realpath(p->path, NULL) : NULL;
            src = bind_all(plug, "itttt", *experiment_id, p->kind, p->name, p->version, abs ? abs : p->path);
            free(abs);
            if (src == SQLITE_OK) src = step_done(plug);
        }
    }
    if (src != SQLITE_OK) rc = db_fail(st, src, err, "experiment %s", name);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(plug);
    if (!rc) rc = exec(st, "COMMIT", err);
    if (rc) rollback(st);
    return rc;
}

int l2d_store_run_done(struct l2d_store *st, int64_t experiment_id, const char *cell_id, int *done,
                       struct l2d_error *err)
{
    if (!st || !cell_id || !done) return l2d_seterr(err, L2D_EINVAL, "store run_done: missing argument");
    *done = 0;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT 1 FROM runs WHERE experiment_id = ? AND cell_id = ? AND status = 'done'",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "it", experiment_id, cell_id);
    if (src == SQLITE_OK) src = sqlite3_step(s);
    if (src == SQLITE_ROW) *done = 1;
    int rc = 0;
    if (src != SQLITE_ROW && src != SQLITE_DONE) rc = db_fail(st, src, err, "cell %s", cell_id);
    sqlite3_finalize(s);
    return rc;
}

/* ---- writing a run ---- */

static int nonempty(const char *s) { return s && *s; }

/* A double that may be NaN (stored as NULL) but not infinite. */
static int check_opt(double v, const char *cell, const char *what, struct l2d_error *err)
{
    if (isinf(v)) return l2d_seterr(err, L2D_ENUMERIC, "run %s: %s is infinite", cell, what);
    return 0;
}

static int check_record(const struct l2d_run_record *r, struct l2d_error *err)
{
    if (!nonempty(r->cell_id)) return l2d_seterr(err, L2D_EINVAL, "run: empty cell id");
    const char *c = r->cell_id;
    if (!nonempty(r->method)) return l2d_seterr(err, L2D_EINVAL, "run %s: empty method", c);
    if (!r->status || (strcmp(r->status, "done") && strcmp(r->status, "failed")))
        return l2d_seterr(err, L2D_EINVAL, "run %s: status '%s' is neither done nor failed", c,
                          r->status ? r->status : "(null)");
    int failed = !strcmp(r->status, "failed");
    if (failed && !nonempty(r->error))
        return l2d_seterr(err, L2D_EINVAL, "run %s: failed without an error message", c);
    if (!failed && r->error)
        return l2d_seterr(err, L2D_EINVAL, "run %s: done, yet has an error message (%s)", c, r->error);
    if (check_opt(r->started_at, c, "started_at", err) || check_opt(r->finished_at, c, "finished_at", err) ||
        check_opt(r->seconds, c, "seconds", err))
        return err->code;
    if (r->nparams && (!r->param_keys || !r->param_values))
        return l2d_seterr(err, L2D_EINVAL, "run %s: parameters without keys or values", c);
    for (size_t k = 0; k < r->nparams; k++) {
        const char *key = r->param_keys[k], *v = r->param_values[k];
        /* ';' and '=' delimit the params text */
        if (!nonempty(key) || strpbrk(key, ";="))
            return l2d_seterr(err, L2D_EINVAL, "run %s: parameter %zu: bad key '%s'", c, k, key ? key : "");
        if (!v || strchr(v, ';'))
            return l2d_seterr(err, L2D_EINVAL, "run %s: parameter %s: missing value or value with ';'", c, key);
    }
    if ((r->nepochs && !r->epochs) || (r->nmetrics && !r->metrics) || (r->nagent_metrics && !r->agent_metrics))
        return l2d_seterr(err, L2D_EINVAL, "run %s: counts given without arrays", c);
    for (size_t k = 0; k < r->nmetrics; k++) {
        const struct l2d_metric *m = &r->metrics[k];
        if (!nonempty(m->split) || !nonempty(m->attack) || !nonempty(m->name))
            return l2d_seterr(err, L2D_EINVAL, "run %s: metric %zu lacks split, attack or name", c, k);
        if (!isfinite(m->value))
            return l2d_seterr(err, L2D_ENUMERIC, "run %s: metric %s/%s/%s is not finite (%g)", c, m->split,
                              m->attack, m->name, m->value);
    }
    for (size_t k = 0; k < r->nagent_metrics; k++) {
        const struct l2d_agent_metric *m = &r->agent_metrics[k];
        if (m->agent_index < 0 || !nonempty(m->agent_name) || !nonempty(m->split) || !nonempty(m->name))
            return l2d_seterr(err, L2D_EINVAL, "run %s: agent metric %zu lacks index, agent, split or name", c, k);
        if (!isfinite(m->value))
            return l2d_seterr(err, L2D_ENUMERIC, "run %s: agent %s metric %s/%s is not finite (%g)", c,
                              m->agent_name, m->split, m->name, m->value);
    }
    return 0;
}

/* "k=v;k=v" over the swept parameters other than method and seed. */
static char *params_text(const struct l2d_run_record *r)
{
    size_t len = 1;
    for (size_t k = 0; k < r->nparams; k++) len += strlen(r->param_keys[k]) + strlen(r->param_values[k]) + 2;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    *p = '\0';
    for (size_t k = 0; k < r->nparams; k++) {
        const char *key = r->param_keys[k];
        if (!strcmp(key, "seed") || !strcmp(key, "method")) continue;
        p += sprintf(p, "%s%s=%s", p == s ? "" : ";", key, r->param_values[k]);
    }
    return s;
}

/* The value as a number when all of it reads as a finite one. */
static double numeric_value(const char *v)
{
    if (!*v || isspace((unsigned char)*v)) return NAN;
    char *end;
    double x = strtod(v, &end);
    return *end || !isfinite(x) ? NAN : x;
}

enum { S_EXP, S_DONE, S_DEL, S_RUN, S_PARAM, S_EPOCH, S_METRIC, S_AGENT, S_LINK, S_UNCLAIM, S_N };
/* runs of the same experiment name as experiment ?1 */
#define SAME_NAME "experiment_id IN (SELECT id FROM experiments WHERE name = (SELECT name FROM experiments WHERE id = ?1))"
static const char *const run_sql[S_N] = {
    [S_EXP] = "SELECT 1 FROM experiments WHERE id = ?",
    [S_DONE] = "SELECT 1 FROM runs WHERE status = 'done' AND ((experiment_id = ?1 AND cell_id = ?2) OR "
               "(?3 IS NOT NULL AND cell_key = ?3 AND " SAME_NAME "))",
    [S_DEL] = "DELETE FROM runs WHERE status = 'failed' AND ((experiment_id = ?1 AND cell_id = ?2) OR "
              "(?3 IS NOT NULL AND cell_key = ?3 AND " SAME_NAME "))",
    [S_RUN] = "INSERT INTO runs (experiment_id, cell_id, params, method, seed, status, error, device, "
              "started_at, finished_at, seconds, best_epoch, rejector_passes, device_name, cuda_driver, "
              "cuda_runtime, cudnn, cell_key, setting_key, agents_seconds, train_seconds) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_PARAM] = "INSERT INTO run_params (run_id, key, value, value_num) VALUES (?, ?, ?, ?)",
    [S_EPOCH] = "INSERT INTO epochs (run_id, epoch, train_loss, train_risk, val_loss, val_risk, seconds, "
                "val_adv_risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [S_METRIC] = "INSERT INTO metrics (run_id, split, attack, name, value) VALUES (?, ?, ?, ?, ?)",
    [S_AGENT] = "INSERT INTO agent_metrics (run_id, agent_index, agent_name, split, name, value) "
                "VALUES (?, ?, ?, ?, ?, ?)",
    [S_LINK] = "INSERT OR REPLACE INTO experiment_runs (experiment_id, run_id, cell_id, method, params) "
               "VALUES (?, ?, ?, ?, ?)",
    [S_UNCLAIM] = "DELETE FROM claims WHERE cell_key = ? AND owner = ?",
};

/* One row exists for the two-parameter query q (experiment id, cell id)? */
static int exists(sqlite3_stmt *q, int64_t eid, const char *cell, int *found)
{
    int src = cell ? bind_all(q, "it", eid, cell) : bind_all(q, "i", eid);
    if (src == SQLITE_OK) src = sqlite3_step(q);
    *found = src == SQLITE_ROW;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return src == SQLITE_ROW || src == SQLITE_DONE ? SQLITE_OK : src;
}

static int insert_run(struct l2d_store *st, sqlite3_stmt **s, int64_t eid, const struct l2d_run_record *r,
                      const char *params, struct l2d_error *err)
{
    const char *c = r->cell_id;
    int found, src = exists(s[S_EXP], eid, NULL, &found);
    if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: experiment %" PRId64, c, eid);
    if (!found) return l2d_seterr(err, L2D_EINVAL, "%s: run %s: no experiment with id %" PRId64, st->path, c, eid);
    src = bind_all(s[S_DONE], "itt", eid, c, r->cell_key);
    if (src == SQLITE_OK) src = sqlite3_step(s[S_DONE]);
    found = src == SQLITE_ROW;
    if (src == SQLITE_ROW || src == SQLITE_DONE) src = SQLITE_OK;
    sqlite3_reset(s[S_DONE]);
    sqlite3_clear_bindings(s[S_DONE]);
    if (src != SQLITE_OK) return db_fail(st, src, err, "run %s", c);
    if (found)
        return l2d_seterr(err, L2D_EINVAL, "%s: run %s of experiment %" PRId64 " is already done", st->path, c,
                          eid);
    src = bind_all(s[S_DEL], "itt", eid, c, r->cell_key);
    if (src == SQLITE_OK) src = step_done(s[S_DEL]);
    if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: removing the failed run", c);

    src = bind_all(s[S_RUN], "itttitttdddiittttttdd", eid, c, params, r->method, r->seed, r->status,
                   r->error, r->device, r->started_at, r->finished_at, r->seconds, (int64_t)r->best_epoch,
                   r->rejector_passes, r->device_name, r->cuda_driver, r->cuda_runtime, r->cudnn,
                   r->cell_key, r->setting_key, r->agents_seconds, r->train_seconds);
    /* "unknown" markers go in as NULL */
    if (src == SQLITE_OK && r->best_epoch < 0) src = sqlite3_bind_null(s[S_RUN], 12);
    if (src == SQLITE_OK && r->rejector_passes < 0) src = sqlite3_bind_null(s[S_RUN], 13);
    if (src == SQLITE_OK) src = step_done(s[S_RUN]);
    if (src != SQLITE_OK) return db_fail(st, src, err, "run %s", c);
    int64_t rid = sqlite3_last_insert_rowid(st->db);
    src = bind_all(s[S_LINK], "iittt", eid, rid, c, r->method, params);
    if (src == SQLITE_OK) src = step_done(s[S_LINK]);
    if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: listing it in its experiment", c);
    if (r->claim_owner && r->cell_key) {
        src = bind_all(s[S_UNCLAIM], "tt", r->cell_key, r->claim_owner);
        if (src == SQLITE_OK) src = step_done(s[S_UNCLAIM]);
        if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: releasing its claim", c);
    }

    for (size_t k = 0; k < r->nparams; k++) {
        const char *v = r->param_values[k];
        src = bind_all(s[S_PARAM], "ittd", rid, r->param_keys[k], v, numeric_value(v));
        if (src == SQLITE_OK) src = step_done(s[S_PARAM]);
        if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: parameter %s", c, r->param_keys[k]);
    }
    for (size_t k = 0; k < r->nepochs; k++) {
        const struct l2d_epoch_rec *e = &r->epochs[k];
        src = bind_all(s[S_EPOCH], "iieeeeee", rid, (int64_t)e->epoch, e->train_loss, e->train_risk, e->val_loss,
                       e->val_risk, e->seconds, e->val_adv_risk);
        if (src == SQLITE_OK) src = step_done(s[S_EPOCH]);
        if (src != SQLITE_OK) return db_fail(st, src, err, "run %s: epoch %d", c, e->epoch);
    }
    for (size_t k = 0; k < r->nmetrics; k++) {
        const struct l2d_metric *m = &r->metrics[k];
        src = bind_all(s[S_METRIC], "itttd", rid, m->split, m->attack, m->name, m->value);
        if (src == SQLITE_OK) src = step_done(s[S_METRIC]);
        if (src != SQLITE_OK)
            return db_fail(st, src, err, "run %s: metric %s/%s/%s", c, m->split, m->attack, m->name);
    }
    for (size_t k = 0; k < r->nagent_metrics; k++) {
        const struct l2d_agent_metric *m = &r->agent_metrics[k];
        src = bind_all(s[S_AGENT], "iitttd", rid, (int64_t)m->agent_index, m->agent_name, m->split, m->name,
                       m->value);
        if (src == SQLITE_OK) src = step_done(s[S_AGENT]);
        if (src != SQLITE_OK)
            return db_fail(st, src, err, "run %s: agent %d metric %s/%s", c, m->agent_index, m->split, m->name);
    }
    return 0;
}

int l2d_store_write_run(struct l2d_store *st, int64_t experiment_id, const struct l2d_run_record *rec,
                        struct l2d_error *err)
{
    if (!st || !rec) return l2d_seterr(err, L2D_EINVAL, "store write_run: missing argument");
    int rc = check_record(rec, err);
    if (rc) return rc;
    char *params = params_text(rec);
    if (!params) return l2d_seterr(err, L2D_ENOMEM, "run %s: out of memory", rec->cell_id);
    sqlite3_stmt *s[S_N] = {0};
    for (int k = 0; k < S_N && !rc; k++) {
        int src = sqlite3_prepare_v2(st->db, run_sql[k], -1, &s[k], NULL);
        if (src != SQLITE_OK) rc = db_fail(st, src, err, "run %s: preparing", rec->cell_id);
    }
    if (!rc) rc = exec(st, "BEGIN IMMEDIATE", err);
    if (!rc) {
        rc = insert_run(st, s, experiment_id, rec, params, err);
        if (!rc) rc = exec(st, "COMMIT", err);
        if (rc) rollback(st);
    }
    for (int k = 0; k < S_N; k++) sqlite3_finalize(s[k]);
    free(params);
    return rc;
}

/* ---- identity, experiment_runs and claims (schema version 3) ---- */

int l2d_store_begin(struct l2d_store *st, struct l2d_error *err) { return exec(st, "BEGIN IMMEDIATE", err); }

int l2d_store_commit(struct l2d_store *st, struct l2d_error *err)
{
    int rc = exec(st, "COMMIT", err);
    if (rc) rollback(st);
    return rc;
}

void l2d_store_rollback(struct l2d_store *st)
{
    if (st) rollback(st);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const struct l2d_key_state *)a)->key, ((const struct l2d_key_state *)b)->key);
}

int l2d_store_key_states(struct l2d_store *st, const char *experiment, struct l2d_key_state **out,
                         size_t *n, struct l2d_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = NULL;
    /* per key: a done run if there is one (the oldest), else the latest failure */
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT r.cell_key, r.id, r.status = 'done', coalesce(r.finished_at, 0), "
                                 "r.experiment_id FROM runs r JOIN experiments e ON e.id = r.experiment_id "
                                 "WHERE e.name = ? AND r.cell_key IS NOT NULL "
                                 "ORDER BY r.cell_key, r.status = 'done' DESC, "
                                 "CASE WHEN r.status = 'done' THEN r.id ELSE -r.id END",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "t", experiment);
    size_t cap = 0, k = 0;
    struct l2d_key_state *v = NULL;
    while (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        if (!key || strlen(key) != 32) {
            src = SQLITE_OK;
            continue;
        }
        if (k && !strcmp(v[k - 1].key, key)) { /* the first row of a key wins */
            src = SQLITE_OK;
            continue;
        }
        if (k == cap) {
            cap = cap ? 2 * cap : 1024;
            struct l2d_key_state *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                sqlite3_finalize(s);
                return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", st->path);
            }
            v = nv;
        }
        memcpy(v[k].key, key, 33);
        v[k].run_id = sqlite3_column_int64(s, 1);
        v[k].done = sqlite3_column_int(s, 2);
        v[k].finished_at = sqlite3_column_double(s, 3);
        v[k].experiment_id = sqlite3_column_int64(s, 4);
        k++;
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    if (src != SQLITE_DONE) {
        free(v);
        return db_fail(st, src, err, "runs of experiment %s", experiment);
    }
    if (k) qsort(v, k, sizeof *v, key_cmp); /* SQLite's order is already by key; qsort makes sure */
    *out = v;
    *n = k;
    return 0;
}

const struct l2d_key_state *l2d_key_state_find(const struct l2d_key_state *v, size_t n, const char *key)
{
    struct l2d_key_state probe;
    if (!v || !n) return NULL;
    snprintf(probe.key, sizeof probe.key, "%s", key);
    return bsearch(&probe, v, n, sizeof *v, key_cmp);
}

int l2d_store_link(struct l2d_store *st, int64_t experiment_id, int64_t run_id, const char *cell_id,
                   const char *method, const char *params, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, run_sql[S_LINK], -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "iittt", experiment_id, run_id, cell_id, method, params);
    if (src == SQLITE_OK) src = step_done(s);
    sqlite3_finalize(s);
    return src == SQLITE_OK ? 0 : db_fail(st, src, err, "listing run %" PRId64 " as cell %s", run_id, cell_id);
}

int l2d_store_link_done(struct l2d_store *st, int64_t experiment_id, const char *cell_key, const char *cell_id,
                        const char *method, const char *params, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(
        st->db,
        "INSERT OR REPLACE INTO experiment_runs (experiment_id, run_id, cell_id, method, params) "
        "SELECT ?1, r.id, ?3, ?4, ?5 FROM runs r WHERE r.cell_key = ?2 AND r.status = 'done' AND " SAME_NAME " "
        "AND NOT EXISTS (SELECT 1 FROM experiment_runs l JOIN runs x ON x.id = l.run_id "
        "WHERE l.experiment_id = ?1 AND l.cell_id = ?3 AND x.status = 'done') ORDER BY r.id LIMIT 1",
        -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "ittt", experiment_id, cell_key, cell_id, method);
    if (src == SQLITE_OK) src = sqlite3_bind_text(s, 5, params, -1, SQLITE_TRANSIENT);
    if (src == SQLITE_OK) src = step_done(s);
    sqlite3_finalize(s);
    return src == SQLITE_OK ? 0 : db_fail(st, src, err, "listing the done run of cell %s", cell_id);
}

void l2d_store_owner(char *buf, size_t n)
{
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, n, "%s:%ld:%lx", host, (long)getpid(),
             (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 20) ^ ((long)getpid() << 8)));
}

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A claim that nobody holds any more: expired, or its process is gone. */
static int claim_stale(const char *host, int64_t pid, double expires_at, double now)
{
    if (expires_at < now) return 1;
    char me[128] = "";
    gethostname(me, sizeof me - 1);
    if (host && !strcmp(host, me) && pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH) return 1;
    return 0;
}

int l2d_store_claim(struct l2d_store *st, int64_t experiment_id, const char *cell_key, const char *owner,
                    double lease_s, double failed_since, int *state, struct l2d_error *err)
{
    *state = L2D_CLAIM_BUSY;
    int rc = exec(st, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    sqlite3_stmt *q = NULL, *c = NULL, *ins = NULL;
    char name[512] = "";
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT status, coalesce(finished_at, 0) FROM runs WHERE cell_key = ?2 AND "
                                 "experiment_id IN (SELECT id FROM experiments WHERE name = "
                                 "(SELECT name FROM experiments WHERE id = ?1))",
                                 -1, &q, NULL);
    if (src == SQLITE_OK) src = bind_all(q, "it", experiment_id, cell_key);
    int done = 0, failed = 0;
    while (src == SQLITE_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(q, 0);
        if (status && !strcmp(status, "done")) done = 1;
        else if (sqlite3_column_double(q, 1) >= failed_since) failed = 1;
        src = SQLITE_OK;
    }
    if (src == SQLITE_DONE) src = SQLITE_OK;
    if (src == SQLITE_OK && (done || failed)) *state = done ? L2D_CLAIM_DONE : L2D_CLAIM_FAILED;
    if (src == SQLITE_OK && !done && !failed) {
        src = sqlite3_prepare_v2(st->db,
                                 "SELECT e.name, c.owner, c.host, c.pid, c.expires_at FROM experiments e "
                                 "LEFT JOIN claims c ON c.experiment = e.name AND c.cell_key = ?2 WHERE e.id = ?1",
                                 -1, &c, NULL);
        if (src == SQLITE_OK) src = bind_all(c, "it", experiment_id, cell_key);
        if (src == SQLITE_OK) src = sqlite3_step(c);
        if (src == SQLITE_ROW) {
            snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(c, 0));
            const char *who = (const char *)sqlite3_column_text(c, 1);
            int free_to_take = !who || !strcmp(who, owner) ||
                               claim_stale((const char *)sqlite3_column_text(c, 2), sqlite3_column_int64(c, 3),
                                           sqlite3_column_double(c, 4), unix_now());
            src = SQLITE_OK;
            if (free_to_take) {
                char host[128] = "";
                gethostname(host, sizeof host - 1);
                double now = unix_now();
                src = sqlite3_prepare_v2(st->db,
                                         "INSERT OR REPLACE INTO claims (experiment, cell_key, owner, host, pid, "
                                         "claimed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                         -1, &ins, NULL);
                if (src == SQLITE_OK)
                    src = bind_all(ins, "ttttidd", name, cell_key, owner, host, (int64_t)getpid(), now, now + lease_s);
                if (src == SQLITE_OK) src = step_done(ins);
                if (src == SQLITE_OK) *state = L2D_CLAIM_TAKEN;
            }
        } else if (src == SQLITE_DONE) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: no experiment with id %" PRId64, st->path, experiment_id);
            src = SQLITE_OK;
        }
    }
    if (src != SQLITE_OK && !rc) rc = db_fail(st, src, err, "claiming cell %s", cell_key);
    sqlite3_finalize(q);
    sqlite3_finalize(c);
    sqlite3_finalize(ins);
    if (!rc) rc = exec(st, "COMMIT", err);
    if (rc) rollback(st);
    return rc;
}

static int owner_exec(struct l2d_store *st, const char *sql, const char *fmt, const char *owner, double x,
                      struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (src == SQLITE_OK) src = *fmt == 'd' ? bind_all(s, "dt", x, owner) : bind_all(s, "t", owner);
    if (src == SQLITE_OK) src = step_done(s);
    sqlite3_finalize(s);
    return src == SQLITE_OK ? 0 : db_fail(st, src, err, "claims of %s", owner);
}

int l2d_store_claim_renew(struct l2d_store *st, const char *owner, double lease_s, struct l2d_error *err)
{
    return owner_exec(st, "UPDATE claims SET expires_at = ? WHERE owner = ?", "d", owner, unix_now() + lease_s, err);
}

int l2d_store_claim_release(struct l2d_store *st, const char *owner, struct l2d_error *err)
{
    return owner_exec(st, "DELETE FROM claims WHERE owner = ?", "t", owner, 0, err);
}

int l2d_store_unkeyed(struct l2d_store *st, const char *experiment, int64_t **ids, char ***texts, size_t *n,
                      struct l2d_error *err)
{
    *ids = NULL;
    *texts = NULL;
    *n = 0;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT id, config_text FROM experiments e WHERE name = ? AND EXISTS "
                                 "(SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.cell_key IS NULL) "
                                 "ORDER BY id",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "t", experiment);
    size_t k = 0;
    int oom = 0;
    while (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t *ni = realloc(*ids, (k + 1) * sizeof **ids);
        if (ni) *ids = ni;
        char **nt = ni ? realloc(*texts, (k + 1) * sizeof **texts) : NULL;
        if (nt) *texts = nt;
        char *t = nt ? strdup((const char *)sqlite3_column_text(s, 1)) : NULL;
        if (!t) {
            oom = 1;
            break;
        }
        (*ids)[k] = sqlite3_column_int64(s, 0);
        (*texts)[k++] = t;
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    *n = k;
    if (oom) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", st->path);
    if (src != SQLITE_DONE) return db_fail(st, src, err, "experiments of %s", experiment);
    return 0;
}

int l2d_store_plugin_version(struct l2d_store *st, int64_t experiment_id, const char *kind, const char *name,
                             char *buf, size_t n)
{
    sqlite3_stmt *s = NULL;
    *buf = 0;
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT version FROM experiment_plugins WHERE experiment_id = ? AND kind = ? "
                                 "AND name = ?",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "itt", experiment_id, kind, name);
    if (src == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return *buf ? 0 : -1;
}

int l2d_store_set_key(struct l2d_store *st, int64_t experiment_id, const char *cell_id, const char *cell_key,
                      const char *setting_key, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db,
                                 "UPDATE runs SET cell_key = ?, setting_key = ? WHERE experiment_id = ? AND "
                                 "cell_id = ? AND cell_key IS NULL",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) src = bind_all(s, "ttit", cell_key, setting_key, experiment_id, cell_id);
    if (src == SQLITE_OK) src = step_done(s);
    sqlite3_finalize(s);
    return src == SQLITE_OK ? 0 : db_fail(st, src, err, "identity of run %s", cell_id);
}

/* ---- merging databases ---- */

/* Copy the rows of one table of a run, column for column (values bound as
 * read: a REAL goes over bit for bit). */
static int copy_children(struct l2d_store *out, sqlite3 *in, const char *table, const char *cols, int64_t in_run,
                         int64_t out_run, struct l2d_error *err)
{
    char sel[512], ins[512];
    int ncols = 1;
    for (const char *p = cols; *p; p++) ncols += *p == ',';
    snprintf(sel, sizeof sel, "SELECT %s FROM %s WHERE run_id = ?", cols, table);
    int len = snprintf(ins, sizeof ins, "INSERT INTO %s (run_id, %s) VALUES (?", table, cols);
    for (int k = 0; k < ncols; k++) len += snprintf(ins + len, sizeof ins - (size_t)len, ", ?");
    snprintf(ins + len, sizeof ins - (size_t)len, ")");
    sqlite3_stmt *s = NULL, *w = NULL;
    int src = sqlite3_prepare_v2(in, sel, -1, &s, NULL);
    if (src != SQLITE_OK) return l2d_seterr(err, code_of(src), "reading %s: %s", table, sqlite3_errmsg(in));
    src = sqlite3_prepare_v2(out->db, ins, -1, &w, NULL);
    if (src == SQLITE_OK) src = sqlite3_bind_int64(s, 1, in_run);
    int rrc;
    while (src == SQLITE_OK && (rrc = sqlite3_step(s)) == SQLITE_ROW) {
        src = sqlite3_bind_int64(w, 1, out_run);
        for (int k = 0; src == SQLITE_OK && k < ncols; k++) src = sqlite3_bind_value(w, k + 2, sqlite3_column_value(s, k));
        if (src == SQLITE_OK) src = step_done(w);
    }
    if (src == SQLITE_OK && rrc != SQLITE_DONE) {
        sqlite3_finalize(s);
        sqlite3_finalize(w);
        return l2d_seterr(err, code_of(rrc), "reading %s: %s", table, sqlite3_errmsg(in));
    }
    sqlite3_finalize(s);
    sqlite3_finalize(w);
    return src == SQLITE_OK ? 0 : db_fail(out, src, err, "copying %s of run %" PRId64, table, in_run);
}

#define RUN_COLS                                                                                              \
    "cell_id, params, method, seed, status, error, device, started_at, finished_at, seconds, best_epoch, " \
    "rejector_passes, device_name, cuda_driver, cuda_runtime, cudnn, cell_key, setting_key, "    \
    "agents_seconds, train_seconds"
#define RUN_NCOLS 20

/* One input, inside OUT's transaction. */
static int merge_one(struct l2d_store *out, struct l2d_store *in, size_t *copied, size_t *skipped,
                     struct l2d_error *err)
{
    sqlite3 *idb = in->db;
    int64_t unkeyed = 0;
    int rc = query_int(in, "SELECT count(*) FROM runs WHERE cell_key IS NULL", &unkeyed, err);
    if (rc) return rc;
    if (unkeyed)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: %" PRId64 " runs recorded before schema version 3 have no identity yet: "
                          "run `l2d run CONFIG --db %s --dry-run` once, then merge",
                          in->path, unkeyed, in->path);
    /* experiments, by (name, config hash) */
    sqlite3_stmt *e = NULL, *find = NULL, *ins = NULL, *plug = NULL, *pins = NULL;
    int64_t *map = NULL; /* pairs in id, out id */
    size_t nmap = 0;
    int src = sqlite3_prepare_v2(idb, "SELECT id, name, config_text, config_hash, code_version, created_at "
                                      "FROM experiments ORDER BY id", -1, &e, NULL);
    if (src != SQLITE_OK) return l2d_seterr(err, code_of(src), "%s: experiments: %s", in->path, sqlite3_errmsg(idb));
    src = sqlite3_prepare_v2(out->db, "SELECT id FROM experiments WHERE name = ? AND config_hash = ?", -1, &find, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(out->db, "INSERT INTO experiments (name, config_text, config_hash, code_version, "
                                          "created_at) VALUES (?, ?, ?, ?, ?)", -1, &ins, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(idb, "SELECT kind, name, version, path FROM experiment_plugins WHERE experiment_id = ?",
                                 -1, &plug, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(out->db, "INSERT OR IGNORE INTO experiment_plugins (experiment_id, kind, name, "
                                          "version, path) VALUES (?, ?, ?, ?, ?)", -1, &pins, NULL);
    int erc = SQLITE_OK;
    while (src == SQLITE_OK && (erc = sqlite3_step(e)) == SQLITE_ROW) {
        int64_t in_id = sqlite3_column_int64(e, 0), out_id = 0;
        src = sqlite3_bind_value(find, 1, sqlite3_column_value(e, 1));
        if (src == SQLITE_OK) src = sqlite3_bind_value(find, 2, sqlite3_column_value(e, 3));
        int f = src == SQLITE_OK ? sqlite3_step(find) : src;
        if (f == SQLITE_ROW) out_id = sqlite3_column_int64(find, 0);
        else if (f != SQLITE_DONE) src = f;
        sqlite3_reset(find);
        if (src == SQLITE_OK && f == SQLITE_DONE) {
            for (int k = 0; src == SQLITE_OK && k < 5; k++) src = sqlite3_bind_value(ins, k + 1, sqlite3_column_value(e, k + 1));
            if (src == SQLITE_OK) src = step_done(ins);
            out_id = sqlite3_last_insert_rowid(out->db);
            if (src == SQLITE_OK) src = sqlite3_bind_int64(plug, 1, in_id);
            int prc;
            while (src == SQLITE_OK && (prc = sqlite3_step(plug)) == SQLITE_ROW) {
                src = sqlite3_bind_int64(pins, 1, out_id);
                for (int k = 0; src == SQLITE_OK && k < 4; k++) src = sqlite3_bind_value(pins, k + 2, sqlite3_column_value(plug, k));
                if (src == SQLITE_OK) src = step_done(pins);
            }
            sqlite3_reset(plug);
        }
        if (src == SQLITE_OK) {
            int64_t *nm = realloc(map, (nmap + 1) * 2 * sizeof *map);
            if (!nm) src = SQLITE_NOMEM;
            else {
                map = nm;
                map[2 * nmap] = in_id;
                map[2 * nmap++ + 1] = out_id;
            }
        }
    }
    sqlite3_finalize(e);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(plug);
    sqlite3_finalize(pins);
    if (src == SQLITE_OK && erc != SQLITE_DONE) src = erc;
    if (src != SQLITE_OK) {
        free(map);
        return db_fail(out, src, err, "merging the experiments of %s", in->path);
    }
    /* runs, by (experiment name, cell_key) */
    sqlite3_stmt *r = NULL, *have = NULL, *del = NULL, *rins = NULL;
    src = sqlite3_prepare_v2(idb, "SELECT id, experiment_id, " RUN_COLS " FROM runs ORDER BY id", -1, &r, NULL);
    if (src != SQLITE_OK) {
        free(map);
        return l2d_seterr(err, code_of(src), "%s: runs: %s", in->path, sqlite3_errmsg(idb));
    }
    src = sqlite3_prepare_v2(out->db,
                             "SELECT max(status = 'done'), count(*) FROM runs WHERE cell_key = ?2 AND " SAME_NAME, -1,
                             &have, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(out->db,
                                 "DELETE FROM runs WHERE status = 'failed' AND ((cell_key = ?2 AND " SAME_NAME
                                 ") OR (experiment_id = ?1 AND cell_id = ?3))",
                                 -1, &del, NULL);
    if (src == SQLITE_OK) {
        char sql[1024];
        int len = snprintf(sql, sizeof sql, "INSERT INTO runs (experiment_id, " RUN_COLS ") VALUES (?");
        for (int k = 0; k < RUN_NCOLS; k++) len += snprintf(sql + len, sizeof sql - (size_t)len, ", ?");
        snprintf(sql + len, sizeof sql - (size_t)len, ")");
        src = sqlite3_prepare_v2(out->db, sql, -1, &rins, NULL);
    }
    int rrc = SQLITE_OK;
    while (!rc && src == SQLITE_OK && (rrc = sqlite3_step(r)) == SQLITE_ROW) {
        int64_t in_run = sqlite3_column_int64(r, 0), in_eid = sqlite3_column_int64(r, 1), out_eid = -1;
        for (size_t k = 0; k < nmap; k++)
            if (map[2 * k] == in_eid) out_eid = map[2 * k + 1];
        const char *status = (const char *)sqlite3_column_text(r, 6);
        int done_in = status && !strcmp(status, "done");
        src = bind_all(have, "i", out_eid);
        if (src == SQLITE_OK) src = sqlite3_bind_value(have, 2, sqlite3_column_value(r, 18));
        int done_out = 0, any_out = 0;
        if (src == SQLITE_OK && sqlite3_step(have) == SQLITE_ROW) {
            done_out = sqlite3_column_int(have, 0);
            any_out = sqlite3_column_int(have, 1) > 0;
        }
        sqlite3_reset(have);
        if (src != SQLITE_OK) break;
        if (done_out || (!done_in && any_out)) {
            (*skipped)++;
            continue;
        }
        if (done_in) { /* a finished run wins over a failed one */
            src = bind_all(del, "i", out_eid);
            if (src == SQLITE_OK) src = sqlite3_bind_value(del, 2, sqlite3_column_value(r, 18));
            if (src == SQLITE_OK) src = sqlite3_bind_value(del, 3, sqlite3_column_value(r, 2));
            if (src == SQLITE_OK) src = step_done(del);
        }
        if (src == SQLITE_OK) src = sqlite3_bind_int64(rins, 1, out_eid);
        for (int k = 0; src == SQLITE_OK && k < RUN_NCOLS; k++) src = sqlite3_bind_value(rins, k + 2, sqlite3_column_value(r, k + 2));
        if (src == SQLITE_OK) src = step_done(rins);
        if (src != SQLITE_OK) break;
        int64_t out_run = sqlite3_last_insert_rowid(out->db);
        rc = copy_children(out, idb, "run_params", "key, value, value_num", in_run, out_run, err);
        if (!rc) rc = copy_children(out, idb, "epochs", "epoch, train_loss, train_risk, val_loss, val_risk, seconds",
                                    in_run, out_run, err);
        if (!rc) rc = copy_children(out, idb, "metrics", "split, attack, name, value", in_run, out_run, err);
        if (!rc) rc = copy_children(out, idb, "agent_metrics", "agent_index, agent_name, split, name, value", in_run,
                                    out_run, err);
        (*copied)++;
    }
    if (!rc && src == SQLITE_OK && rrc != SQLITE_DONE) src = rrc;
    sqlite3_finalize(r);
    sqlite3_finalize(have);
    sqlite3_finalize(del);
    sqlite3_finalize(rins);
    if (!rc && src != SQLITE_OK) rc = db_fail(out, src, err, "merging the runs of %s", in->path);
    /* which run answers each experiment's cells: the input's lists, by key */
    sqlite3_stmt *l = NULL, *link = NULL;
    if (!rc) {
        src = sqlite3_prepare_v2(idb, "SELECT l.experiment_id, r.cell_key, l.cell_id, l.method, l.params FROM "
                                      "experiment_runs l JOIN runs r ON r.id = l.run_id WHERE r.status = 'done'",
                                 -1, &l, NULL);
        if (src != SQLITE_OK) rc = l2d_seterr(err, code_of(src), "%s: experiment_runs: %s", in->path, sqlite3_errmsg(idb));
    }
    if (!rc) {
        src = sqlite3_prepare_v2(
            out->db,
            "INSERT OR REPLACE INTO experiment_runs (experiment_id, run_id, cell_id, method, params) "
            "SELECT ?1, r.id, ?3, ?4, ?5 FROM runs r WHERE r.cell_key = ?2 AND r.status = 'done' AND " SAME_NAME " "
            "AND NOT EXISTS (SELECT 1 FROM experiment_runs x JOIN runs y ON y.id = x.run_id "
            "WHERE x.experiment_id = ?1 AND x.cell_id = ?3 AND y.status = 'done') ORDER BY r.id LIMIT 1",
            -1, &link, NULL);
        int lrc = SQLITE_OK;
        while (src == SQLITE_OK && (lrc = sqlite3_step(l)) == SQLITE_ROW) {
            int64_t out_eid = -1, in_eid = sqlite3_column_int64(l, 0);
            for (size_t k = 0; k < nmap; k++)
                if (map[2 * k] == in_eid) out_eid = map[2 * k + 1];
            src = sqlite3_bind_int64(link, 1, out_eid);
            for (int k = 1; src == SQLITE_OK && k < 5; k++) src = sqlite3_bind_value(link, k + 1, sqlite3_column_value(l, k));
            if (src == SQLITE_OK) src = step_done(link);
        }
        if (src == SQLITE_OK && lrc != SQLITE_DONE) src = lrc;
        if (src != SQLITE_OK) rc = db_fail(out, src, err, "merging the cell lists of %s", in->path);
    }
    sqlite3_finalize(l);
    sqlite3_finalize(link);
    free(map);
    return rc;
}

int l2d_store_merge(const char *out_path, const char *const *in, size_t nin, size_t *copied, size_t *skipped,
                    struct l2d_error *err)
{
    *copied = *skipped = 0;
    struct l2d_store *out = NULL;
    for (size_t k = 0; k < nin; k++) {
        struct stat a, b;
        if (!stat(out_path, &a) && !stat(in[k], &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return l2d_seterr(err, L2D_EINVAL, "%s: is also the output", in[k]);
    }
    int rc = l2d_store_open(out_path, &out, err);
    if (rc) return rc;
    rc = exec(out, "BEGIN IMMEDIATE", err);
    for (size_t k = 0; !rc && k < nin; k++) {
        struct l2d_store *st = NULL;
        rc = l2d_store_open_readonly(in[k], &st, err);
        if (!rc) rc = merge_one(out, st, copied, skipped, err);
        l2d_store_close(st);
    }
    if (!rc) rc = exec(out, "COMMIT", err);
    if (rc) rollback(out);
    l2d_store_close(out);
    return rc;
}
