/* Internals of `l2d report` shared by report*.c (not for other users):
 * what is read from the database (experiments as tables of rows and
 * v_summary entries), the columns a layout makes of it, and the steps
 * l2d_report runs: load, lay out, add a paper's numbers, write. */
#ifndef L2D_HOST_REPORT_IMPL_H
#define L2D_HOST_REPORT_IMPL_H
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/paper.h"
#include "host/report.h"
#include "host/store.h"

struct row {
    char *method, *params;
    int64_t n;   /* finished runs (seeds); -1 for a paper's row */
    double *pv;  /* a paper's row: its number in each column (NaN: none) */
    int *pdec;   /* and the paper's precision */
};

/* one v_summary line of a table's experiment */
struct entry {
    size_t row;
    char *attack, *metric;
    int64_t n;
    double mean, var; /* var NaN for one seed */
};

struct col {
    char *label, *attack, *metric;
    double scale; /* shown as value * scale */
    int decimals;
};

struct table {
    int64_t id;
    char *title;
    struct row *rows;
    size_t nrows;
    struct entry *ents;
    size_t nents;
    struct col *cols;
    size_t ncols;
    char **agents; /* agent names by index (entries may be NULL) */
    size_t nagents;
    char *config;  /* the experiment's configuration text */
    char *sub;     /* the subtitle, when not the layout's */
    const char *head; /* the first column's header (NULL: "method") */
    int with_paper; /* holds a paper's rows */
    int hidden;    /* nothing to show in this layout (when listing every experiment) */
};

struct report {
    struct l2d_store *st;
    sqlite3 *db;
    const char *path;
    const struct l2d_report_opts *o;
    const char *split, *attack;
    const struct l2d_paper *paper;
    struct table *t;
    size_t nt;
};

static inline char *dupstr(const char *s) { return strdup(s ? s : ""); }

static inline char *fmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *fmt_alloc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static inline int nomem(struct report *r, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_ENOMEM, "%s: report: out of memory", r->path);
}

/* make room in *p (n used, *cap allocated) for one more element of size sz */
static inline int grow(void *p, size_t n, size_t *cap, size_t sz)
{
    void **pp = p;
    if (n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 8;
    void *q = realloc(*pp, nc * sz);
    if (!q) return -1;
    *pp = q;
    *cap = nc;
    return 0;
}

/* ---- report_load.c: reading the database ---- */

/* The experiments (all, or the one asked for), one table each. */
int l2d_report_load_experiments(struct report *r, struct l2d_error *err);
/* A table's rows: one per method and parameters with finished runs. */
int l2d_report_load_rows(struct report *r, struct table *t, struct l2d_error *err);
/* A table's v_summary entries on the split (and attack). */
int l2d_report_load_entries(struct report *r, struct table *t, struct l2d_error *err);
/* A table's agent names by index. */
int l2d_report_load_agents(struct report *r, struct table *t, struct l2d_error *err);
/* The agents' own metric into t, whose rows hold the agent index in n. */
int l2d_report_load_agent_metric(struct report *r, const struct table *parent, struct table *t,
                                 const char *metric, struct l2d_error *err);

/* ---- report_layout.c: columns ---- */

int l2d_report_add_col(struct table *t, size_t *cap, const char *label, const char *attack,
                       const char *metric, double scale, int decimals);
long l2d_report_attack_rank(const struct table *t, const char *a);
/* The columns of t in the layout asked for; -1: out of memory. */
int l2d_report_make_cols(struct report *r, struct table *t);
int l2d_report_check_requested(struct report *r, struct l2d_error *err);

/* ---- report_paper.c ---- */

int l2d_report_add_paper(struct report *r, struct l2d_error *err);

/* ---- report_write.c: Markdown, LaTeX, CSV ---- */

/* The entry of row in column c, or NULL. */
const struct entry *l2d_report_find(const struct table *t, size_t row, const struct col *c);
int l2d_report_write_table(const struct report *r, const struct table *t, FILE *out, int first);
int l2d_report_write_csv(const struct report *r, FILE *out);
#endif
