/* Checks `l2d plugin-check` runs on a plugin: for a surrogate, its gradient
 * against central finite differences of its own loss, and whether the loss
 * is a surrogate of the deferral loss at all (consistency, infimum,
 * direction). */
#ifndef L2D_HOST_PLUGIN_CHECK_H
#define L2D_HOST_PLUGIN_CHECK_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

struct l2d_gradcheck {
    int trials;          /* random points tried */
    double max_abs_err;  /* max |g - fd| over all trials and coordinates */
    double max_rel_err;  /* max |g - fd| / max(|g|, |fd|) (0 where both are 0) */
    double worst_loss;   /* the loss at the point of the worst coordinate */
    int failures;        /* trials with a coordinate where |g - fd| > 1e-5 + 1e-4 |fd| */
    int kinks;           /* coordinates left out: a kink within h, g between the
                          * one-sided slopes (a subgradient) */
    char worst[256];     /* the worst coordinate (relative to its tolerance), one line */
};

/* `trials` random points of A agents: scores ~ N(0, 2^2) (standard deviation
 * 2), costs ~ U(0, 1), from a splitmix64 stream seeded by seed. At each, the
 * gradient ops->loss returns is compared with central differences of the
 * same loss, step h = 1e-5 max(1, |r_k|); all 2A + 1 evaluations of a trial
 * go in one batch. Returns 0 and fills *out (failures > 0 is a result, not
 * an error); a non-zero status if the arguments are bad or ops->loss fails
 * (its message prefixed with the trial). */
int l2d_surrogate_gradcheck(const struct l2d_surrogate_ops *ops, void *state, uint64_t seed,
                            int trials, size_t A, struct l2d_gradcheck *out,
                            struct l2d_error *err);

/* What minimising a surrogate says about it, on `trials` random cost
 * vectors of A agents (U(0, 1), the cheapest at least 0.1 below the next):
 *
 * consistency: the scores are minimised by gradient descent on the loss
 *   (from small random scores, 4000 steps); then the cheapest agent's score
 *   must be the largest, strictly.
 * infimum (when the surrogate has the op): never above the loss, at random
 *   scores and along the descent; and the minimised loss comes within
 *   1e-2 (1 + |inf|) of it.
 * direction: where the cheapest agent's score is not above the others
 *   (equal scores; random ones with the cheapest lowered to the least),
 *   raising it by a little never increases the loss (1e-9 relative slack).
 *
 * Each *_fail counts trials that failed; the *_why strings describe the
 * first failure in words (empty when none). Returns non-zero only for bad
 * arguments or a loss/infimum op that fails. */
struct l2d_sanity {
    int trials;
    int has_infimum;
    int consistency_fail, infimum_above_fail, infimum_gap_fail, direction_fail;
    double max_gap;  /* max over trials of (minimised loss - infimum) */
    char consistency_why[768], infimum_why[768], direction_why[768];
};
int l2d_surrogate_sanity(const struct l2d_surrogate_ops *ops, void *state, uint64_t seed,
                         int trials, size_t A, struct l2d_sanity *out, struct l2d_error *err);
#endif
