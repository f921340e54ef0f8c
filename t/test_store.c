/* The results store: schema, writing runs, resume, rollback, versions, views. */
#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/store.h"
#include "tap.h"

static char dir[256];

static char *path_in(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void cleanup(void)
{
    static const char *const names[] = {"r.db", "r.db-wal", "r.db-shm", "new.db", "new.db-wal", "new.db-shm",
                                        "other.db", "other.db-wal", "other.db-shm", "text.db"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) unlink(path_in(names[k]));
    rmdir(dir);
}

/* ---- one-value queries ---- */
static sqlite3_stmt *q(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        tap_diag("prepare %s: %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}
static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = q(db, sql);
    int64_t v = s ? sqlite3_column_int64(s, 0) : -999;
    sqlite3_finalize(s);
    return v;
}
static double q_dbl(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = q(db, sql);
    double v = s && sqlite3_column_type(s, 0) != SQLITE_NULL ? sqlite3_column_double(s, 0) : NAN;
    sqlite3_finalize(s);
    return v;
}
/* the text of the first column, "<NULL>" or "<none>" */
static const char *q_txt(sqlite3 *db, const char *sql)
{
    static char buf[4][512];
    static int k;
    char *out = buf[k++ % 4];
    sqlite3_stmt *s = q(db, sql);
    const char *t = s ? (const char *)sqlite3_column_text(s, 0) : "<none>";
    snprintf(out, 512, "%s", t ? t : "<NULL>");
    sqlite3_finalize(s);
    return out;
}

static int is_txt(const char *got, const char *want, const char *what)
{
    int ok = !strcmp(got, want);
    tap_ok(ok, "%s: '%s'", what, got);
    if (!ok) tap_diag("want '%s'", want);
    return ok;
}

static int is_int(int64_t got, int64_t want, const char *what)
{
    int ok = got == want;
    tap_ok(ok, "%s: %lld", what, (long long)got);
    if (!ok) tap_diag("want %lld", (long long)want);
    return ok;
}

/* ---- a run record to vary ---- */
static const char *const pkeys[] = {"method", "cost.beta_scale", "train.nu", "surrogate.name", "seed"};
static const struct l2d_epoch_rec epochs[] = {
    {0, 1.25, 0.5, 1.5, 0.625, 0.125, 0.875},
    {1, 0.75, 0.375, NAN, 0.5, 0.25, NAN},
    {2, INFINITY, 0.375, 0.5, -INFINITY, 0.25, 0.75},
};
static const struct l2d_agent_metric agents[] = {
    {0, "model", "test", "accuracy", 0.875},
    {1, "expert1", "test", "accuracy", 0.625},
};

struct rec_buf {
    char cell[128], seed_s[16];
    const char *pvals[5];
    struct l2d_metric m[4];
    struct l2d_run_record r;
};

/* a done run of method m, beta, nu, seed; risk r */
static void mk_run(struct rec_buf *b, const char *method, const char *beta, const char *nu, int seed, double risk)
{
    memset(b, 0, sizeof *b);
    snprintf(b->seed_s, sizeof b->seed_s, "%d", seed);
    snprintf(b->cell, sizeof b->cell, "method=%s;cost.beta_scale=%s;train.nu=%s;seed=%d", method, beta, nu, seed);
    b->pvals[0] = method;
    b->pvals[1] = beta;
    b->pvals[2] = nu;
    b->pvals[3] = "ce";
    b->pvals[4] = b->seed_s;
    b->m[0] = (struct l2d_metric){"test", "clean", "risk", risk};
    b->m[1] = (struct l2d_metric){"test", "clean", "accuracy", 1 - risk};
    b->m[2] = (struct l2d_metric){"test", "untargeted", "risk", 2 * risk};
    b->m[3] = (struct l2d_metric){"val", "clean", "risk", risk / 2};
    b->r = (struct l2d_run_record){
        .cell_id = b->cell, .method = method, .seed = seed,
        .nparams = 5, .param_keys = pkeys, .param_values = b->pvals,
        .status = "done", .error = NULL, .device = "cpu",
        .started_at = 1700000000.5, .finished_at = 1700000012.75, .seconds = 12.25,
        .best_epoch = 1, .rejector_passes = 123456789012LL,
        .nepochs = 3, .epochs = epochs, .nmetrics = 4, .metrics = b->m,
        .nagent_metrics = 2, .agent_metrics = agents,
    };
}

static int64_t count_runs(sqlite3 *db) { return q_int(db, "SELECT count(*) FROM runs"); }
static int64_t count_children(sqlite3 *db)
{
    return q_int(db, "SELECT (SELECT count(*) FROM run_params) + (SELECT count(*) FROM epochs) + "
                     "(SELECT count(*) FROM metrics) + (SELECT count(*) FROM agent_metrics)");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static void test_schema_text(void)
{
    char *file = slurp(L2D_ABS_SRCDIR "/results/schema.sql");
    tap_ok(file && !strcmp(file, l2d_store_schema_sql()), "embedded schema is results/schema.sql");
    char want[64];
    snprintf(want, sizeof want, "PRAGMA user_version = %d;", L2D_STORE_SCHEMA_VERSION);
    tap_ok(file && strstr(file, want), "schema.sql sets user_version %d", L2D_STORE_SCHEMA_VERSION);
    free(file);
}

static void test_sqrt_fallback(void)
{
    sqlite3 *db = NULL;
    tap_ok(sqlite3_open(":memory:", &db) == SQLITE_OK && l2d_store_register_sqrt(db) == SQLITE_OK,
           "register sqrt on a bare connection");
    tap_close(q_dbl(db, "SELECT sqrt(2.25)"), 1.5, 0, 0, "own sqrt(2.25)");
    tap_ok(isnan(q_dbl(db, "SELECT sqrt(-1)")) && isnan(q_dbl(db, "SELECT sqrt(NULL)")),
           "own sqrt of a negative or NULL is NULL");
    sqlite3_close(db);
}

static void test_open_new(struct l2d_store **out)
{
    struct l2d_error err = {0};
    struct l2d_store *st = NULL;
    int rc = l2d_store_open(path_in("r.db"), &st, &err);
    tap_ok(rc == 0 && st, "open creates a new database (%s)", rc ? err.msg : "ok");
    *out = st;
    if (!st) return;
    sqlite3 *db = l2d_store_sqlite(st);
    is_int(q_int(db, "PRAGMA user_version"), L2D_STORE_SCHEMA_VERSION, "user_version");
    is_txt(q_txt(db, "PRAGMA journal_mode"), "wal", "journal mode");
    is_int(q_int(db, "PRAGMA foreign_keys"), 1, "foreign keys on");
    tap_ok(q_int(db, "PRAGMA busy_timeout") >= 1000, "busy timeout set");
    tap_close(q_dbl(db, "SELECT sqrt(6.25)"), 2.5, 0, 0, "sqrt() available on the connection");
    is_txt(q_txt(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' "
                     "ORDER BY name)"),
           "agent_metrics,claims,epochs,experiment_plugins,experiment_runs,experiments,metrics,run_params,runs",
           "tables");
    is_int(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%STRICT'"), 9,
           "all tables STRICT");
}

static void test_experiment(struct l2d_store *st, int64_t *eid)
{
    struct l2d_error err = {0};
    sqlite3 *db = l2d_store_sqlite(st);
    const struct l2d_plugin_use plugs[] = {
        {"dataset", "synthetic", "1.0", "/p/synthetic.so"},
        {"agent", "network", "1.0", "/p/network.so"},
        {"agent", "network", "1.0", "/p/network.so"},
        {"surrogate", "ce", "0.3", NULL},
    };
    int64_t a = -1, b = -1, c = -1;
    int rc = l2d_store_experiment(st, "sweep", "[experiment]\nname = sweep\n", 0xdeadbeefULL, "0.1.0", 4, plugs,
                                  &a, &err);
    tap_ok(rc == 0 && a > 0, "new experiment (%s)", rc ? err.msg : "ok");
    rc = l2d_store_experiment(st, "sweep", "[experiment]\nname = sweep\n", 0xdeadbeefULL, "0.1.0", 4, plugs, &b,
                              &err);
    tap_ok(rc == 0 && b == a, "same name and hash: same id");
    rc = l2d_store_experiment(st, "sweep", "other", 0xfedcba9876543210ULL, "0.1.0", 0, NULL, &c, &err);
    tap_ok(rc == 0 && c != a && c > 0, "another hash: another experiment");
    is_int(q_int(db, "SELECT count(*) FROM experiments"), 2, "two experiments");
    is_txt(q_txt(db, "SELECT config_hash FROM experiments WHERE id = 1"), "00000000deadbeef", "hash as hex");
    is_txt(q_txt(db, "SELECT config_hash FROM experiments WHERE id = 2"), "fedcba9876543210", "full 64-bit hash");
    is_txt(q_txt(db, "SELECT replace(config_text, char(10), '/') || '|' || code_version FROM experiments "
                     "WHERE id = 1"),
           "[experiment]/name = sweep/|0.1.0", "config text and version");
    is_txt(q_txt(db, "SELECT group_concat(kind || ':' || name || ':' || version || ':' || coalesce(path, '-'), ' ') "
                     "FROM (SELECT * FROM experiment_plugins WHERE experiment_id = 1 ORDER BY rowid)"),
           "dataset:synthetic:1.0:/p/synthetic.so agent:network:1.0:/p/network.so surrogate:ce:0.3:-",
           "plugins, shared one listed once");
    tap_ok(l2d_store_experiment(st, "", "x", 1, "v", 0, NULL, &c, &err) == L2D_EINVAL, "empty name refused: %s",
           err.msg);
    *eid = a;
}

static void test_write_read(struct l2d_store *st, int64_t eid)
{
    struct l2d_error err = {0};
    sqlite3 *db = l2d_store_sqlite(st);
    struct rec_buf b;
    mk_run(&b, "sard", "0.5", "1", 0, 0.25);
    int rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == 0, "write a done run (%s)", rc ? err.msg : "ok");
    is_txt(q_txt(db, "SELECT experiment_id || '|' || cell_id || '|' || params || '|' || method || '|' || seed || '|' "
                     "|| status || '|' || coalesce(error, 'NULL') || '|' || device || '|' || best_epoch || '|' "
                     "|| rejector_passes FROM runs"),
           "1|method=sard;cost.beta_scale=0.5;train.nu=1;seed=0|cost.beta_scale=0.5;train.nu=1;surrogate.name=ce|"
           "sard|0|done|NULL|cpu|1|123456789012",
           "run row");
    tap_close(q_dbl(db, "SELECT started_at FROM runs"), 1700000000.5, 0, 0, "started_at");
    tap_close(q_dbl(db, "SELECT finished_at FROM runs"), 1700000012.75, 0, 0, "finished_at");
    tap_close(q_dbl(db, "SELECT seconds FROM runs"), 12.25, 0, 0, "seconds");
    is_txt(q_txt(db, "SELECT group_concat(key || '=' || value || '/' || coalesce(value_num, 'NULL'), ' ') FROM "
                     "(SELECT * FROM run_params ORDER BY rowid)"),
           "method=sard/NULL cost.beta_scale=0.5/0.5 train.nu=1/1.0 surrogate.name=ce/NULL seed=0/0.0",
           "run_params, numbers parsed");
    is_txt(q_txt(db, "SELECT group_concat(epoch || ':' || coalesce(train_loss, 'NULL') || ',' || train_risk || ',' || "
                     "coalesce(val_loss, 'NULL') || ',' || coalesce(val_risk, 'NULL') || ',' || seconds || ',' || "
                     "coalesce(val_adv_risk, 'NULL'), ' ') FROM (SELECT * FROM epochs ORDER BY epoch)"),
           "0:1.25,0.5,1.5,0.625,0.125,0.875 1:0.75,0.375,NULL,0.5,0.25,NULL 2:NULL,0.375,0.5,NULL,0.25,0.75",
           "epochs, NaN and inf stored as NULL");
    tap_close(q_dbl(db, "SELECT value FROM metrics WHERE split = 'test' AND attack = 'clean' AND name = 'risk'"),
              0.25, 0, 0, "metric test/clean/risk");
    tap_close(q_dbl(db, "SELECT value FROM metrics WHERE split = 'test' AND attack = 'untargeted' AND name = 'risk'"),
              0.5, 0, 0, "metric test/untargeted/risk");
    is_int(q_int(db, "SELECT count(*) FROM metrics"), 4, "four metrics");
    is_txt(q_txt(db, "SELECT group_concat(agent_index || ':' || agent_name || ':' || split || ':' || name || '=' || "
                     "value, ' ') FROM (SELECT * FROM agent_metrics ORDER BY agent_index)"),
           "0:model:test:accuracy=0.875 1:expert1:test:accuracy=0.625", "agent metrics");
}

static void test_failed_and_resume(struct l2d_store *st, int64_t eid)
{
    struct l2d_error err = {0};
    sqlite3 *db = l2d_store_sqlite(st);
    struct rec_buf b;
    mk_run(&b, "sard", "0.5", "1", 1, 0.5);
    b.r.status = "failed";
    b.r.error = "epoch 3: non-finite loss";
    b.r.nmetrics = 1; /* what it got to before failing */
    b.r.best_epoch = -1;
    b.r.rejector_passes = -1;
    int rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == 0, "write a failed run (%s)", rc ? err.msg : "ok");
    is_txt(q_txt(db, "SELECT status || '|' || error || '|' || coalesce(best_epoch, 'NULL') || '|' || "
                     "coalesce(rejector_passes, 'NULL') FROM runs WHERE seed = 1"),
           "failed|epoch 3: non-finite loss|NULL|NULL", "failed run row");

    int done = -1;
    rc = l2d_store_run_done(st, eid, "method=sard;cost.beta_scale=0.5;train.nu=1;seed=0", &done, &err);
    tap_ok(rc == 0 && done == 1, "resume: done cell is done");
    rc = l2d_store_run_done(st, eid, b.cell, &done, &err);
    tap_ok(rc == 0 && done == 0, "resume: failed cell is not done");
    rc = l2d_store_run_done(st, eid, "method=sard;seed=9", &done, &err);
    tap_ok(rc == 0 && done == 0, "resume: unknown cell is not done");
    rc = l2d_store_run_done(st, eid + 1, "method=sard;cost.beta_scale=0.5;train.nu=1;seed=0", &done, &err);
    tap_ok(rc == 0 && done == 0, "resume: done cell of another experiment is not done here");

    /* failed again: replaces the failed row */
    b.r.error = "out of memory";
    rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == 0, "a failed cell failing again (%s)", rc ? err.msg : "ok");
    is_txt(q_txt(db, "SELECT count(*) || '|' || max(error) FROM runs WHERE seed = 1"), "1|out of memory",
           "one row for the cell, the new error");

    /* retried and done: replaces it, and its children go with it */
    mk_run(&b, "sard", "0.5", "1", 1, 0.5);
    int64_t before = count_children(db);
    rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == 0, "retry of a failed cell succeeds (%s)", rc ? err.msg : "ok");
    is_txt(q_txt(db, "SELECT count(*) || '|' || max(status) FROM runs WHERE seed = 1"), "1|done",
           "the failed row replaced by the done one");
    is_int(count_children(db) - before, (5 + 3 + 4 + 2) - (5 + 3 + 1 + 2), "failed run's children removed");
    rc = l2d_store_run_done(st, eid, b.cell, &done, &err);
    tap_ok(rc == 0 && done == 1, "resume: retried cell now done");

    /* a done cell is never replaced */
    int64_t n = count_runs(db), nc = count_children(db);
    rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "already done"), "writing a done cell again refused: %s", err.msg);
    tap_ok(count_runs(db) == n && count_children(db) == nc, "database unchanged");
}

static void test_rollback(struct l2d_store *st, int64_t eid)
{
    struct l2d_error err = {0};
    sqlite3 *db = l2d_store_sqlite(st);
    int64_t n = count_runs(db), nc = count_children(db);
    struct rec_buf b;
    mk_run(&b, "mt", "0.5", "1", 0, 0.3);
    b.m[3] = b.m[0]; /* duplicate metric: fails after the run row, params, epochs */
    int rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "metric test/clean/risk") && strstr(err.msg, "UNIQUE"),
           "constraint error mid-transaction: %s", err.msg);
    tap_ok(count_runs(db) == n && count_children(db) == nc, "nothing of the run left, earlier runs intact");
    is_int(q_int(db, "SELECT count(*) FROM runs WHERE method = 'mt'"), 0, "no row for the cell");
    tap_ok(sqlite3_get_autocommit(db), "no transaction left open");
    int done = -1;
    tap_ok(l2d_store_run_done(st, eid, b.cell, &done, &err) == 0 && done == 0, "the cell is not done");

    /* the same failure, with a failed run of the cell in place: the failed row survives */
    mk_run(&b, "mt", "0.5", "1", 0, 0.3);
    b.r.status = "failed";
    b.r.error = "killed";
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == 0, "failed run of the cell");
    b.r.status = "done";
    b.r.error = NULL;
    b.m[3] = b.m[0];
    rc = l2d_store_write_run(st, eid, &b.r, &err);
    is_txt(q_txt(db, "SELECT status || '|' || error FROM runs WHERE method = 'mt'"), "failed|killed",
           rc ? "rolled back retry keeps the failed row" : "retry should have failed");
    tap_ok(q_int(db, "SELECT count(*) FROM metrics WHERE run_id IN (SELECT id FROM runs WHERE method = 'mt')") == 4,
           "and its metrics");

    /* checks before anything is written */
    mk_run(&b, "mt", "1", "1", 0, 0.3);
    b.r.status = "failed";
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == L2D_EINVAL, "failed without error: %s", err.msg);
    mk_run(&b, "mt", "1", "1", 0, 0.3);
    b.r.status = "ok";
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == L2D_EINVAL, "bad status: %s", err.msg);
    mk_run(&b, "mt", "1", "1", 0, INFINITY);
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == L2D_ENUMERIC && strstr(err.msg, "test/clean/risk"),
           "infinite metric: %s", err.msg);
    mk_run(&b, "mt", "1", "1", 0, NAN);
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == L2D_ENUMERIC, "NaN metric: %s", err.msg);
    mk_run(&b, "mt", "1", "1", 0, 0.3);
    b.pvals[2] = "1;2";
    tap_ok(l2d_store_write_run(st, eid, &b.r, &err) == L2D_EINVAL, "';' in a value: %s", err.msg);
    mk_run(&b, "mt", "1", "1", 0, 0.3);
    tap_ok(l2d_store_write_run(st, 999, &b.r, &err) == L2D_EINVAL && strstr(err.msg, "999"),
           "unknown experiment: %s", err.msg);
    tap_ok(count_runs(db) == n + 1, "none of them written");
}

/* v_summary against hand-computed numbers */
static void test_summary(struct l2d_store *st, int64_t eid)
{
    struct l2d_error err = {0};
    sqlite3 *db = l2d_store_sqlite(st);
    /* sard, beta 0.5, nu 1 has seeds 0 (risk 0.25) and 1 (0.5); add seed 2 (risk 1.0) */
    struct rec_buf b;
    mk_run(&b, "sard", "0.5", "1", 2, 1.0);
    int rc = l2d_store_write_run(st, eid, &b.r, &err);
    mk_run(&b, "sard", "1", "1", 0, 0.125);
    if (!rc) rc = l2d_store_write_run(st, eid, &b.r, &err);
    /* a failed run of the same setting: not in the summary */
    mk_run(&b, "sard", "1", "1", 1, 0.9);
    b.r.status = "failed";
    b.r.error = "boom";
    if (!rc) rc = l2d_store_write_run(st, eid, &b.r, &err);
    tap_ok(rc == 0, "more runs (%s)", rc ? err.msg : "ok");

    const char *where = " FROM v_summary WHERE experiment = 'sweep' AND method = 'sard' AND "
                        "params = 'cost.beta_scale=0.5;train.nu=1;surrogate.name=ce' AND split = 'test' AND "
                        "attack = 'clean' AND metric = 'risk'";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT n%s", where);
    is_int(q_int(db, sql), 3, "v_summary n over seeds");
    /* risks 0.25, 0.5, 1.0: mean 7/12, sample variance ((1/3)^2 + (1/12)^2 + (5/12)^2) / 2 = 7/48 */
    snprintf(sql, sizeof sql, "SELECT mean%s", where);
    tap_close(q_dbl(db, sql), 7.0 / 12, 1e-15, 0, "v_summary mean");
    snprintf(sql, sizeof sql, "SELECT var%s", where);
    tap_close(q_dbl(db, sql), 7.0 / 48, 1e-15, 0, "v_summary var");
    snprintf(sql, sizeof sql, "SELECT std%s", where);
    tap_close(q_dbl(db, sql), sqrt(7.0 / 48), 1e-15, 0, "v_summary std");
    /* accuracy = 1 - risk: same spread */
    tap_close(q_dbl(db, "SELECT std FROM v_summary WHERE method = 'sard' AND params LIKE 'cost.beta_scale=0.5;%' "
                        "AND split = 'test' AND attack = 'clean' AND metric = 'accuracy'"),
              sqrt(7.0 / 48), 1e-15, 0, "v_summary std of accuracy");
    is_txt(q_txt(db, "SELECT n || '|' || mean || '|' || coalesce(var, 'NULL') || '|' || coalesce(std, 'NULL') "
                     "FROM v_summary WHERE method = 'sard' AND params LIKE 'cost.beta_scale=1;%' AND split = 'test' "
                     "AND attack = 'clean' AND metric = 'risk'"),
           "1|0.125|NULL|NULL", "one seed: std NULL, failed run left out");
    is_int(q_int(db, "SELECT count(*) FROM v_summary WHERE method = 'mt'"), 0, "failed-only setting absent");
    is_int(q_int(db, "SELECT count(*) FROM v_summary"), 4 + 4, "one row per setting, split, attack, metric");
    /* agent summary: the same agent numbers in each of the 4 done sard runs */
    is_txt(q_txt(db, "SELECT n || '|' || agent_name || '|' || mean || '|' || std FROM v_agent_summary WHERE "
                     "params LIKE 'cost.beta_scale=0.5;%' AND agent_index = 1 AND metric = 'accuracy'"),
           "3|expert1|0.625|0.0", "v_agent_summary");
    /* filtering on one parameter */
    is_int(q_int(db, "SELECT count(DISTINCT run_id) FROM v_run_metrics WHERE key = 'cost.beta_scale' AND "
                     "value_num = 0.5"),
           3, "v_run_metrics: runs with beta_scale 0.5");
    tap_close(q_dbl(db, "SELECT avg(value) FROM v_run_metrics WHERE key = 'train.nu' AND value_num = 1 AND "
                        "split = 'test' AND attack = 'clean' AND metric = 'risk'"),
              (0.25 + 0.5 + 1.0 + 0.125) / 4, 1e-15, 0, "v_run_metrics: mean risk at nu = 1");
}

static void test_refusals(void)
{
    struct l2d_error err = {0};
    struct l2d_store *st = NULL;
    /* newer schema */
    sqlite3 *db = NULL;
    sqlite3_open(path_in("r.db"), &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    int rc = l2d_store_open(path_in("r.db"), &st, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && !st && strstr(err.msg, "version 99 is newer") && strstr(err.msg, "r.db"),
           "newer schema refused: %s", err.msg);
    rc = l2d_store_open_readonly(path_in("r.db"), &st, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && !st, "newer schema refused read-only: %s", err.msg);
    sqlite3_open(path_in("r.db"), &db);
    char back[64];
    snprintf(back, sizeof back, "PRAGMA user_version = %d", L2D_STORE_SCHEMA_VERSION);
    sqlite3_exec(db, back, NULL, NULL, NULL);
    sqlite3_close(db);
    rc = l2d_store_open_readonly(path_in("r.db"), &st, &err);
    tap_ok(rc == 0 && st, "read-only open (%s)", rc ? err.msg : "ok");
    if (st) {
        int done = -1;
        rc = l2d_store_run_done(st, 1, "method=sard;cost.beta_scale=0.5;train.nu=1;seed=0", &done, &err);
        tap_ok(rc == 0 && done == 1, "read-only: run_done");
        struct rec_buf b;
        mk_run(&b, "x", "1", "1", 0, 0.5);
        tap_ok(l2d_store_write_run(st, 1, &b.r, &err) != 0, "read-only: write refused: %s", err.msg);
    }
    l2d_store_close(st);
    st = NULL;

    /* another application's SQLite database */
    sqlite3_open(path_in("other.db"), &db);
    sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
    sqlite3_close(db);
    rc = l2d_store_open(path_in("other.db"), &st, &err);
    tap_ok(rc == L2D_EINVAL && !st && strstr(err.msg, "not an l2d results database"), "foreign database refused: %s",
           err.msg);
    is_int(q_int((sqlite3_open(path_in("other.db"), &db), db), "SELECT count(*) FROM sqlite_schema"), 1,
           "and left as it was");
    sqlite3_close(db);
    /* not SQLite at all */
    FILE *f = fopen(path_in("text.db"), "w");
    if (f) {
        fputs("this is not a database, but it is long enough to have a header of sorts............\n", f);
        fclose(f);
    }
    rc = l2d_store_open(path_in("text.db"), &st, &err);
    tap_ok(rc != 0 && !st && strstr(err.msg, "text.db") && strstr(err.msg, "not a database"),
           "text file refused: %s", err.msg);
    rc = l2d_store_open_readonly(path_in("text.db"), &st, &err);
    tap_ok(rc != 0 && !st && strstr(err.msg, "not a database"), "text file refused read-only: %s", err.msg);
    /* missing */
    rc = l2d_store_open(path_in("no/such/dir/r.db"), &st, &err);
    tap_ok(rc == L2D_EIO && !st && strstr(err.msg, "directory does not exist"), "missing directory: %s", err.msg);
    rc = l2d_store_open_readonly(path_in("absent.db"), &st, &err);
    tap_ok(rc == L2D_EIO && !st && strstr(err.msg, "no such file"), "read-only: missing file: %s", err.msg);
    tap_ok(access(path_in("absent.db"), F_OK) != 0, "read-only open created nothing");
}

/* two connections on one file, as two workers would have */
static void test_two_writers(void)
{
    struct l2d_error err = {0};
    struct l2d_store *a = NULL, *b = NULL;
    int rc = l2d_store_open(path_in("new.db"), &a, &err);
    if (!rc) rc = l2d_store_open(path_in("new.db"), &b, &err);
    int64_t ea = 0, eb = 0;
    if (!rc) rc = l2d_store_experiment(a, "e", "c", 7, "v", 0, NULL, &ea, &err);
    if (!rc) rc = l2d_store_experiment(b, "e", "c", 7, "v", 0, NULL, &eb, &err);
    tap_ok(rc == 0 && ea == eb, "two connections find one experiment (%s)", rc ? err.msg : "ok");
    struct rec_buf r;
    mk_run(&r, "sard", "1", "1", 0, 0.5);
    if (!rc) rc = l2d_store_write_run(a, ea, &r.r, &err);
    int done = 0;
    if (!rc) rc = l2d_store_run_done(b, eb, r.cell, &done, &err);
    tap_ok(rc == 0 && done == 1, "a run written by one is done for the other");
    l2d_store_close(a);
    l2d_store_close(b);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/l2d-store.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) tap_skip_all("cannot make a temporary directory");
    tap_plan(88);
    test_schema_text();
    test_sqrt_fallback();
    struct l2d_store *st = NULL;
    test_open_new(&st);
    if (st) {
        int64_t eid = 0;
        test_experiment(st, &eid);
        test_write_read(st, eid);
        test_failed_and_resume(st, eid);
        test_rollback(st, eid);
        test_summary(st, eid);
        l2d_store_close(st);
    }
    test_refusals();
    test_two_writers();
    cleanup();
    return tap_done();
}
