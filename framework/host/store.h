/* The results database (SQLite): one file per sweep or shard, schema in
 * results/schema.sql. Each finished run is written in one transaction, so a
 * database is never left with half a run, and a re-run skips the cells
 * already done (resume). Several processes may write the same file (WAL,
 * busy timeout, BEGIN IMMEDIATE). */
#ifndef L2D_HOST_STORE_H
#define L2D_HOST_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"
#include "host/record.h"

/* The schema version this code writes and reads (PRAGMA user_version). */
#define L2D_STORE_SCHEMA_VERSION 4

struct l2d_store;
struct sqlite3;

/* A plugin an experiment used (kind "dataset", "agent", "surrogate", "attack"). */
struct l2d_plugin_use {
    const char *kind, *name, *version, *path; /* path may be NULL */
};

/* Open PATH for reading and writing; create the file and its schema when it
 * does not exist (the directory must), upgrade an older schema. Refuses a
 * file that is not SQLite, a SQLite file that is not an l2d database, and a
 * schema newer than L2D_STORE_SCHEMA_VERSION. */
int l2d_store_open(const char *path, struct l2d_store **out, struct l2d_error *err);

/* Open an existing database read-only (reports): nothing is created or
 * upgraded; the schema must be exactly L2D_STORE_SCHEMA_VERSION. */
int l2d_store_open_readonly(const char *path, struct l2d_store **out, struct l2d_error *err);

void l2d_store_close(struct l2d_store *st);

/* The experiment named NAME with this config hash: its id, created (with its
 * plugins) when new, the existing one otherwise. */
int l2d_store_experiment(struct l2d_store *st, const char *name, const char *config_text,
                         uint64_t config_hash, const char *code_version, size_t nplugins,
                         const struct l2d_plugin_use *plugins, int64_t *experiment_id,
                         struct l2d_error *err);

/* *done = 1 when the cell has a finished ('done') run, else 0 (none, or failed). */
int l2d_store_run_done(struct l2d_store *st, int64_t experiment_id, const char *cell_id, int *done,
                       struct l2d_error *err);

/* Write one run (row, parameters, epochs, metrics) in one transaction. A
 * failed run of the same cell is replaced; a done one is an error. On any
 * error nothing of this run is left in the database. */
int l2d_store_write_run(struct l2d_store *st, int64_t experiment_id, const struct l2d_run_record *rec,
                        struct l2d_error *err);

/* ---- schema version 3: identity, experiment_runs, claims ---- */

/* BEGIN IMMEDIATE / COMMIT (rolled back when it fails) / ROLLBACK if open. */
int l2d_store_begin(struct l2d_store *st, struct l2d_error *err);
int l2d_store_commit(struct l2d_store *st, struct l2d_error *err);
void l2d_store_rollback(struct l2d_store *st);

/* What the database knows of each cell_key of experiments named EXPERIMENT:
 * a done run (the oldest) if any, else the latest failed one. Sorted by key,
 * one entry per key; *out malloc'ed. */
struct l2d_key_state {
    char key[33];
    int64_t run_id, experiment_id;
    int done;
    double finished_at;
};
int l2d_store_key_states(struct l2d_store *st, const char *experiment, struct l2d_key_state **out,
                         size_t *n, struct l2d_error *err);
const struct l2d_key_state *l2d_key_state_find(const struct l2d_key_state *v, size_t n, const char *key);

/* List run_id as the answer to the experiment's cell cell_id (replaces any). */
int l2d_store_link(struct l2d_store *st, int64_t experiment_id, int64_t run_id, const char *cell_id,
                   const char *method, const char *params, struct l2d_error *err);

/* List the (oldest) done run of the experiment name and cell_key as the
 * answer to the experiment's cell cell_id, unless a done run answers it. */
int l2d_store_link_done(struct l2d_store *st, int64_t experiment_id, const char *cell_key, const char *cell_id,
                        const char *method, const char *params, struct l2d_error *err);

/* Claims: a worker takes a cell before training it. owner: l2d_store_owner's
 * "host:pid:random". l2d_store_claim, in one transaction: *state =
 * L2D_CLAIM_DONE when a run of the same experiment name and cell_key is done,
 * L2D_CLAIM_FAILED when one failed at or after failed_since (Unix time: this
 * sweep already tried it), L2D_CLAIM_BUSY when another owner holds a live
 * claim, else L2D_CLAIM_TAKEN (a claim expiring lease_s from now; an expired
 * claim, or one of a process gone from this host, is taken over). */
enum { L2D_CLAIM_TAKEN, L2D_CLAIM_DONE, L2D_CLAIM_FAILED, L2D_CLAIM_BUSY };
void l2d_store_owner(char *buf, size_t n);
int l2d_store_claim(struct l2d_store *st, int64_t experiment_id, const char *cell_key, const char *owner,
                    double lease_s, double failed_since, int *state, struct l2d_error *err);
int l2d_store_claim_renew(struct l2d_store *st, const char *owner, double lease_s, struct l2d_error *err);
int l2d_store_claim_release(struct l2d_store *st, const char *owner, struct l2d_error *err);

/* Runs recorded before schema version 3 have no cell_key: the experiments
 * named EXPERIMENT that hold such runs (ids and config texts, malloc'ed),
 * the version of a plugin an experiment used (-1: not recorded), and the
 * update of one run's identity (only where it has none). */
int l2d_store_unkeyed(struct l2d_store *st, const char *experiment, int64_t **ids, char ***texts, size_t *n,
                      struct l2d_error *err);
int l2d_store_plugin_version(struct l2d_store *st, int64_t experiment_id, const char *kind, const char *name,
                             char *buf, size_t n);
int l2d_store_set_key(struct l2d_store *st, int64_t experiment_id, const char *cell_id, const char *cell_key,
                      const char *setting_key, struct l2d_error *err);

/* Merge databases IN into OUT (created or upgraded), in one transaction:
 * experiments by (name, config hash), runs by (experiment name, cell_key):
 * a done run is copied once, a done run replaces a failed one, a failed run
 * is copied only where OUT has none; every experiment's list of runs
 * (experiment_runs) follows. Merging again changes nothing. Inputs must be
 * at this schema version with every run keyed (l2d run writes them so).
 * *copied / *skipped count runs. */
int l2d_store_merge(const char *out, const char *const *in, size_t nin, size_t *copied, size_t *skipped,
                    struct l2d_error *err);

/* The connection, for read queries (reports, tests). Owned by st. */
struct sqlite3 *l2d_store_sqlite(struct l2d_store *st);

/* The path the store was opened with. */
const char *l2d_store_path(const struct l2d_store *st);

/* The schema SQL embedded in the library (results/schema.sql). */
const char *l2d_store_schema_sql(void);

/* Register a scalar sqrt(x) on db (NULL for NULL or negative x), as the math
 * functions do; the store calls it when SQLite was built without them. */
int l2d_store_register_sqrt(struct sqlite3 *db);
#endif
