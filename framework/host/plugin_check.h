/* Checks `l2d plugin-check` runs on a plugin: for a surrogate, its gradient
 * against central finite differences of its own loss. */
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
#endif
