/* `l2d report`: read v_summary (mean and variance over seeds) and lay it out
 * as tables. Everything is read first, then written, so that a bad request
 * (unknown metric, empty split) fails before any output: report_load.c
 * reads, report_layout.c makes the columns, report_paper.c adds a paper's
 * numbers, report_write.c writes. */
#include "config.h"

#include "host/report_impl.h"

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
    rc = l2d_report_load_experiments(&r, err);
    for (size_t k = 0; !rc && k < r.nt; k++) {
        rc = l2d_report_load_rows(&r, &r.t[k], err);
        if (!rc) rc = l2d_report_load_entries(&r, &r.t[k], err);
        if (!rc) rc = l2d_report_load_agents(&r, &r.t[k], err);
        if (!rc && l2d_report_make_cols(&r, &r.t[k])) rc = nomem(&r, err);
    }
    if (!rc) rc = l2d_report_check_requested(&r, err);
    /* listing every experiment: leave out those with runs but nothing for this layout */
    for (size_t k = 0; !rc && !o->experiment && k < r.nt; k++) {
        struct table *t = &r.t[k];
        int shown = !t->nrows;
        for (size_t w = 0; w < t->nrows && !shown; w++)
            for (size_t c = 0; c < t->ncols && !shown; c++) shown = l2d_report_find(t, w, &t->cols[c]) != NULL;
        t->hidden = !shown;
    }
    if (!rc && paper) rc = l2d_report_add_paper(&r, err);
    if (!rc && o->format == L2D_REPORT_CSV && l2d_report_write_csv(&r, out)) rc = nomem(&r, err);
    for (size_t k = 0, first = 1; !rc && o->format != L2D_REPORT_CSV && k < r.nt; k++) {
        if (r.t[k].hidden) continue;
        if (l2d_report_write_table(&r, &r.t[k], out, first)) rc = nomem(&r, err);
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
