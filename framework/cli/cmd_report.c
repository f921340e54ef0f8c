/* `l2d report DB`: tables of a results database. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/cli_util.h"
#include "host/paper.h"
#include "host/plot.h"
#include "host/report.h"

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: l2d report [OPTIONS] DB\n"
            "Tables of a results database: mean \xc2\xb1 sample std over seeds, n seeds.\n"
            "  --format md|csv|latex     output format (default md)\n"
            "  --layout LAYOUT           default: rows = method + swept parameters, columns = metrics;\n"
            "                            mt-table1: rows = methods; Acc (%%), sL1, allocation per agent;\n"
            "                            robustness: rows = methods; one metric under each attack\n"
            "  --experiment NAME         only this experiment (default: all, one table each)\n"
            "  --split SPLIT             train, val or test (default test)\n"
            "  --attack ATTACK           clean, untargeted, targeted:J (default clean)\n"
            "  --metrics a,b,c           metric columns (default: risk, accuracy, rmse, alloc_*)\n"
            "  --metric NAME             robustness: the metric (default rmse); default layout: one column,\n"
            "                            as --metrics NAME\n"
            "  --paper TABLE             the paper's numbers as rows 'paper: ...' under ours, in its layout:\n"
            "                            mt-table1 (methods mao2023a, mao2024e, mt) or adv-table2\n"
            "                            (baseline, sard; and the agents' own rmse, agents by index)\n"
            "  --plot PARAM              instead of tables, a PNG (gnuplot) of --metric (default rmse) against\n"
            "                            the swept parameter PARAM (eps: attack.eps), mean \xc2\xb1 std over seeds,\n"
            "                            one line per method and attack (--attack: that one only)\n"
            "  -o, --output FILE         the PNG of --plot (default: DB's name without extension-PARAM.png)\n");
}

/* split "a,b,c" in place into *out (allocated); empty items are an error */
static int split_list(char *s, const char ***out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    *out = malloc(cap * sizeof **out);
    if (!*out) return -1;
    *n = 0;
    for (char *tok = s;; ) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = '\0';
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = '\0';
        if (!len) return -1;
        (*out)[(*n)++] = tok;
        if (!comma) break;
        tok = comma + 1;
    }
    return 0;
}

/* `--plot PARAM`: the PNG (or with --plot-data, gnuplot's data on stdout) */
static int plot_cmd(const char *db, const struct l2d_report_opts *ro, const char *param, const char *metric,
                    const char *output, int data_only, int table_opts)
{
    if (!param) return cli_usage_error("report", "--output and --plot-data go with --plot PARAM");
    if (!*param) return cli_usage_error("report", "--plot: which parameter?");
    if (table_opts || ro->paper)
        return cli_usage_error("report", "--plot draws one metric (--metric): no --format, --layout, --metrics, --paper");
    if (output && !*output) return cli_usage_error("report", "--output: empty file name");
    struct l2d_plot_opts po = {.param = param, .metric = metric, .split = ro->split, .experiment = ro->experiment,
                               .attack = ro->attack, .output = output};
    struct l2d_error err = {0};
    char *def = NULL;
    if (!output && !data_only) {
        /* DB's file name without directory and extension, then -PARAM.png, here */
        const char *base = strrchr(db, '/') ? strrchr(db, '/') + 1 : db;
        size_t n = strlen(base);
        const char *dot = strrchr(base, '.');
        if (dot && dot != base) n = (size_t)(dot - base);
        size_t len = n + strlen(param) + 8;
        if (!(def = malloc(len))) {
            fprintf(stderr, "l2d report: out of memory\n");
            return 1;
        }
        snprintf(def, len, "%.*s-%s.png", (int)n, base, param);
        po.output = def;
    }
    int rc = data_only ? l2d_plot_data(db, &po, stdout, &err) : l2d_plot(db, &po, &err);
    if (rc) fprintf(stderr, "l2d report: %s\n", err.msg);
    else if (!data_only) printf("wrote %s\n", po.output);
    free(def);
    return rc ? 1 : 0;
}

int l2d_cmd_report(int argc, char **argv)
{
    const char *db = NULL, *format = NULL, *layout = NULL, *metrics = NULL, *metric = NULL, *plot = NULL,
               *output = NULL;
    int plot_data = 0;
    struct l2d_report_opts o = {0};
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) return report_usage(stdout), 0;
        if (cli_opt_value(argc, argv, &k, "--format", &format)) continue;
        if (cli_opt_value(argc, argv, &k, "--layout", &layout)) continue;
        if (cli_opt_value(argc, argv, &k, "--experiment", &o.experiment)) continue;
        if (cli_opt_value(argc, argv, &k, "--split", &o.split)) continue;
        if (cli_opt_value(argc, argv, &k, "--attack", &o.attack)) continue;
        if (cli_opt_value(argc, argv, &k, "--metrics", &metrics)) continue;
        if (cli_opt_value(argc, argv, &k, "--metric", &metric)) continue;
        if (cli_opt_value(argc, argv, &k, "--paper", &o.paper)) continue;
        /* --plot-data: the data gnuplot would get, on stdout (for tests) */
        if (!strcmp(argv[k], "--plot-data")) {
            plot_data = 1;
            continue;
        }
        if (cli_opt_value(argc, argv, &k, "--plot", &plot)) continue;
        if (cli_opt_value(argc, argv, &k, "--output", &output)) continue;
        if (cli_opt_value(argc, argv, &k, "-o", &output)) continue;
        if (argv[k][0] == '-' && argv[k][1]) return cli_usage_error("report", "unknown option '%s'", argv[k]);
        if (db) return cli_usage_error("report", "one database at a time ('%s' and '%s')", db, argv[k]);
        db = argv[k];
    }
    const char *given[] = {format, layout, o.experiment, o.split, o.attack, metrics, metric, o.paper, plot, output};
    for (size_t k = 0; k < sizeof given / sizeof *given; k++)
        if (given[k] == CLI_MISSING) return cli_usage_error("report", "an option needs a value");
    if (!db) return cli_usage_error("report", "which results database?");
    if (metrics && metric) return cli_usage_error("report", "--metrics and --metric do not go together");
    if (plot || plot_data || output) return plot_cmd(db, &o, plot, metric, output, plot_data, format || layout || metrics);
    struct l2d_error err = {0};
    if ((format && l2d_report_format_parse(format, &o.format, &err)) ||
        (layout && l2d_report_layout_parse(layout, &o.layout, &err)))
        return cli_usage_error("report", "%s", err.msg);
    const struct l2d_paper *paper = NULL;
    if (o.paper) {
        if (!(paper = l2d_paper_find(o.paper)))
            return cli_usage_error("report", "unknown paper table '%s' (%s)", o.paper, l2d_paper_names());
        if (layout && o.layout != paper->layout)
            return cli_usage_error("report", "--paper %s comes in its own layout: no --layout %s", o.paper, layout);
        o.layout = paper->layout;
        const char *m = metric ? metric : metrics;
        if (m && (!paper->metric || strcmp(m, paper->metric)))
            return cli_usage_error("report", "--paper %s has fixed columns: no --metric%s %s", o.paper,
                                   metric ? "" : "s", m);
    }
    if ((metric || metrics) && o.layout == L2D_REPORT_MT_TABLE1)
        return cli_usage_error("report", "--layout mt-table1 has fixed columns: no --metric%s", metric ? "" : "s");
    char *copy = NULL;
    const char **list = NULL;
    if (metric) {
        o.metrics = &metric;
        o.nmetrics = 1;
    } else if (metrics) {
        copy = strdup(metrics);
        if (!copy || split_list(copy, &list, &o.nmetrics)) {
            free(copy);
            free(list);
            return cli_usage_error("report", "--metrics: expected names separated by commas, got '%s'", metrics);
        }
        if (o.layout == L2D_REPORT_ROBUSTNESS && o.nmetrics != 1) {
            free(copy);
            free(list);
            return cli_usage_error("report", "--layout robustness shows one metric");
        }
        o.metrics = list;
    }
    int rc = l2d_report(db, &o, stdout, &err);
    if (rc) fprintf(stderr, "l2d report: %s\n", err.msg);
    free(copy);
    free(list);
    return rc ? 1 : 0;
}
