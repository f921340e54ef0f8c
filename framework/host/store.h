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
#define L2D_STORE_SCHEMA_VERSION 3

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
