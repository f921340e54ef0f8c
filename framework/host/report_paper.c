/* `l2d report --paper`: a paper's published numbers as rows of our tables,
 * and the table of the agents' own metric, ours and the paper's. */
#include "config.h"

#include "host/report_impl.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>

static int method_is(const struct l2d_paper_row *p, const char *method)
{
    for (size_t k = 0; k < 3 && p->methods[k]; k++)
        if (!strcasecmp(p->methods[k], method)) return 1;
    return 0;
}

/* the agent targeted by column c, or -1 */
static long col_target(const struct table *t, const struct col *c)
{
    long rank = l2d_report_attack_rank(t, c->attack);
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
    if (!t->title || !t->sub || l2d_report_add_col(t, &cap, pp->agent_metric, "agent", pp->agent_metric, 1, 4)) return nomem(r, err);
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
    int rc = l2d_report_load_agent_metric(r, parent, t, pp->agent_metric, err);
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

/* appends printf-style text to buf[cap] at *len, truncating (the message is
 * one line of at most L2D_ERRMSG_MAX anyway) */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len = (size_t)n < cap - *len ? *len + (size_t)n : cap - 1;
}

/* The error for a database with none of the paper's methods: the
 * experiments it holds (with their methods) and what the paper expects. */
static int not_this_paper(const struct report *r, const struct l2d_paper *pp, struct l2d_error *err)
{
    char want[200], have[L2D_ERRMSG_MAX];
    size_t lw = 0, lh = 0;
    for (size_t k = 0; k < pp->nrows; k++) {
        put(want, sizeof want, &lw, "%s", k ? ", " : "");
        for (size_t m = 0; m < 3 && pp->rows[k].methods[m]; m++)
            put(want, sizeof want, &lw, "%s%s", m ? " or " : "", pp->rows[k].methods[m]);
    }
    /* every experiment loaded, those without results for this layout too */
    put(have, sizeof have, &lh, "experiment%s ", r->nt == 1 ? "" : "s");
    for (size_t k = 0; k < r->nt; k++) {
        const struct table *t = &r->t[k];
        put(have, sizeof have, &lh, "%s%s (methods ", k ? ", " : "", t->title);
        size_t nm = 0;
        for (size_t w = 0; w < t->nrows; w++) {
            int seen = 0;
            for (size_t v = 0; v < w && !seen; v++) seen = !strcmp(t->rows[v].method, t->rows[w].method);
            if (!seen) put(have, sizeof have, &lh, "%s%s", nm++ ? ", " : "", t->rows[w].method);
        }
        put(have, sizeof have, &lh, "%s)", nm ? "" : "none finished");
    }
    return l2d_seterr(err, L2D_EINVAL,
                      "%s: --paper %s (%s) expects runs of %s with the methods %s; the database "
                      "holds %s",
                      r->path, pp->name, pp->title, pp->config, want, have);
}

/* The paper's rows into the tables shown that have one of its methods, and
 * the agents' table after each; a database where no table has one is
 * another experiment's, refused (L2D_EINVAL). */
int l2d_report_add_paper(struct report *r, struct l2d_error *err)
{
    const struct l2d_paper *pp = r->paper;
    int any = 0;
    for (size_t k = 0; k < r->nt; k++) any |= !r->t[k].hidden && matches_paper(&r->t[k], pp);
    if (!any) return not_this_paper(r, pp, err);
    struct table *all = calloc(2 * r->nt + 1, sizeof *all);
    if (!all) return nomem(r, err);
    size_t n = 0;
    int rc = 0;
    for (size_t k = 0; k < r->nt; k++) {
        struct table *t = &r->t[k];
        int with = !rc && !t->hidden && matches_paper(t, pp);
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
