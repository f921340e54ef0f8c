/* Deferral costs (docs/math.md §2): per-sample, per-agent costs
 *   c_j = lambda_cla 1[yhat_j != y] + lambda_reg l_reg(that_j, t) + beta_j
 * (or an agent's direct cost + beta_j), the aggregated costs tau of the
 * surrogate, and the oracle rejector argmin_j c_j. */
#ifndef L2D_CORE_COSTS_H
#define L2D_CORE_COSTS_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

enum l2d_reg { L2D_REG_SMOOTH_L1, L2D_REG_L1, L2D_REG_L2, L2D_REG_ABS, L2D_REG_IOU };

/* "smooth_l1" | "l1" | "l2" | "abs" | "iou" -> *out; 0, or L2D_EINVAL for
 * another name (NULL included). */
int l2d_reg_parse(const char *name, enum l2d_reg *out);
/* The canonical name of reg ("?" if out of range). */
const char *l2d_reg_name(enum l2d_reg reg);

/* Regression loss between a prediction that[tdim] and a target t[tdim]:
 *   smooth_l1  sum_k (|d_k| < 1 ? d_k^2 / 2 : |d_k| - 1/2)   (PyTorch, beta 1)
 *   l1         sum_k |d_k|
 *   l2         sum_k d_k^2
 *   abs        sqrt(mean_k d_k^2)   (= |that - t| for tdim 1: ADV's RMSE)
 *   iou        1 - IoU of the boxes (x1, y1, x2, y2); tdim must be 4; a box
 *              with no area gives IoU 0
 * with d = that - t, in double. NaN for iou with tdim != 4, for tdim 0 and
 * for a non-finite input (l2d_costs reports those as errors). */
double l2d_reg_loss(enum l2d_reg reg, const float *that, const float *t, unsigned tdim);

struct l2d_cost_cfg {
    double lambda_cla, lambda_reg; /* >= 0 */
    enum l2d_reg reg;
    double beta_scale;
    /* per agent query-cost weights (NULL: none); [0], the model's, is
     * taken as 0 whatever it holds */
    const double *query_cost;
    double clip; /* c <- min(c, clip) when clip > 0; <= 0: no clip */
};

/* What agent j answered for the n samples; NULL members where not provided.
 * yhat[n], that[n][tdim], cost[n]. */
struct l2d_agent_preds {
    const int32_t *yhat;
    const float *that;
    const double *cost;
};

/* c[n][A] (row-major) from y[n] (NULL: data without classes), t[n][tdim]
 * (NULL or tdim 0: without targets) and preds[A]. An agent with a direct
 * cost uses it (c_j = cost + beta_j), otherwise its class and target terms;
 * a term whose lambda is 0 is not evaluated. Then the clip.
 * Errors (L2D_EINVAL, message naming the agent and sample): a negative or
 * non-finite lambda, beta or clip setting; lambda_cla > 0 with no classes in
 * the data or an agent with neither class nor direct cost; the same for
 * regression (and iou with tdim != 4); a cost that is negative or not
 * finite (L2D_ENUMERIC for a non-finite one). */
int l2d_costs(const struct l2d_cost_cfg *cfg, size_t n, size_t A, const int32_t *y,
              const float *t, unsigned tdim, const struct l2d_agent_preds *preds, double *c,
              struct l2d_error *err);

/* tau_j = sum_{i != j} c_i for one sample (c and tau must not overlap). */
void l2d_tau(const double *c, size_t A, double *tau);

/* argmin_j c_j, ties to the lowest index: the Bayes (oracle) rejector. */
size_t l2d_argmin_cost(const double *c, size_t A);
#endif
