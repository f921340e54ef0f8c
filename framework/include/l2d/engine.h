/* l2d compute engine: the RNG, optimiser kinds, learning-rate schedules and
 * CPU threading. Models themselves are opaque handles: l2d/model.h.
 * Public: plugins (e.g. the `network` agent) train models with it. */
#ifndef L2D_ENGINE_H
#define L2D_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- RNG: xoshiro256**, seeded through splitmix64 ------------------------ */
struct l2d_rng {
    uint64_t s[4];
};
void l2d_rng_seed(struct l2d_rng *r, uint64_t seed);
uint64_t l2d_rng_u64(struct l2d_rng *r);
double l2d_rng_uniform(struct l2d_rng *r);              /* [0, 1) */
uint64_t l2d_rng_below(struct l2d_rng *r, uint64_t n);  /* [0, n), unbiased */
double l2d_rng_normal(struct l2d_rng *r);               /* N(0, 1) */
void l2d_rng_shuffle(struct l2d_rng *r, size_t *idx, size_t n); /* Fisher-Yates */
/* An independent stream derived from (seed, tag): same inputs, same stream. */
uint64_t l2d_seed_mix(uint64_t seed, const char *tag);

/* ---- optimisers ----------------------------------------------------------- */
/* SGD, Adam (L2 penalty added to the gradient) and AdamW (decoupled weight
 * decay), with PyTorch's update rules; a model's optimiser is chosen with
 * l2d_model_optim_init (l2d/model.h). */
enum l2d_optim_kind { L2D_OPT_SGD = 0, L2D_OPT_ADAM, L2D_OPT_ADAMW };

/* Cosine decay to 0 after linear warm-up over warmup_steps (0: none);
 * step counts from 0. constant != 0 gives base_lr (after warm-up). */
double l2d_lr_at(double base_lr, int64_t step, int64_t total_steps, int64_t warmup_steps,
                 int cosine);

/* CPU threads used by GEMM (results are repeatable for a fixed count). */
void l2d_set_threads(int n);

/* ---- small helpers -------------------------------------------------------- */
/* Parse "64,32" into up to max sizes; returns count or -1 on a bad list. */
int l2d_parse_sizes(const char *s, size_t *out, int max);

#ifdef __cplusplus
}
#endif
#endif
