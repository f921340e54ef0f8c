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

/* ---- CPU paths ------------------------------------------------------------
 * Some work has more than one CPU implementation, chosen at run time: the
 * MLP (GEMM through OpenBLAS, or the row-by-row small-model path of AVX2 and
 * FMA for models no wider than 64), and in the plugins the l_inf PGD step
 * and smooth-adv's inner objective (AVX2 or scalar). All give results within
 * float rounding of each other, and the PGD and smooth-adv kernels the same
 * bits; forcing one is for tests, benchmarks and bug hunts. Paths:
 *   auto    the fastest this CPU runs (the default)
 *   scalar  no hand-written SIMD anywhere: MLP by GEMM, scalar kernels
 *   avx2    the hand-written AVX2 kernels, MLP by GEMM (needs AVX2)
 *   gemm    MLP by GEMM, the other kernels as auto (runs on any CPU)
 *   small   as auto, but refused on a CPU without AVX2 and FMA rather than
 *           quietly taking GEMM (shapes too big for it still take GEMM)
 * The setting is process-wide. It starts from the environment variable
 * L2D_CPU_PATH (unset or empty: auto), read on first use; a value that is
 * unknown or needs what the CPU lacks leaves auto, and l2d_cpu_path_env
 * reports it (the l2d command refuses to start). */
#define L2D_SIMD_AVX2 1 /* flags of l2d_cpu_simd() */
#define L2D_SIMD_FMA 2
/* Selects a path by name: L2D_EINVAL for an unknown name, L2D_EUNSUPPORTED
 * for one this CPU cannot run (the setting is then unchanged). */
int l2d_cpu_path_set(const char *name, struct l2d_error *err);
/* The current setting's name (a static string). */
const char *l2d_cpu_path(void);
/* 0 when L2D_CPU_PATH is unset, empty or was taken; else its error. */
int l2d_cpu_path_env(struct l2d_error *err);
/* The L2D_SIMD_* instruction sets hand-written kernels may use now: what
 * the CPU has, or 0 on the scalar path. Plugins dispatch on this. */
int l2d_cpu_simd(void);

#ifdef __cplusplus
}
#endif
#endif
