/* l2d compute engine (CPU backend): RNG, MLP with forward/backward,
 * optimisers and learning-rate schedules. float32 on the hot paths.
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

/* ---- MLP: Linear (+ReLU) layers ------------------------------------------ */
/* in -> hidden[0] -> ... -> hidden[nh-1] -> out, ReLU after each hidden
 * layer, none after the last; nh = 0 is a linear model. Parameters live in
 * one contiguous float buffer (params, grads) so optimisers see one vector.
 * Weights: He-uniform (Kaiming, as PyTorch's nn.Linear), biases uniform
 * +-1/sqrt(fan_in). */
struct l2d_mlp {
    size_t in, out, n_layers;  /* n_layers = nh + 1 */
    size_t *dims;              /* n_layers + 1 entries */
    size_t n_params;
    float *params, *grads;
    /* activations of the last forward, kept for backward */
    size_t cap;                /* rows the buffers hold */
    float **act;               /* act[l][cap][dims[l]], l = 0..n_layers */
    float *dbuf[2];            /* scratch for backward */
};

int l2d_mlp_create(struct l2d_mlp **m, size_t in, const size_t *hidden, size_t nh, size_t out,
                   struct l2d_rng *rng, struct l2d_error *err);
void l2d_mlp_destroy(struct l2d_mlp *m);
/* Weight of layer l (rows = dims[l+1], cols = dims[l]) and its bias. */
float *l2d_mlp_weight(struct l2d_mlp *m, size_t l);
float *l2d_mlp_bias(struct l2d_mlp *m, size_t l);
/* y[B][out] = f(x[B][in]); keeps activations for backward. */
int l2d_mlp_forward(struct l2d_mlp *m, const float *x, size_t B, float *y, struct l2d_error *err);
/* Given dy[B][out] for the last forward: grads += dL/dparams when
 * accumulate != 0; dx[B][in] = dL/dx when dx != NULL. */
int l2d_mlp_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx, int accumulate,
                     struct l2d_error *err);
void l2d_mlp_zero_grad(struct l2d_mlp *m);
int l2d_mlp_copy_params(struct l2d_mlp *dst, const struct l2d_mlp *src); /* same shape */

/* ---- optimisers ----------------------------------------------------------- */
enum l2d_optim_kind { L2D_OPT_SGD = 0, L2D_OPT_ADAM, L2D_OPT_ADAMW };
struct l2d_optim {
    enum l2d_optim_kind kind;
    double beta1, beta2, eps, weight_decay; /* Adam: L2 added to grad; AdamW: decoupled */
    size_t n;
    float *m, *v;
    int64_t t;
};
int l2d_optim_init(struct l2d_optim *o, enum l2d_optim_kind kind, size_t n, double weight_decay,
                   struct l2d_error *err);
void l2d_optim_free(struct l2d_optim *o);
/* One step at learning rate lr; the PyTorch update rules exactly. */
void l2d_optim_step(struct l2d_optim *o, float *params, const float *grads, double lr);

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
