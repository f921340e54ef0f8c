/* `l2d report --plot PARAM`: a system metric against a swept parameter
 * (attack.eps: the robustness curve), mean over seeds with the sample std
 * as error bars, one line per method, attack and setting of the other swept
 * parameters; drawn by gnuplot into a PNG. */
#ifndef L2D_HOST_PLOT_H
#define L2D_HOST_PLOT_H
#include <stdio.h>

#include "l2d/plugin.h"

struct l2d_plot_opts {
    const char *param;      /* a run_params key ("attack.eps"); "eps" stands for attack.eps */
    const char *metric;     /* NULL: rmse */
    const char *split;      /* NULL: test */
    const char *experiment; /* NULL: every experiment that sweeps param */
    const char *attack;     /* NULL: every attack measured */
    const char *output;     /* the PNG to write (l2d_plot) */
};

/* The run_params key a --plot argument names: "eps" -> "attack.eps". */
const char *l2d_plot_key(const char *param);

/* Write the data gnuplot gets: one inline data block per line of the plot,
 *   $s0 << EOD
 *   # METHOD ATTACK [(OTHER PARAMS)] [EXPERIMENT]
 *   # x mean std n
 *   0.1 0.41 0.0141421356 2
 *   EOD
 * points in increasing x; std 0 for one seed. Errors (one line, naming
 * the parameter or metric): no experiment sweeps the parameter, a value of
 * it is not a number, the metric is not measured there. */
int l2d_plot_data(const char *db_path, const struct l2d_plot_opts *opts, FILE *out, struct l2d_error *err);

/* Draw the plot into opts->output with gnuplot, found on PATH and fed
 * through a pipe (data inline: no files but the PNG). Errors: those of
 * l2d_plot_data, gnuplot not on PATH, gnuplot failing (its first message),
 * no output written. Nothing is printed. */
int l2d_plot(const char *db_path, const struct l2d_plot_opts *opts, struct l2d_error *err);
#endif
