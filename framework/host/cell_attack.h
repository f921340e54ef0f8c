/* A cell's evaluation under the attacks listed in [eval] attacks. */
#ifndef L2D_HOST_CELL_ATTACK_H
#define L2D_HOST_CELL_ATTACK_H
#include <stdint.h>
#include "host/cell_run.h"
#include "l2d/model.h"

struct l2d_cfg;
struct l2d_registry;

/* Evaluations other than clean that [eval] attacks asks for (0: none). */
size_t l2d_attack_jobs_count(const struct l2d_cfg *cfg);

/* Does the cell use an attack (evaluation, or a surrogate's inner one) whose
 * `clamp` parameter is on? Such an attack needs a data set with a valid
 * input range. */
int l2d_attack_clamps(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int *clamps,
                      struct l2d_error *err);

/* Create the cell's [attack] plugin (default pgd) with its parameters;
 * close with l2d_attack_close (safe on a handle that failed to open). */
int l2d_attack_open(const struct l2d_cfg *cfg, const struct l2d_registry *reg, uint64_t seed,
                    struct l2d_attack_handle *h, struct l2d_error *err);
void l2d_attack_close(struct l2d_attack_handle *h);

/* For each of untargeted / targeted:AGENT in [eval] attacks: attack the
 * split's inputs (the [attack] plugin, objective with parameter nu), and
 * add the system metrics, with clean costs and answers, to r under the
 * attack's label. c0: the same costs without query costs (risk_noquery). */
int l2d_eval_under_attacks(const struct l2d_cfg *cfg, const struct l2d_registry *reg,
                           const struct l2d_cell_data *cd, int split, const double *c,
                           const double *c0, struct l2d_model *rej, double nu, uint64_t seed,
                           struct l2d_cell_result *r, struct l2d_error *err);
#endif
