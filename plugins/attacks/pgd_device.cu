/* pgd and fgsm on the device: l2d_pgd_run (pgd_core.c) step for step, its
 * objective evaluations being the device objective's value_grad, queued on
 * the caller's stream; kernels do the bookkeeping (best iterate per row,
 * random start, step and projection: pgd_step.cuh). Nothing is read back
 * to the host, so a row whose value or gradient is not finite cannot stop
 * the run as on the host: it comes back as NaN, which the caller's check
 * of its outputs reports. */
#include <math.h>
#include <string.h>

#include "../cuda_util.cuh"
#include "l2d/engine.h"
#include "pgd_core.h"
#include "pgd_step.cuh"

struct pgd_dev {
    void *cur, *grad, *val, *best; /* [B][D] x2 float, [B] x2 double */
    size_t cap_cur, cap_grad, cap_val, cap_best;
    uint64_t *tables;              /* xoshiro jump tables, on the device */
};

extern "C" void l2d_pgd_device_free(struct l2d_pgd_cfg *cfg)
{
    struct pgd_dev *d = (struct pgd_dev *)cfg->dev;
    if (!d) return;
    cudaFree(d->cur), cudaFree(d->grad), cudaFree(d->val), cudaFree(d->best);
    cudaFree(d->tables);
    free(d);
    cfg->dev = NULL;
}

__global__ void pgd_fill_kernel(double *best, size_t B, double v)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < B) best[i] = v;
}

/* keep_best: a better value takes the row; a non-finite one poisons it
 * (best and x_adv NaN from then on). */
__global__ void pgd_keep_best_kernel(const double *val, size_t B, int D, int maximise,
                                     double *best, const float *v, float *x_adv)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    const double b = best[i], x = val[i];
    if (isnan(b)) return;
    float *xa = x_adv + i * D;
    if (!isfinite(x)) {
        best[i] = NAN;
        for (int k = 0; k < D; k++) xa[k] = NAN;
        return;
    }
    if (maximise ? x > b : x < b) {
        best[i] = x;
        for (int k = 0; k < D; k++) xa[k] = v[i * D + k];
    }
}

__global__ void pgd_random_start_kernel(struct l2d_pgd_spec sp, const float *x, size_t B, int D,
                                        uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3,
                                        const uint64_t *tables, const float *lo, const float *hi,
                                        float *cur)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    uint64_t s[4] = {s0, s1, s2, s3};
    l2d_xo_jump(s, (uint64_t)i * l2d_pgd_start_stride(sp, D), tables);
    l2d_pgd_random_start_row(sp, s, cur + i * D, x + i * D, D, lo, hi);
}

/* l_inf: one thread per entry (D may be large: images). */
__global__ void pgd_linf_step_kernel(float *v, const float *g, const float *x, size_t n, int D,
                                     double s, double eps, const float *lo, const float *hi)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int k = (int)(i % D);
    l2d_pgd_linf_step_row(s, eps, v + i, g + i, x + i, 1, lo ? lo + k : NULL, hi ? hi + k : NULL);
}

/* l_2: one thread per row (the row's norm). */
__global__ void pgd_l2_step_kernel(struct l2d_pgd_spec sp, double dir, float *v, const float *g,
                                   const float *x, size_t B, int D, const float *lo,
                                   const float *hi)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    l2d_pgd_l2_step_row(sp, dir, v + i * D, g + i * D, x + i * D, D, lo, hi);
}

static int reserve(struct l2d_pgd_cfg *cfg, size_t B, size_t D, struct l2d_error *err,
                   const char *who)
{
    struct pgd_dev *d = (struct pgd_dev *)cfg->dev;
    if (!d) {
        d = (struct pgd_dev *)calloc(1, sizeof *d);
        if (!d) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
        cfg->dev = d;
    }
    int rc;
    if ((rc = l2d_cu_reserve(&d->cur, &d->cap_cur, B * D * sizeof(float), err, who)) ||
        (rc = l2d_cu_reserve(&d->grad, &d->cap_grad, B * D * sizeof(float), err, who)) ||
        (rc = l2d_cu_reserve(&d->val, &d->cap_val, B * sizeof(double), err, who)) ||
        (rc = l2d_cu_reserve(&d->best, &d->cap_best, B * sizeof(double), err, who)))
        return rc;
    if (cfg->random_start && !d->tables) {
        /* once per instance, on the first call (outside any capture) */
        uint64_t *t = l2d_xo_tables_build();
        if (!t) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
        const size_t bytes = L2D_XO_TABLE_WORDS * sizeof *t;
        cudaError_t e = cudaMalloc((void **)&d->tables, bytes);
        if (e == cudaSuccess) e = cudaMemcpy(d->tables, t, bytes, cudaMemcpyHostToDevice);
        free(t);
        if (e != cudaSuccess) {
            cudaFree(d->tables);
            d->tables = NULL;
            return l2d_cu_fail(e, err, who, "RNG tables");
        }
    }
    return 0;
}

extern "C" int l2d_pgd_run_device(struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj,
                                  const float *x, size_t B, float *x_adv, uint64_t seed,
                                  void *stream, struct l2d_error *err)
{
    const char *who = cfg->who ? cfg->who : "pgd";
    if (!obj || !obj->value_grad || !x || !x_adv)
        return l2d_seterr(err, L2D_EINVAL, "%s: perturb needs an objective, x and x_adv", who);
    if (obj->device < 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: perturb_device needs a device objective", who);
    if (obj->dim == 0) return l2d_seterr(err, L2D_EINVAL, "%s: objective has dim 0", who);
    if (!(cfg->eps >= 0.0) || !isfinite(cfg->eps) || cfg->steps < 1 || !(cfg->alpha >= 0.0) ||
        !isfinite(cfg->alpha))
        return l2d_seterr(err, L2D_EINVAL, "%s: bad settings (eps %g, steps %d, step %g)", who,
                          cfg->eps, cfg->steps, cfg->alpha);
    const size_t D = obj->dim;
    if (B == 0) return 0;
    cudaStream_t st = (cudaStream_t)stream;
    cudaError_t e = cudaMemcpyAsync(x_adv, x, B * D * sizeof *x, cudaMemcpyDeviceToDevice, st);
    if (e != cudaSuccess) return l2d_cu_fail(e, err, who, "copy x");
    if (cfg->eps == 0.0) return 0; /* the ball is the point x */
    int rc = reserve(cfg, B, D, err, who);
    if (rc) return rc;
    struct pgd_dev *d = (struct pgd_dev *)cfg->dev;
    float *cur = (float *)d->cur, *grad = (float *)d->grad;
    double *val = (double *)d->val, *best = (double *)d->best;
    struct l2d_pgd_spec sp;
    l2d_pgd_describe(cfg, &sp);
    const unsigned T = 128;
    const unsigned gb = l2d_cu_blocks(B, T), ge = l2d_cu_blocks(B * D, T);
    const int Di = (int)D, mx = obj->maximise != 0;
    const float *lo = cfg->clamp ? obj->lo : NULL, *hi = cfg->clamp ? obj->hi : NULL;

    pgd_fill_kernel<<<gb, T, 0, st>>>(best, B, mx ? -INFINITY : INFINITY);
    if ((rc = l2d_cu_launched(err, who, "fill"))) return rc;
    if (cfg->random_start) {
        /* the clean point competes too */
        if ((rc = obj->value_grad(obj->self, x, B, val, NULL, err))) return rc;
        pgd_keep_best_kernel<<<gb, T, 0, st>>>(val, B, Di, mx, best, x, x_adv);
        if ((rc = l2d_cu_launched(err, who, "keep best"))) return rc;
        uint64_t s[4];
        l2d_xo_seed(s, l2d_seed_mix(seed, "pgd-random-start"));
        pgd_random_start_kernel<<<gb, T, 0, st>>>(sp, x, B, Di, s[0], s[1], s[2], s[3], d->tables,
                                                  lo, hi, cur);
        if ((rc = l2d_cu_launched(err, who, "random start"))) return rc;
    } else {
        e = cudaMemcpyAsync(cur, x, B * D * sizeof *x, cudaMemcpyDeviceToDevice, st);
        if (e != cudaSuccess) return l2d_cu_fail(e, err, who, "copy x");
    }
    const double dir = mx ? 1.0 : -1.0;
    for (int t = 0; t < cfg->steps; t++) {
        if ((rc = obj->value_grad(obj->self, cur, B, val, grad, err))) return rc;
        pgd_keep_best_kernel<<<gb, T, 0, st>>>(val, B, Di, mx, best, cur, x_adv);
        if ((rc = l2d_cu_launched(err, who, "keep best"))) return rc;
        if (sp.norm == L2D_NORM_LINF)
            pgd_linf_step_kernel<<<ge, T, 0, st>>>(cur, grad, x, B * D, Di, dir * cfg->alpha,
                                                   cfg->eps, lo, hi);
        else
            pgd_l2_step_kernel<<<gb, T, 0, st>>>(sp, dir, cur, grad, x, B, Di, lo, hi);
        if ((rc = l2d_cu_launched(err, who, "step"))) return rc;
    }
    if ((rc = obj->value_grad(obj->self, cur, B, val, NULL, err))) return rc;
    pgd_keep_best_kernel<<<gb, T, 0, st>>>(val, B, Di, mx, best, cur, x_adv);
    return l2d_cu_launched(err, who, "keep best");
}
