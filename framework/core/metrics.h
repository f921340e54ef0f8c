/* Evaluation of an allocation (a trained rejector's, the oracle's, or one
 * agent alone) on a split: deferral risk and the system's task metrics.
 *
 * Definitions, with d_i = that_{j(i)}(x_i) - t_i in R^T (T = tdim), all
 * accumulated in double:
 *   risk       mean_i c[i][j(i)]
 *   accuracy   mean_i 1[yhat_{j(i)}(x_i) == y_i]          (classes present)
 *   rmse       sqrt( mean_i ||d_i||^2 / T )                (targets present)
 *   smooth_l1  mean_i sum_k sl1(d_ik), sl1 = PyTorch SmoothL1, beta = 1
 *              (summed over the T outputs, as the smooth_l1 cost)
 *   mae        mean_i ( sum_k |d_ik| / T )   (per-sample mean over outputs)
 *   alloc_j    fraction of samples allocated to agent j
 *   defer_rate fraction of samples not allocated to agent 0 (the model):
 *              1 - alloc_0, counted directly (allocations only)
 *   risk_noquery  mean_i c0[i][j(i)], c0 the costs without the query costs
 *              beta_j (only when the input carries c0)
 * accuracy is emitted only when the split has classes and every agent gives
 * a class; rmse/smooth_l1/mae only when the split has targets and every
 * agent gives one (a cost-only agent has neither). */
#ifndef L2D_CORE_METRICS_H
#define L2D_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/engine.h"
#include "l2d/model.h"
#include "l2d/plugin.h"

struct l2d_surrogate_inst; /* core/train.h */

#define L2D_METRIC_NAME_MAX 48

struct l2d_metric_entry {
    char name[L2D_METRIC_NAME_MAX];
    double value;
};

/* A growable list of (name, value); zero-initialise, free with _free. */
struct l2d_metric_list {
    size_t n, cap;
    struct l2d_metric_entry *items;
};

/* Appends prefix + name (L2D_EINVAL if it does not fit, L2D_ENOMEM). */
int l2d_metric_list_add(struct l2d_metric_list *l, const char *prefix, const char *name,
                        double value, struct l2d_error *err);
/* The first entry with that exact name, or NULL. */
const struct l2d_metric_entry *l2d_metric_list_find(const struct l2d_metric_list *l, const char *name);
void l2d_metric_list_free(struct l2d_metric_list *l);

/* A split with its per-agent costs and answers. yhat[j] (n entries) and
 * that[j] (n * tdim) are per agent; the arrays or any entry may be NULL. */
struct l2d_eval_in {
    const struct l2d_data *data;
    const double *c; /* [n][A] */
    size_t A;
    const int32_t *const *yhat;
    const float *const *that;
    /* [n][A] the same costs with every query cost beta_j left out (NULL:
     * not known, no risk_noquery); equal to c where no agent has one */
    const double *c0;
};

/* argmax / argmin with ties to the lowest index (docs/math.md §1-2). */
static inline size_t l2d_first_argmax(const double *v, size_t n)
{
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[b]) b = j;
    return b;
}
static inline size_t l2d_first_argmin(const double *v, size_t n)
{
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] < v[b]) b = j;
    return b;
}

/* System metrics (risk, accuracy, rmse, smooth_l1, mae, alloc_0..alloc_{A-1},
 * defer_rate, then risk_noquery when in->c0 is set) of allocation alloc[n] (each < A), names prefixed with `prefix` (may be
 * NULL or ""). */
int l2d_eval_alloc(const struct l2d_eval_in *in, const size_t *alloc, const char *prefix,
                   struct l2d_metric_list *out, struct l2d_error *err);

/* The Bayes rejector: alloc[i] = argmin_j c[i][j], ties to the lowest. */
void l2d_oracle_alloc(const double *c, size_t n, size_t A, size_t *alloc);

/* l2d_eval_alloc of the oracle allocation, names prefixed "oracle_". */
int l2d_eval_oracle(const struct l2d_eval_in *in, struct l2d_metric_list *out,
                    struct l2d_error *err);

/* Agent j alone: risk (mean c_j), accuracy, rmse, smooth_l1, mae (as
 * available), risk_noquery (mean c0_j, when in->c0 is set), names prefixed with `prefix`. */
int l2d_eval_agent(const struct l2d_eval_in *in, size_t j, const char *prefix,
                   struct l2d_metric_list *out, struct l2d_error *err);

/* "surrogate" = mean surrogate loss of scores[n][A] against costs c[n][A],
 * and "surrogate_gap" = that minus the mean pointwise infimum when the
 * surrogate has one; prefixed with `prefix`. */
int l2d_eval_surrogate(const struct l2d_surrogate_inst *sur, const double *scores,
                       const double *c, size_t n, size_t A, const char *prefix,
                       struct l2d_metric_list *out, struct l2d_error *err);

/* alloc[i] = argmax_j r(x_i, j) (ties to the lowest) for every row of
 * data, run in chunks; scores_out[n][A] (double) if non-NULL. A non-finite
 * score is L2D_ENUMERIC naming the row. rej must score A agents. */
int l2d_rejector_alloc(struct l2d_model *rej, const struct l2d_data *data, size_t A,
                       size_t *alloc, double *scores_out, struct l2d_error *err);

#endif
