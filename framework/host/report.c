/* `l2d report`: read v_summary (mean and variance over seeds) and lay it out
 * as tables. Everything is read first, then written, so that a bad request
 * (unknown metric, empty split) fails before any output. */
#include "config.h"

#include "host/report.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/paper.h"
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

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

static char *fmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_alloc(const char *fmt, ...)
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

static int nomem(struct report *r, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_ENOMEM, "%s: report: out of memory", r->path);
}

/* the status of a load loop: SQLITE_DONE is success */
static int load_status(struct report *r, int rc, struct l2d_error *err)
{
    if (rc == SQLITE_DONE || rc == SQLITE_OK) return 0;
    if (rc == SQLITE_NOMEM) return nomem(r, err);
    return l2d_seterr(err, L2D_EIO, "%s: report: %s", r->path, sqlite3_errmsg(r->db));
}

/* make room in *p (n used, *cap allocated) for one more element of size sz */
static int grow(void *p, size_t n, size_t *cap, size_t sz)
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

static const char *col_text(sqlite3_stmt *s, int k)
{
    const char *t = (const char *)sqlite3_column_text(s, k);
    return t ? t : "";
}

/* ---- loading ---- */

static int load_experiments(struct report *r, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT id, name, config_hash, (SELECT count(*) FROM experiments f "
                                "WHERE f.name = e.name), config_text FROM experiments e WHERE ?1 IS NULL OR name = ?1 ORDER BY id",
                                -1, &s, NULL);
    if (rc == SQLITE_OK && r->o->experiment)
        rc = sqlite3_bind_text(s, 1, r->o->experiment, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (grow(&r->t, r->nt, &cap, sizeof *r->t)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct table *t = &r->t[r->nt++];
        memset(t, 0, sizeof *t);
        t->id = sqlite3_column_int64(s, 0);
        /* a name repeats when its config changed: tell them apart by hash */
        t->title = sqlite3_column_int64(s, 3) > 1 ? fmt_alloc("%s [config %s]", col_text(s, 1), col_text(s, 2))
                                                   : dupstr(col_text(s, 1));
        t->config = dupstr(col_text(s, 4));
        if (!t->title || !t->config) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    if (ret) return ret;
    if (r->nt == 0 && r->o->experiment)
        return l2d_seterr(err, L2D_EINVAL, "%s: no experiment named '%s'", r->path, r->o->experiment);
    if (r->nt == 0) return l2d_seterr(err, L2D_EINVAL, "%s: no experiments in this results database", r->path);
    return 0;
}

static int load_rows(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT method, params, count(*) FROM runs WHERE experiment_id = ? AND "
                                "status = 'done' GROUP BY method, params ORDER BY min(id)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (grow(&t->rows, t->nrows, &cap, sizeof *t->rows)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct row *w = &t->rows[t->nrows++];
        memset(w, 0, sizeof *w);
        w->method = dupstr(col_text(s, 0));
        w->params = dupstr(col_text(s, 1));
        w->n = sqlite3_column_int64(s, 2);
        if (!w->method || !w->params) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}

static int load_entries(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT method, params, attack, metric, n, mean, var FROM v_summary "
                                "WHERE experiment_id = ?1 AND split = ?2 AND (?3 IS NULL OR attack = ?3)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, r->split, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && r->o->layout != L2D_REPORT_ROBUSTNESS)
        rc = sqlite3_bind_text(s, 3, r->attack, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        size_t row = 0;
        while (row < t->nrows && (strcmp(t->rows[row].method, col_text(s, 0)) ||
                                  strcmp(t->rows[row].params, col_text(s, 1))))
            row++;
        if (row == t->nrows) continue; /* both come from the done runs: cannot happen */
        if (grow(&t->ents, t->nents, &cap, sizeof *t->ents)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct entry *e = &t->ents[t->nents++];
        e->row = row;
        e->attack = dupstr(col_text(s, 2));
        e->metric = dupstr(col_text(s, 3));
        e->n = sqlite3_column_int64(s, 4);
        e->mean = sqlite3_column_double(s, 5);
        e->var = sqlite3_column_type(s, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 6);
        if (!e->attack || !e->metric) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}

/* Runs without agent metrics: the agents are the config's [agent.NAME]
 * sections, in order (the order the runner fits and indexes them). */
static int agents_from_config(struct table *t)
{
    size_t cap = 0;
    for (const char *p = t->config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "[agent.", 7)) continue;
        size_t len = strcspn(p + 7, "]\n");
        if (p[7 + len] != ']' || !len) continue;
        if (grow(&t->agents, t->nagents, &cap, sizeof *t->agents)) return -1;
        if (!(t->agents[t->nagents] = strndup(p + 7, len))) return -1;
        t->nagents++;
    }
    return 0;
}

static int load_agents(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT am.agent_index, max(am.agent_name) FROM agent_metrics am "
                                "JOIN runs ru ON ru.id = am.run_id WHERE ru.experiment_id = ? "
                                "AND am.agent_index < 10000 GROUP BY am.agent_index",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        size_t j = (size_t)sqlite3_column_int64(s, 0);
        if (j >= t->nagents) {
            char **a = realloc(t->agents, (j + 1) * sizeof *a);
            if (!a) {
                rc = SQLITE_NOMEM;
                break;
            }
            for (size_t k = t->nagents; k <= j; k++) a[k] = NULL;
            t->agents = a;
            t->nagents = j + 1;
        }
        if (!(t->agents[j] = dupstr(col_text(s, 1)))) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    if (!ret && !t->nagents && agents_from_config(t)) ret = nomem(r, err);
    return ret;
}

/* ---- columns ---- */

static int add_col(struct table *t, size_t *cap, const char *label, const char *attack, const char *metric,
                   double scale, int decimals)
{
    if (grow(&t->cols, t->ncols, cap, sizeof *t->cols)) return -1;
    struct col *c = &t->cols[t->ncols++];
    c->label = dupstr(label);
    c->attack = dupstr(attack);
    c->metric = dupstr(metric);
    c->scale = scale;
    c->decimals = decimals;
    return c->label && c->attack && c->metric ? 0 : -1;
}

/* attack NULL: under any attack */
static int has_metric(const struct table *t, const char *attack, const char *metric)
{
    for (size_t k = 0; k < t->nents; k++)
        if (!strcmp(t->ents[k].metric, metric) && (!attack || !strcmp(t->ents[k].attack, attack))) return 1;
    return 0;
}

/* J of "PREFIXJ" (J all digits), or -1 */
static long suffix_index(const char *s, const char *prefix)
{
    size_t n = strlen(prefix), d = strlen(s) - (strncmp(s, prefix, n) ? 0 : n);
    if (strncmp(s, prefix, n) || d == 0 || d > 6 || strspn(s + n, "0123456789") != d) return -1;
    return strtol(s + n, NULL, 10);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the distinct J of the alloc_J metrics under attack, ascending */
static int alloc_indices(const struct table *t, const char *attack, long **out, size_t *n)
{
    *n = 0;
    *out = malloc((t->nents + 1) * sizeof **out);
    if (!*out) return -1;
    for (size_t k = 0; k < t->nents; k++) {
        long j = suffix_index(t->ents[k].metric, "alloc_");
        if (j < 0 || strcmp(t->ents[k].attack, attack)) continue;
        size_t m = 0;
        while (m < *n && (*out)[m] != j) m++;
        if (m == *n) (*out)[(*n)++] = j;
    }
    qsort(*out, *n, sizeof **out, cmp_long);
    return 0;
}

/* the index of agent `name` in t, or -1 */
static long agent_index(const struct table *t, const char *name)
{
    for (size_t j = 0; j < t->nagents; j++)
        if (t->agents[j] && !strcmp(t->agents[j], name)) return (long)j;
    return -1;
}

/* clean, untargeted, then the targeted attacks by agent index (the model
 * first): "targeted:NAME" by the agent's index, "targeted:J" by J */
static long attack_rank(const struct table *t, const char *a)
{
    if (!strcmp(a, "clean")) return 0;
    if (!strcmp(a, "untargeted")) return 1;
    if (strncmp(a, "targeted:", 9)) return LONG_MAX;
    long j = agent_index(t, a + 9);
    if (j < 0) j = suffix_index(a, "targeted:");
    return j >= 0 ? 2 + j : LONG_MAX - 1;
}

/* sort the attack labels atk[0..n) by rank, then by name; n is small */
static void sort_attacks(const struct table *t, const char **atk, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const char *x = atk[i];
        long rx = attack_rank(t, x);
        size_t k = i;
        for (; k > 0; k--) {
            long ry = attack_rank(t, atk[k - 1]);
            if (ry < rx || (ry == rx && strcmp(atk[k - 1], x) <= 0)) break;
            atk[k] = atk[k - 1];
        }
        atk[k] = x;
    }
}

static int robustness_cols(struct report *r, struct table *t)
{
    size_t cap = 0;
    const char *m = r->o->nmetrics ? r->o->metrics[0] : "rmse";
    int pct = !strcmp(m, "accuracy") || !strcmp(m, "oracle_accuracy");
    const char **atk = malloc((t->nents + 1) * sizeof *atk);
    if (!atk) return -1;
    size_t na = 0;
    for (size_t k = 0; k < t->nents; k++) {
        if (strcmp(t->ents[k].metric, m)) continue;
        size_t a = 0;
        while (a < na && strcmp(atk[a], t->ents[k].attack)) a++;
        if (a == na) atk[na++] = t->ents[k].attack;
    }
    sort_attacks(t, atk, na);
    int rc = 0;
    for (size_t a = 0; a < na && !rc; a++) rc = add_col(t, &cap, atk[a], atk[a], m, pct ? 100 : 1, pct ? 1 : 4);
    free(atk);
    return rc;
}

static int make_cols(struct report *r, struct table *t)
{
    const struct l2d_report_opts *o = r->o;
    if (o->layout == L2D_REPORT_ROBUSTNESS) return robustness_cols(r, t);
    size_t cap = 0;
    int mt = o->layout == L2D_REPORT_MT_TABLE1;
    if (mt) {
        /* MT Table 1: Acc in %, one decimal; sL1 and allocations, two */
        if (add_col(t, &cap, "Acc", r->attack, "accuracy", 100, 1) ||
            add_col(t, &cap, "sL1", r->attack, "smooth_l1", 1, 2))
            return -1;
    } else if (o->nmetrics) {
        for (size_t k = 0; k < o->nmetrics; k++)
            if (add_col(t, &cap, o->metrics[k], r->attack, o->metrics[k], 1, 4)) return -1;
        return 0;
    } else {
        static const char *const first[] = {"risk", "accuracy", "rmse"};
        for (size_t k = 0; k < 3; k++)
            if (has_metric(t, r->attack, first[k]) && add_col(t, &cap, first[k], r->attack, first[k], 1, 4))
                return -1;
    }
    long *js;
    size_t nj;
    if (alloc_indices(t, r->attack, &js, &nj)) return -1;
    int rc = 0;
    for (size_t k = 0; k < nj && !rc; k++) {
        char metric[32];
        snprintf(metric, sizeof metric, "alloc_%ld", js[k]);
        int named = mt && (size_t)js[k] < t->nagents && t->agents[js[k]];
        rc = add_col(t, &cap, named ? t->agents[js[k]] : metric, r->attack, metric, 1, mt ? 2 : 4);
    }
    free(js);
    return rc;
}

/* "a, b, c": the distinct metric names under attack (NULL: any), sorted */
static void metric_names(const struct report *r, const char *attack, char *buf, size_t len)
{
    size_t total = 0, n = 0, used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < r->nt; k++) total += r->t[k].nents;
    const char **names = malloc((total + 1) * sizeof *names);
    if (!names) return;
    for (size_t k = 0; k < r->nt; k++)
        for (size_t e = 0; e < r->t[k].nents; e++)
            if (!attack || !strcmp(r->t[k].ents[e].attack, attack)) names[n++] = r->t[k].ents[e].metric;
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t k = 0; k < n && used + 1 < len; k++)
        if (!k || strcmp(names[k], names[k - 1]))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[k]);
    free(names);
}

/* A metric asked for by name must exist somewhere: else it is most likely a typo. */
static int check_requested(struct report *r, struct l2d_error *err)
{
    const struct l2d_report_opts *o = r->o;
    size_t nrows = 0, nents = 0;
    for (size_t k = 0; k < r->nt; k++) nrows += r->t[k].nrows, nents += r->t[k].nents;
    if (!nrows) return 0; /* nothing finished yet: the tables say so */
    const char *atk = o->layout == L2D_REPORT_ROBUSTNESS ? NULL : r->attack;
    char where[160];
    if (atk) snprintf(where, sizeof where, "split '%s', attack '%s'", r->split, atk);
    else snprintf(where, sizeof where, "split '%s'", r->split);
    if (!nents) return l2d_seterr(err, L2D_EINVAL, "%s: no metrics on %s", r->path, where);
    /* robustness always names its metric: rmse unless told */
    static const char *const rmse[] = {"rmse"};
    const char *const *names = o->nmetrics ? o->metrics : rmse;
    size_t want = o->layout == L2D_REPORT_ROBUSTNESS ? 1 : o->layout == L2D_REPORT_DEFAULT ? o->nmetrics : 0;
    for (size_t m = 0; m < want; m++) {
        int found = 0;
        for (size_t k = 0; k < r->nt && !found; k++) found = has_metric(&r->t[k], atk, names[m]);
        if (found) continue;
        char have[400];
        metric_names(r, atk, have, sizeof have);
        return l2d_seterr(err, L2D_EINVAL, "%s: no metric '%s' on %s (there are: %s)", r->path, names[m], where,
                          have);
    }
    return 0;
}

/* ---- a paper's numbers ---- */

static int method_is(const struct l2d_paper_row *p, const char *method)
{
    for (size_t k = 0; k < 3 && p->methods[k]; k++)
        if (!strcasecmp(p->methods[k], method)) return 1;
    return 0;
}

/* the agent targeted by column c, or -1 */
static long col_target(const struct table *t, const struct col *c)
{
    long rank = attack_rank(t, c->attack);
    return rank >= 2 && rank < LONG_MAX - 1 ? rank - 2 : -1;
}

/* a row "paper: LABEL" holding p's number in each of t's columns */
static int paper_row(const struct table *t, const struct l2d_paper_row *p, struct row *w)
{
    memset(w, 0, sizeof *w);
    w->n = -1;
    w->method = fmt_alloc("paper: %s", p->label);
    w->params = dupstr("");
    w->pv = malloc((t->ncols + 1) * sizeof *w->pv);
    w->pdec = malloc((t->ncols + 1) * sizeof *w->pdec);
    if (!w->method || !w->params || !w->pv || !w->pdec) return -1;
    for (size_t c = 0; c < t->ncols; c++) {
        const struct col *col = &t->cols[c];
        w->pv[c] = NAN;
        w->pdec[c] = 0;
        for (size_t k = 0; k < p->ncells; k++) {
            const struct l2d_paper_cell *cell = &p->cells[k];
            if (strcmp(cell->metric, col->metric)) continue;
            if (cell->attack ? strcmp(cell->attack, col->attack) : col_target(t, col) != cell->target) continue;
            w->pv[c] = cell->value;
            w->pdec[c] = cell->decimals;
        }
    }
    return 0;
}

static int matches_paper(const struct table *t, const struct l2d_paper *pp)
{
    for (size_t w = 0; w < t->nrows; w++)
        for (size_t k = 0; k < pp->nrows; k++)
            if (method_is(&pp->rows[k], t->rows[w].method)) return 1;
    return 0;
}

/* Put each paper row right under the last of our rows of its method, those
 * without one at the end; the entries follow their rows' new places. */
static int add_paper_rows(struct table *t, const struct l2d_paper *pp)
{
    size_t n = t->nrows + pp->nrows, m = 0;
    struct row *rows = calloc(n, sizeof *rows);
    size_t *map = malloc((t->nrows + 1) * sizeof *map);
    long *last = malloc((pp->nrows + 1) * sizeof *last);
    int rc = rows && map && last ? 0 : -1;
    for (size_t k = 0; !rc && k < pp->nrows; k++) {
        last[k] = -1;
        for (size_t w = 0; w < t->nrows; w++)
            if (method_is(&pp->rows[k], t->rows[w].method)) last[k] = (long)w;
    }
    for (size_t w = 0; !rc && w <= t->nrows; w++) {
        if (w < t->nrows) {
            map[w] = m;
            rows[m++] = t->rows[w];
        }
        for (size_t k = 0; !rc && k < pp->nrows; k++)
            if (w < t->nrows ? last[k] == (long)w : last[k] < 0) rc = paper_row(t, &pp->rows[k], &rows[m++]);
    }
    if (!rc) {
        for (size_t e = 0; e < t->nents; e++) t->ents[e].row = map[t->ents[e].row];
        free(t->rows);
        t->rows = rows;
        t->nrows = m;
        rows = NULL;
    } else if (rows) {
        /* our rows stay with t; free only the paper rows made so far */
        for (size_t k = 0; k < m; k++)
            if (rows[k].n < 0) free(rows[k].method), free(rows[k].params), free(rows[k].pv), free(rows[k].pdec);
    }
    free(rows);
    free(map);
    free(last);
    return rc;
}

/* One value per seed (the mean over that seed's runs: the agents are the
 * same for every method of a seed), then mean and sample variance over the
 * seeds, per agent. */
static int load_agent_metric(struct report *r, const struct table *parent, struct table *t, const char *metric,
                             struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                /* identical values stay exact: no rounding in the average */
                                "SELECT am.agent_index, ru.seed, CASE WHEN min(am.value) = max(am.value) "
                                "THEN min(am.value) ELSE avg(am.value) END FROM agent_metrics am "
                                "JOIN runs ru ON ru.id = am.run_id WHERE ru.experiment_id = ?1 AND "
                                "ru.status = 'done' AND am.split = ?2 AND am.name = ?3 "
                                "GROUP BY am.agent_index, ru.seed ORDER BY am.agent_index, ru.seed",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, parent->id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, r->split, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 3, metric, -1, SQLITE_STATIC);
    double *v = NULL;
    size_t nv = 0, cap = 0, ecap = 0;
    long cur = -1;
    for (int done = 0; rc == SQLITE_OK && !done;) {
        rc = sqlite3_step(s);
        done = rc == SQLITE_DONE;
        if (!done && rc != SQLITE_ROW) break;
        rc = SQLITE_OK;
        long j = done ? -2 : (long)sqlite3_column_int64(s, 0);
        if (cur >= 0 && j != cur && nv) {
            /* agent `cur` is complete: its row is the index-th of t */
            size_t row = 0;
            while (row < t->nrows && t->rows[row].n != (int64_t)cur) row++;
            if (row < t->nrows && !grow(&t->ents, t->nents, &ecap, sizeof *t->ents)) {
                double mean = 0, ss = 0;
                for (size_t k = 0; k < nv; k++) mean += v[k];
                mean /= (double)nv;
                for (size_t k = 0; k < nv; k++) ss += (v[k] - mean) * (v[k] - mean);
                struct entry *e = &t->ents[t->nents++];
                *e = (struct entry){row, dupstr("agent"), dupstr(metric), (int64_t)nv, mean,
                                    nv > 1 ? ss / (double)(nv - 1) : NAN};
                if (!e->attack || !e->metric) rc = SQLITE_NOMEM;
            } else if (row < t->nrows) {
                rc = SQLITE_NOMEM;
            }
            nv = 0;
        }
        if (done || rc != SQLITE_OK) break;
        cur = j;
        if (grow(&v, nv, &cap, sizeof *v)) rc = SQLITE_NOMEM;
        else v[nv++] = sqlite3_column_double(s, 2);
    }
    free(v);
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}

/* The agents' own metric, ours (one row per agent, mean ± std over seeds)
 * with the paper's right under each, agents matched by index. */
static int agents_table(struct report *r, const struct table *parent, struct table *t, struct l2d_error *err)
{
    const struct l2d_paper *pp = r->paper;
    memset(t, 0, sizeof *t);
    t->id = parent->id;
    t->head = "agent";
    t->title = fmt_alloc("%s: agents", parent->title);
    t->sub = fmt_alloc("their own %s, split %s; paper: %s", pp->agent_metric, r->split, pp->title);
    size_t cap = 0;
    if (!t->title || !t->sub || add_col(t, &cap, pp->agent_metric, "agent", pp->agent_metric, 1, 4)) return nomem(r, err);
    size_t na = parent->nagents > pp->nagents ? parent->nagents : pp->nagents;
    t->rows = calloc(2 * na + 1, sizeof *t->rows);
    if (!t->rows) return nomem(r, err);
    /* first our agents alone, with n holding the agent's index for loading */
    for (size_t j = 0; j < parent->nagents; j++) {
        struct row *w = &t->rows[t->nrows++];
        w->method = parent->agents[j] ? dupstr(parent->agents[j]) : fmt_alloc("agent %zu", j);
        w->params = dupstr("");
        w->n = (int64_t)j;
        if (!w->method || !w->params) return nomem(r, err);
    }
    int rc = load_agent_metric(r, parent, t, pp->agent_metric, err);
    if (rc) return rc;
    for (size_t w = 0; w < t->nrows; w++) t->rows[w].n = 0;
    for (size_t e = 0; e < t->nents; e++) t->rows[t->ents[e].row].n = t->ents[e].n;
    /* then the paper's agents, each after ours of the same index */
    struct row *rows = calloc(2 * na + 1, sizeof *rows);
    size_t *map = malloc((t->nrows + 1) * sizeof *map);
    if (!rows || !map) {
        free(rows);
        free(map);
        return nomem(r, err);
    }
    struct l2d_paper_row prow = {.ncells = 1};
    size_t m = 0;
    for (size_t j = 0; !rc && j < na; j++) {
        if (j < t->nrows) map[j] = m, rows[m++] = t->rows[j];
        if (j >= pp->nagents) continue;
        prow.label = pp->agents[j].label;
        prow.cells[0] = (struct l2d_paper_cell){"agent", -1, pp->agent_metric, pp->agents[j].value,
                                                pp->agents[j].decimals};
        if (paper_row(t, &prow, &rows[m++])) rc = nomem(r, err);
    }
    for (size_t e = 0; e < t->nents; e++) t->ents[e].row = map[t->ents[e].row];
    free(t->rows);
    t->rows = rows;
    t->nrows = m;
    free(map);
    return rc;
}

/* The paper's rows into the tables shown that have one of its methods (into
 * every table shown when none has), and the agents' table after each. */
static int add_paper(struct report *r, struct l2d_error *err)
{
    const struct l2d_paper *pp = r->paper;
    int any = 0;
    for (size_t k = 0; k < r->nt; k++) any |= !r->t[k].hidden && matches_paper(&r->t[k], pp);
    struct table *all = calloc(2 * r->nt + 1, sizeof *all);
    if (!all) return nomem(r, err);
    size_t n = 0;
    int rc = 0;
    for (size_t k = 0; k < r->nt; k++) {
        struct table *t = &r->t[k];
        int with = !rc && !t->hidden && (!any || matches_paper(t, pp));
        if (with && add_paper_rows(t, pp)) rc = nomem(r, err);
        t->with_paper = with;
        all[n++] = *t;
        if (with && !rc && pp->agent_metric) rc = agents_table(r, t, &all[n++], err);
    }
    free(r->t);
    r->t = all;
    r->nt = n;
    return rc;
}

/* ---- writing ---- */

static const struct entry *find(const struct table *t, size_t row, const struct col *c)
{
    for (size_t k = 0; k < t->nents; k++) {
        const struct entry *e = &t->ents[k];
        if (e->row == row && !strcmp(e->metric, c->metric) && !strcmp(e->attack, c->attack)) return e;
    }
    return NULL;
}

/* display width: UTF-8 continuation bytes take no column */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static int any_params(const struct table *t)
{
    for (size_t k = 0; k < t->nrows; k++)
        if (*t->rows[k].params) return 1;
    return 0;
}

static char *latex_escape(const char *s)
{
    char *out = malloc(strlen(s) * 17 + 1), *q = out;
    if (!out) return NULL;
    for (; *s; s++) {
        switch (*s) {
        case '_': case '%': case '$': case '#': case '&': case '{': case '}':
            *q++ = '\\';
            *q++ = *s;
            break;
        case '\\': q += sprintf(q, "\\textbackslash{}"); break;
        case '~': q += sprintf(q, "\\textasciitilde{}"); break;
        case '^': q += sprintf(q, "\\textasciicircum{}"); break;
        default: *q++ = *s;
        }
    }
    *q = '\0';
    return out;
}

static char *text(int tex, const char *s) { return tex ? latex_escape(s) : dupstr(s); }

/* "mean ± std" (Markdown) or "$mean \pm std$" (LaTeX); the mean alone for one seed */
static char *cell_text(int tex, const struct entry *e, const struct col *c)
{
    if (!e) return dupstr(tex ? "--" : "-");
    double m = e->mean * c->scale, sd = sqrt(e->var) * c->scale;
    const char *pm = tex ? " \\pm " : " \xc2\xb1 ", *dollar = tex ? "$" : "";
    if (isnan(sd)) return fmt_alloc("%s%.*f%s", dollar, c->decimals, m, dollar);
    return fmt_alloc("%s%.*f%s%.*f%s", dollar, c->decimals, m, pm, c->decimals, sd, dollar);
}

/* a paper's number, at the paper's precision */
static char *paper_text(int tex, double v, int decimals)
{
    if (isnan(v)) return dupstr(tex ? "--" : "-");
    return tex ? fmt_alloc("$%.*f$", decimals, v) : fmt_alloc("%.*f", decimals, v);
}

static void subtitle(const struct report *r, const struct table *t, char *buf, size_t len)
{
    int n;
    if (t->sub) n = snprintf(buf, len, "%s", t->sub);
    else if (r->o->layout == L2D_REPORT_ROBUSTNESS)
        n = snprintf(buf, len, "%s under attack, split %s", r->o->nmetrics ? r->o->metrics[0] : "rmse", r->split);
    else
        n = snprintf(buf, len, "split %s, attack %s", r->split, r->attack);
    if (!t->sub && t->with_paper && n >= 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, "; paper: %s", r->paper->title);
}

static void write_latex(FILE *out, const char *title, const char *sub, char **g, size_t ncol, size_t nline,
                        size_t ntext, int first)
{
    fprintf(out, "%s%% %s (%s)\n\\begin{tabular}{", first ? "" : "\n", title, sub);
    for (size_t c = 0; c < ncol; c++) fputc(c < ntext ? 'l' : 'r', out);
    fprintf(out, "}\n\\hline\n");
    for (size_t l = 0; l < nline; l++) {
        for (size_t c = 0; c < ncol; c++) fprintf(out, "%s%s", c ? " & " : "", g[l * ncol + c]);
        fprintf(out, " \\\\\n%s", l == 0 || l + 1 == nline ? "\\hline\n" : "");
    }
    fprintf(out, "\\end{tabular}\n");
}

static int write_md(FILE *out, const char *title, const char *sub, char **g, size_t ncol, size_t nline,
                    size_t ntext, int first)
{
    size_t *wd = calloc(ncol, sizeof *wd);
    if (!wd) return -1;
    for (size_t l = 0; l < nline; l++)
        for (size_t c = 0; c < ncol; c++) {
            size_t w = width(g[l * ncol + c]);
            if (w > wd[c]) wd[c] = w;
        }
    fprintf(out, "%s## %s (%s)\n\n", first ? "" : "\n", title, sub);
    for (size_t l = 0; l < nline; l++) {
        for (size_t c = 0; c < ncol; c++) {
            const char *s = g[l * ncol + c];
            int pad = (int)(wd[c] - width(s)), right = c >= ntext && l > 0;
            fprintf(out, "| %*s%s%*s ", right ? pad : 0, "", s, right ? 0 : pad, "");
        }
        fprintf(out, "|\n");
        if (l > 0) continue;
        for (size_t c = 0; c < ncol; c++) {
            fputc('|', out);
            for (size_t i = 0; i < wd[c] + 1; i++) fputc('-', out);
            fputc(c >= ntext ? ':' : '-', out);
        }
        fprintf(out, "|\n");
    }
    if (nline == 1) fprintf(out, "\n(no finished runs)\n");
    free(wd);
    return 0;
}

/* Markdown or LaTeX: one table per experiment */
static int write_table(const struct report *r, const struct table *t, FILE *out, int first)
{
    int tex = r->o->format == L2D_REPORT_LATEX, params = any_params(t);
    size_t ntext = 1 + (size_t)params, ncol = ntext + 1 + t->ncols, nline = t->nrows + 1;
    char **g = calloc(ncol * nline, sizeof *g);
    if (!g) return -1;
    size_t k = 0;
    g[k++] = dupstr(t->head ? t->head : "method");
    if (params) g[k++] = dupstr("params");
    g[k++] = dupstr(tex ? "$n$" : "n");
    for (size_t c = 0; c < t->ncols; c++) g[k++] = text(tex, t->cols[c].label);
    for (size_t w = 0; w < t->nrows; w++) {
        const struct row *row = &t->rows[w];
        g[k++] = text(tex, row->method);
        if (params) g[k++] = text(tex, *row->params ? row->params : row->n < 0 ? "" : "-");
        g[k++] = row->n < 0 ? dupstr("") : fmt_alloc("%" PRId64, row->n);
        for (size_t c = 0; c < t->ncols; c++)
            g[k++] = row->pv ? paper_text(tex, row->pv[c], row->pdec[c])
                             : cell_text(tex, find(t, w, &t->cols[c]), &t->cols[c]);
    }
    char *title = text(tex, t->title);
    int rc = title ? 0 : -1;
    for (k = 0; k < ncol * nline; k++)
        if (!g[k]) rc = -1;
    char sub[256];
    subtitle(r, t, sub, sizeof sub);
    if (!rc && tex) write_latex(out, title, sub, g, ncol, nline, ntext, first);
    else if (!rc) rc = write_md(out, title, sub, g, ncol, nline, ntext, first);
    free(title);
    for (k = 0; k < ncol * nline; k++) free(g[k]);
    free(g);
    return rc;
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* CSV: one table for all experiments, with the union of their columns */
static int write_csv(const struct report *r, FILE *out)
{
    size_t nu = 0, total = 0;
    for (size_t k = 0; k < r->nt; k++) total += r->t[k].ncols;
    const char **labels = malloc((total + 1) * sizeof *labels);
    if (!labels) return -1;
    for (size_t k = 0; k < r->nt; k++)
        for (size_t c = 0; c < r->t[k].ncols && !r->t[k].hidden; c++) {
            size_t u = 0;
            while (u < nu && strcmp(labels[u], r->t[k].cols[c].label)) u++;
            if (u == nu) labels[nu++] = r->t[k].cols[c].label;
        }
    fputs("experiment,method,params,n", out);
    for (size_t u = 0; u < nu; u++) {
        static const char *const suffix[] = {"_mean", "_std"};
        for (int i = 0; i < 2; i++) {
            char h[160];
            snprintf(h, sizeof h, "%s%s", labels[u], suffix[i]);
            fputc(',', out);
            csv_field(out, h);
        }
    }
    fputc('\n', out);
    for (size_t k = 0; k < r->nt; k++) {
        const struct table *t = &r->t[k];
        for (size_t w = 0; w < t->nrows && !t->hidden; w++) {
            csv_field(out, t->title);
            fputc(',', out);
            csv_field(out, t->rows[w].method);
            fputc(',', out);
            csv_field(out, t->rows[w].params);
            if (t->rows[w].n >= 0) fprintf(out, ",%" PRId64, t->rows[w].n);
            else fputc(',', out);
            for (size_t u = 0; u < nu; u++) {
                const struct col *c = NULL;
                size_t i = 0;
                for (; i < t->ncols && !c; i++)
                    if (!strcmp(t->cols[i].label, labels[u])) c = &t->cols[i];
                const struct entry *e = c && !t->rows[w].pv ? find(t, w, c) : NULL;
                if (c && t->rows[w].pv && !isnan(t->rows[w].pv[i - 1])) fprintf(out, ",%.10g,", t->rows[w].pv[i - 1]);
                else if (!e) fputs(",,", out);
                else if (isnan(e->var)) fprintf(out, ",%.10g,", e->mean * c->scale);
                else fprintf(out, ",%.10g,%.10g", e->mean * c->scale, sqrt(e->var) * c->scale);
            }
            fputc('\n', out);
        }
    }
    free(labels);
    return 0;
}

static void free_report(struct report *r)
{
    for (size_t k = 0; k < r->nt; k++) {
        struct table *t = &r->t[k];
        free(t->title);
        free(t->config);
        free(t->sub);
        for (size_t i = 0; i < t->nrows; i++)
            free(t->rows[i].method), free(t->rows[i].params), free(t->rows[i].pv), free(t->rows[i].pdec);
        for (size_t i = 0; i < t->nents; i++) free(t->ents[i].attack), free(t->ents[i].metric);
        for (size_t i = 0; i < t->ncols; i++)
            free(t->cols[i].label), free(t->cols[i].attack), free(t->cols[i].metric);
        for (size_t i = 0; i < t->nagents; i++) free(t->agents[i]);
        free(t->rows);
        free(t->ents);
        free(t->cols);
        free(t->agents);
    }
    free(r->t);
    l2d_store_close(r->st);
}

int l2d_report(const char *db_path, const struct l2d_report_opts *opts, FILE *out, struct l2d_error *err)
{
    static const struct l2d_report_opts defaults = {0};
    struct l2d_report_opts po = opts ? *opts : defaults;
    const struct l2d_report_opts *o = &po;
    if (!db_path || !out) return l2d_seterr(err, L2D_EINVAL, "report: no database or no output");
    const struct l2d_paper *paper = NULL;
    if (po.paper) {
        /* a paper's table comes in its layout, with its metric */
        if (!(paper = l2d_paper_find(po.paper)))
            return l2d_seterr(err, L2D_EINVAL, "unknown paper table '%s' (%s)", po.paper, l2d_paper_names());
        po.layout = paper->layout;
        if (paper->metric && po.nmetrics && (po.nmetrics > 1 || !po.metrics || !po.metrics[0] ||
                                             strcmp(po.metrics[0], paper->metric)))
            return l2d_seterr(err, L2D_EINVAL, "report: %s shows the metric %s", paper->title, paper->metric);
        if (paper->layout == L2D_REPORT_MT_TABLE1) po.nmetrics = 0;
    }
    if (o->format > L2D_REPORT_LATEX || o->layout > L2D_REPORT_ROBUSTNESS)
        return l2d_seterr(err, L2D_EINVAL, "report: unknown format or layout");
    for (size_t k = 0; k < o->nmetrics; k++)
        if (!o->metrics || !o->metrics[k] || !*o->metrics[k])
            return l2d_seterr(err, L2D_EINVAL, "report: empty metric name");
    struct report r = {.path = db_path, .o = o, .paper = paper};
    r.split = o->split && *o->split ? o->split : "test";
    r.attack = o->attack && *o->attack ? o->attack : "clean";
    int rc = l2d_store_open_readonly(db_path, &r.st, err);
    if (rc) return rc;
    r.db = l2d_store_sqlite(r.st);
    rc = load_experiments(&r, err);
    for (size_t k = 0; !rc && k < r.nt; k++) {
        rc = load_rows(&r, &r.t[k], err);
        if (!rc) rc = load_entries(&r, &r.t[k], err);
        if (!rc) rc = load_agents(&r, &r.t[k], err);
        if (!rc && make_cols(&r, &r.t[k])) rc = nomem(&r, err);
    }
    if (!rc) rc = check_requested(&r, err);
    /* listing every experiment: leave out those with runs but nothing for this layout */
    for (size_t k = 0; !rc && !o->experiment && k < r.nt; k++) {
        struct table *t = &r.t[k];
        int shown = !t->nrows;
        for (size_t w = 0; w < t->nrows && !shown; w++)
            for (size_t c = 0; c < t->ncols && !shown; c++) shown = find(t, w, &t->cols[c]) != NULL;
        t->hidden = !shown;
    }
    if (!rc && paper) rc = add_paper(&r, err);
    if (!rc && o->format == L2D_REPORT_CSV && write_csv(&r, out)) rc = nomem(&r, err);
    for (size_t k = 0, first = 1; !rc && o->format != L2D_REPORT_CSV && k < r.nt; k++) {
        if (r.t[k].hidden) continue;
        if (write_table(&r, &r.t[k], out, first)) rc = nomem(&r, err);
        first = 0;
    }
    if (!rc && (fflush(out) || ferror(out))) rc = l2d_seterr(err, L2D_EIO, "report: cannot write the output");
    free_report(&r);
    return rc;
}

int l2d_report_format_parse(const char *s, enum l2d_report_format *out, struct l2d_error *err)
{
    if (s && !strcmp(s, "md")) *out = L2D_REPORT_MD;
    else if (s && !strcmp(s, "csv")) *out = L2D_REPORT_CSV;
    else if (s && !strcmp(s, "latex")) *out = L2D_REPORT_LATEX;
    else return l2d_seterr(err, L2D_EINVAL, "unknown format '%s' (md, csv, latex)", s ? s : "");
    return 0;
}

int l2d_report_layout_parse(const char *s, enum l2d_report_layout *out, struct l2d_error *err)
{
    if (s && !strcmp(s, "default")) *out = L2D_REPORT_DEFAULT;
    else if (s && !strcmp(s, "mt-table1")) *out = L2D_REPORT_MT_TABLE1;
    else if (s && !strcmp(s, "robustness")) *out = L2D_REPORT_ROBUSTNESS;
    else return l2d_seterr(err, L2D_EINVAL, "unknown layout '%s' (default, mt-table1, robustness)", s ? s : "");
    return 0;
}
