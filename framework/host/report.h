/* `l2d report`: tables of a results database, mean ± std over seeds, in
 * Markdown, CSV or LaTeX, in the default layout or a paper's. */
#ifndef L2D_HOST_REPORT_H
#define L2D_HOST_REPORT_H
#include <stddef.h>
#include <stdio.h>

#include "l2d/plugin.h"

enum l2d_report_format { L2D_REPORT_MD = 0, L2D_REPORT_CSV, L2D_REPORT_LATEX };

enum l2d_report_layout {
    /* rows: method + swept parameters; columns: the metrics */
    L2D_REPORT_DEFAULT = 0,
    /* MT Table 1: rows: methods; columns: Acc (%), sL1, allocation to each agent */
    L2D_REPORT_MT_TABLE1,
    /* ADV Tables: rows: methods; columns: one metric under each attack found */
    L2D_REPORT_ROBUSTNESS
};

struct l2d_report_opts {
    enum l2d_report_format format;
    enum l2d_report_layout layout;
    const char *experiment; /* NULL: every experiment, one table each */
    const char *split;      /* NULL: "test" */
    const char *attack;     /* NULL: "clean"; the robustness layout shows them all */
    /* default layout: the metric columns (none: risk, accuracy, rmse where
     * present, then every alloc_J); robustness: metrics[0] (none: rmse) */
    size_t nmetrics;
    const char *const *metrics;
    /* a paper's table ("mt-table1", "adv-table2"; NULL: none): its layout,
     * and its published numbers as rows "paper: LABEL" under our rows of the
     * matching methods (at the end of the table for a method it lacks), in
     * the tables holding any of the paper's methods: with none, the
     * database is another experiment's, refused (L2D_EINVAL); where the
     * paper quotes the agents' own metric, a small table of ours
     * and theirs follows. */
    const char *paper;
};

/* Write the report of the database at db_path (opened read-only) to out.
 * opts NULL: all defaults. Errors (missing file, not an l2d database, no
 * such experiment or metric) leave a one-line message in err. */
int l2d_report(const char *db_path, const struct l2d_report_opts *opts, FILE *out, struct l2d_error *err);

/* "md" | "csv" | "latex"; "default" | "mt-table1" | "robustness". */
int l2d_report_format_parse(const char *s, enum l2d_report_format *out, struct l2d_error *err);
int l2d_report_layout_parse(const char *s, enum l2d_report_layout *out, struct l2d_error *err);
#endif
