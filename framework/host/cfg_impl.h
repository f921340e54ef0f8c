/* Internals of the configuration shared by config*.c (not for other users). */
#ifndef L2D_HOST_CFG_IMPL_H
#define L2D_HOST_CFG_IMPL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host/cfg.h"

/* Where something was written: file:line in [sec] key, or, with file NULL,
 * on the command line as "--set sec.key". line 0: the file as a whole
 * (a default, or a section that is absent). */
struct l2d_origin {
    char *file;
    int line;
    char *sec;
    char *key; /* NULL for a section header */
};

struct l2d_cfg_entry {
    size_t sec; /* index into secs */
    char *key;
    char *value;
    struct l2d_origin at;
};

struct l2d_cfg_sec {
    char *name;
    struct l2d_origin at;
};

struct l2d_cfg {
    char *path;
    char *name; /* default experiment name: the file's base name */
    char *db;   /* cache for l2d_cfg_db */
    char *text; /* cache for l2d_cfg_text, dropped on change */
    struct l2d_cfg_sec *secs;
    size_t nsec, capsec;
    struct l2d_cfg_entry *ents;
    size_t nent, capent;
};

/* "file:line: [sec] key", "file: [sec] key", "--set sec.key". */
const char *l2d_origin_format(const struct l2d_origin *at, char *buf, size_t n);

const struct l2d_cfg_entry *l2d_cfg_find(const struct l2d_cfg *cfg, const char *section,
                                         const char *key);
/* Set a value with its origin (copied), adding key and section as needed. */
int l2d_cfg_put(struct l2d_cfg *cfg, const char *section, const char *key, const char *value,
                const struct l2d_origin *at, struct l2d_error *err);
/* Remove a section and its keys (nothing if absent). */
void l2d_cfg_drop_section(struct l2d_cfg *cfg, const char *section);

/* Split "section.key" of --set, [sweep] and [method.*]: the last dot
 * separates the key, except after "sweep." and "method.NAME.". Both parts
 * are checked names, lowercased. 0 on success, -1 if malformed. */
int l2d_cfg_split_target(const char *text, char **section, char **key);

/* Split at sep into trimmed items (empty ones kept, as ""); -1: out of
 * memory. Free with l2d_list_free. */
int l2d_split_list(const char *text, char sep, char ***items, size_t *n);
void l2d_list_free(char **items, size_t n);

/* [a-z0-9_.-]+ (section and key names), [a-z0-9_-]+ (agent and method names). */
int l2d_cfg_name_ok(const char *s, int dots);

/* What l2d_cfg_expand and l2d_cfg_validate share: the methods and the
 * sweep of a configuration, parsed and checked. */
struct l2d_sweep_key {
    char *sec, *key;   /* target */
    char **values;
    size_t nvalues;
    const struct l2d_cfg_entry *entry; /* the [sweep] line */
};
struct l2d_plan {
    size_t nmethods;       /* 0: no [method.*] sections */
    const char **methods;  /* section names "method.NAME" */
    size_t nsweep;
    struct l2d_sweep_key *sweep;
    int64_t *seeds;
    size_t nseeds;
    size_t ncombos;        /* max(nmethods, 1) x product of nvalues */
};
int l2d_plan_make(const struct l2d_cfg *cfg, struct l2d_plan *plan, struct l2d_error *err);
void l2d_plan_free(struct l2d_plan *plan);
/* Combination k (0 <= k < ncombos) as a method index and a value index per
 * sweep key (choice[nsweep]). */
void l2d_plan_combo(const struct l2d_plan *plan, size_t k, size_t *method, size_t *choice);
/* The configuration of one combination, seeds left as they are. */
int l2d_plan_apply(const struct l2d_cfg *cfg, const struct l2d_plan *plan, size_t method,
                   const size_t *choice, struct l2d_cfg **out, struct l2d_error *err);

/* Fill a cell of combination (method, choice) and seed from its
 * configuration c (taken over, also on error); cell->key is left empty. */
int l2d_cell_fill(const struct l2d_cfg *cfg, const struct l2d_plan *plan, size_t method,
                  const size_t *choice, int64_t seed, struct l2d_cfg *c,
                  struct l2d_cell *cell, struct l2d_error *err);
void l2d_cells_free_one(struct l2d_cell *c);

/* ---- shared by config*.c (config.c unless said) ---- */

/* Lowercase in place; trim blanks at both ends in place, returning the start. */
void l2d_cfg_lower(char *s);
char *l2d_cfg_trim(char *s);
void l2d_origin_free(struct l2d_origin *at);
/* Drop the caches (canonical text, default db) after a change. */
void l2d_cfg_changed(struct l2d_cfg *cfg);
/* The index of section name, or -1. */
long l2d_cfg_find_sec(const struct l2d_cfg *cfg, const char *name);
/* Append section name with its origin (copied); its index, or -1: out of memory. */
long l2d_cfg_add_sec(struct l2d_cfg *cfg, const char *name, const struct l2d_origin *at);
/* An empty configuration of the file path; NULL: out of memory. */
struct l2d_cfg *l2d_cfg_new(const char *path);
/* config_scan.c: the sections and keys of the INI file f (read from the
 * start) into cfg, with their lines, values left empty; checks names,
 * repeats, quotes and line lengths. */
int l2d_cfg_scan(struct l2d_cfg *cfg, const char *path, FILE *f, struct l2d_error *err);
#endif
