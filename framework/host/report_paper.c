/* `l2d report --paper`: a paper's published numbers as rows of our tables,
 * and the table of the agents' own metric, ours and the paper's. */
#include "config.h"

#include "host/report_impl.h"

#include <limits.h>
#include <math.h>

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

/* The paper's rows into the tables shown that have one of its methods (into
 * every table shown when none has), and the agents' table after each. */
int l2d_report_add_paper(struct report *r, struct l2d_error *err)
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
