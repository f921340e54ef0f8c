/* Results schema 1 -> 2 on a real version-1 database (the fixture
 * t/data/migrate/results_v1.sql, made by make_results_v1.sh from the
 * version-1 schema): every old row is kept as it was, the new columns are
 * there (NULL in old runs), the database ends up shaped exactly as a new
 * one, runs written afterwards record their device, and a migration that
 * fails leaves the database at version 1, untouched. */
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
    static const char *const base[] = {"v1.db", "bad.db", "fresh.db", "ro.db"};
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
    for (size_t b = 0; b < sizeof base / sizeof *base; b++)
        for (size_t e = 0; e < sizeof ext / sizeof *ext; e++) {
            char name[64];
            snprintf(name, sizeof name, "%s%s", base[b], ext[e]);
            unlink(path_in(name));
        }
    rmdir(dir);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* The text of the first column of the first row: malloc'ed; "<NULL>" for
 * NULL, "<none>" for no row or an error. */
static char *q_txt(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    const char *t = "<none>";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) tap_diag("%s: %s", sql, sqlite3_errmsg(db));
    else if (sqlite3_step(s) == SQLITE_ROW)
        t = sqlite3_column_type(s, 0) == SQLITE_NULL ? "<NULL>" : (const char *)sqlite3_column_text(s, 0);
    char *out = strdup(t ? t : "<NULL>");
    sqlite3_finalize(s);
    return out;
}

static int is_q(sqlite3 *db, const char *sql, const char *want, const char *what)
{
    char *got = q_txt(db, sql);
    int ok = got && !strcmp(got, want);
    tap_ok(ok, "%s: '%s'", what, got ? got : "?");
    if (!ok) tap_diag("want '%s'", want);
    free(got);
    return ok;
}

static double q_dbl(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    double v = NAN;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

static const char *const v1_tables[] = {"experiments", "experiment_plugins", "runs", "run_params",
                                        "epochs", "metrics", "agent_metrics"};
#define NT (sizeof v1_tables / sizeof *v1_tables)

/* Every row of a table, every column of cols ("a, b, c"), exactly (quote()
 * writes a REAL that reads back to the same double), in rowid order. */
static char *dump_table(sqlite3 *db, const char *table, const char *cols)
{
    char sql[2048], list[1024] = "";
    size_t len = 0;
    /* "a, b" -> "quote(a) || '|' || quote(b)" */
    char *copy = strdup(cols), *save = NULL;
    for (char *c = strtok_r(copy, ", ", &save); c; c = strtok_r(NULL, ", ", &save))
        len += (size_t)snprintf(list + len, sizeof list - len, "%squote(%s)", len ? " || '|' || " : "", c);
    free(copy);
    snprintf(sql, sizeof sql, "SELECT count(*) || ':' || coalesce(group_concat(r, char(10)), '') FROM "
                              "(SELECT %s AS r FROM %s ORDER BY rowid)", list, table);
    return q_txt(db, sql);
}

static char *columns_of(sqlite3 *db, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT group_concat(name, ', ') FROM pragma_table_info('%s')", table);
    return q_txt(db, sql);
}

/* The shape of a database: every table and view, with its columns (name,
 * type, not null, default, key). */
static char *shape(sqlite3 *db)
{
    return q_txt(db, "SELECT group_concat(o.type || ' ' || o.name || ' (' || "
                     "(SELECT group_concat(c.name || ' ' || c.type || ' ' || c.\"notnull\" || ' ' || "
                     "coalesce(c.dflt_value, '-') || ' ' || c.pk, ', ') FROM pragma_table_info(o.name) c) "
                     "|| ')', char(10)) FROM (SELECT type, name FROM sqlite_schema "
                     "WHERE type IN ('table', 'view') ORDER BY type, name) o");
}

static int load_fixture(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) tap_diag("loading the fixture: %s", db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return rc == SQLITE_OK;
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/l2d-migrate.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) tap_skip_all("cannot make a temporary directory");
    char *fixture = slurp(L2D_ABS_SRCDIR "/t/data/migrate/results_v1.sql");
    if (!fixture) tap_skip_all("no t/data/migrate/results_v1.sql");
    tap_plan(33);
    tap_ok(L2D_STORE_SCHEMA_VERSION == 4, "this code writes schema version 4");

    /* the fixture, as a version-1 database */
    tap_ok(load_fixture(path_in("v1.db"), fixture), "version-1 fixture loads");
    sqlite3 *db = NULL;
    sqlite3_open(path_in("v1.db"), &db);
    is_q(db, "PRAGMA user_version", "1", "fixture: user_version 1");
    is_q(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'device_name'", "0",
         "fixture: runs has no device_name");
    char *cols[NT], *before[NT];
    for (size_t t = 0; t < NT; t++) {
        cols[t] = columns_of(db, v1_tables[t]);
        before[t] = dump_table(db, v1_tables[t], cols[t]);
    }
    is_q(db, "SELECT (SELECT count(*) FROM runs) || ' runs, ' || (SELECT count(*) FROM metrics) || ' metrics'",
         "4 runs, 80 metrics", "fixture: 4 runs (2 done of 'legacy', 38 metrics each; a done one of 'old' "
         "with 4 and a failed one)");
    sqlite3_close(db);

    /* read-only: not upgraded, refused with what to do */
    struct l2d_error err = {0};
    struct l2d_store *st = NULL;
    int rc = l2d_store_open_readonly(path_in("v1.db"), &st, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && !st && strstr(err.msg, "version 1 is older") &&
               strstr(err.msg, "open it once for writing"),
           "read-only open of version 1 refused: %s", err.msg);

    /* the upgrade */
    rc = l2d_store_open(path_in("v1.db"), &st, &err);
    tap_ok(rc == 0 && st, "open for writing upgrades it (%s)", rc ? err.msg : "ok");
    if (!st) tap_skip_all("no upgraded database"); /* the plan is already out: counted as failed */
    db = l2d_store_sqlite(st);
    is_q(db, "PRAGMA user_version", "4", "user_version 4");
    int same = 1;
    for (size_t t = 0; t < NT; t++) {
        char *after = dump_table(db, v1_tables[t], cols[t]);
        if (strcmp(before[t], after)) {
            same = 0;
            tap_diag("%s changed:\n%s\n--- now:\n%s", v1_tables[t], before[t], after);
        }
        free(after);
    }
    tap_ok(same, "every row of the 7 version-1 tables is intact, every column, exactly");
    is_q(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('runs') WHERE cid >= 14)",
         "device_name,cuda_driver,cuda_runtime,cudnn,cell_key,setting_key,agents_seconds,train_seconds",
         "runs: the new columns (version 2's four, then version 4's four), at the end");
    is_q(db, "SELECT count(*) FROM runs WHERE device_name IS NULL AND cuda_driver IS NULL AND "
             "cuda_runtime IS NULL AND cudnn IS NULL",
         "4", "old runs: NULL in the new columns");
    /* values that would show a loss */
    is_q(db, "SELECT error FROM runs WHERE id = 101", "epoch 2: the training loss is not finite (inf)",
         "the failed run keeps its error");
    is_q(db, "SELECT rejector_passes || '|' || best_epoch || '|' || device FROM runs WHERE id = 100",
         "123456789012|2|cpu", "64-bit passes, kept epoch, device");
    tap_ok(q_dbl(db, "SELECT value FROM metrics WHERE run_id = 100 AND attack = 'untargeted'") ==
               0.30000000000000004,
           "metric 0.30000000000000004 exact");
    tap_ok(q_dbl(db, "SELECT value FROM metrics WHERE run_id = 100 AND split = 'val'") == 1e-300,
           "metric 1e-300 exact");
    tap_ok(q_dbl(db, "SELECT started_at FROM runs WHERE id = 100") == 1700000000.125, "started_at exact");
    is_q(db, "SELECT group_concat(epoch || ':' || coalesce(val_loss, 'NULL'), ' ') FROM "
             "(SELECT * FROM epochs WHERE run_id = 100 ORDER BY epoch)",
         "1:1.5 2:NULL", "a curve with NULL kept");

    /* the views: the device shown, old runs included */
    is_q(db, "SELECT device || '|' || coalesce(device_name, 'NULL') || '|' || value FROM v_metrics "
             "WHERE run_id = 100 AND split = 'test' AND attack = 'clean' AND metric = 'risk'",
         "cpu|NULL|0.1", "v_metrics: device of an old run (name unknown: NULL)");
    is_q(db, "SELECT count(*) FROM v_metrics WHERE run_id = 101", "0", "v_metrics: the failed run left out");
    is_q(db, "SELECT n || '|' || mean || '|' || devices FROM v_summary WHERE experiment = 'old' AND "
             "split = 'test' AND attack = 'clean' AND metric = 'risk'",
         "1|0.1|cpu", "v_summary of old runs, with their devices");
    is_q(db, "SELECT count(*) || '|' || min(devices) || '|' || max(devices) FROM v_summary "
             "WHERE experiment = 'legacy'",
         "76|cpu|cpu", "v_summary: 'legacy', one row per metric of its 2 one-seed settings, on cpu");
    is_q(db, "SELECT count(*) FROM v_run_metrics WHERE key = 'train.nu' AND value_num = 0.5 AND device = 'cpu'",
         "4", "v_run_metrics follows v_metrics: its device column");

    /* the same shape as a new database */
    struct l2d_store *fresh = NULL;
    rc = l2d_store_open(path_in("fresh.db"), &fresh, &err);
    char *s_up = shape(db), *s_new = fresh ? shape(l2d_store_sqlite(fresh)) : NULL;
    tap_ok(rc == 0 && s_new && !strcmp(s_up, s_new), "upgraded and new databases: same tables, views, columns");
    if (s_new && strcmp(s_up, s_new)) tap_diag("upgraded:\n%s\nnew:\n%s", s_up, s_new);
    free(s_up);
    free(s_new);
    l2d_store_close(fresh);

    /* a run written now records its device; the old ones stay */
    const char *pk[] = {"cost.beta_scale", "seed"}, *pv[] = {"1", "0"};
    struct l2d_metric m[] = {{"test", "clean", "risk", 0.25}};
    struct l2d_run_record r = {
        .cell_id = "cost.beta_scale=1;seed=0", .method = "default", .seed = 0, .nparams = 2,
        .param_keys = pk, .param_values = pv, .status = "done", .device = "cuda:0",
        .started_at = 1.0, .finished_at = 2.0, .seconds = 1.0, .best_epoch = 1, .rejector_passes = 9,
        .nmetrics = 1, .metrics = m, .device_name = "NVIDIA H200", .cuda_driver = "12.8",
        .cuda_runtime = "13.0", .cudnn = "9.19.0"};
    rc = l2d_store_write_run(st, 1, &r, &err);
    tap_ok(rc == 0, "a run written after the upgrade (%s)", rc ? err.msg : "ok");
    is_q(db, "SELECT device || '|' || device_name || '|' || cuda_driver || '|' || cuda_runtime || '|' || cudnn "
             "FROM runs WHERE cell_id = 'cost.beta_scale=1;seed=0'",
         "cuda:0|NVIDIA H200|12.8|13.0|9.19.0", "its device recorded");
    is_q(db, "SELECT devices FROM v_summary WHERE experiment = 'legacy' AND params = 'cost.beta_scale=1' AND "
             "metric = 'risk'",
         "cuda:0", "v_summary: its device");
    is_q(db, "SELECT count(*) FROM runs", "5", "appended: 4 old runs + 1");
    l2d_store_close(st);
    st = NULL;

    /* opened again: nothing to do, and the same */
    rc = l2d_store_open(path_in("v1.db"), &st, &err);
    char *v = st ? q_txt(l2d_store_sqlite(st), "PRAGMA user_version") : NULL;
    tap_ok(rc == 0 && v && !strcmp(v, "4"), "reopened: version 4, nothing to do (%s)", rc ? err.msg : "ok");
    free(v);
    l2d_store_close(st);
    st = NULL;

    /* a migration that fails half way leaves the file as it was: a version-1
     * database where someone added a cudnn column by hand */
    tap_ok(load_fixture(path_in("bad.db"), fixture), "fixture loads again");
    sqlite3_open(path_in("bad.db"), &db);
    sqlite3_exec(db, "ALTER TABLE runs ADD COLUMN cudnn TEXT", NULL, NULL, NULL);
    char *bad_before = shape(db);
    sqlite3_close(db);
    rc = l2d_store_open(path_in("bad.db"), &st, &err);
    tap_ok(rc != 0 && !st && strstr(err.msg, "bad.db: upgrading the results schema from version 1 to 2: ") &&
               strstr(err.msg, "duplicate column") && !strchr(err.msg, '\n'),
           "failed migration reported, on one line: %s", err.msg);
    sqlite3_open(path_in("bad.db"), &db);
    is_q(db, "PRAGMA user_version", "1", "and the database is still version 1");
    char *bad_after = shape(db);
    tap_ok(bad_before && bad_after && !strcmp(bad_before, bad_after),
           "its tables and views as they were (the columns added before the failure rolled back)");
    char *runs_after = dump_table(db, "runs", cols[2]);
    tap_ok(runs_after && !strcmp(runs_after, before[2]), "its runs as they were");
    free(runs_after);
    free(bad_before);
    free(bad_after);
    sqlite3_close(db);

    for (size_t t = 0; t < NT; t++) {
        free(cols[t]);
        free(before[t]);
    }
    free(fixture);
    cleanup();
    return tap_done();
}
