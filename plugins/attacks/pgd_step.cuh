/* One row of PGD on the device: the random start, the step and the
 * projection of pgd_core.c with its arithmetic (float iterates, double
 * where pgd_core.c works in double), for the pgd and fgsm device op and for
 * kernels that fuse the attack into their own loop (smooth-adv's SARD
 * step). v, g, x0 are a row's D features; lo/hi the valid range or NULL
 * (NULL also when the spec does not clamp). */
#ifndef L2D_PGD_STEP_CUH
#define L2D_PGD_STEP_CUH

#include <math.h>

#include "l2d/plugin.h"
#include "xoshiro_jump.cuh"

__device__ static __forceinline__ void l2d_pgd_clamp_row(float *v, int D, const float *lo,
                                                         const float *hi)
{
#pragma unroll
    for (int k = 0; k < D; k++) {
        if (lo && v[k] < lo[k]) v[k] = lo[k];
        if (hi && v[k] > hi[k]) v[k] = hi[k];
    }
}

/* pgd_core.c's project(): onto the ball around x0, then the range. */
__device__ static __forceinline__ void l2d_pgd_project_row(const struct l2d_pgd_spec &sp,
                                                           float *v, const float *x0, int D,
                                                           const float *lo, const float *hi)
{
    if (sp.norm == L2D_NORM_LINF) {
#pragma unroll
        for (int k = 0; k < D; k++) {
            double l = (double)x0[k] - sp.eps, h = (double)x0[k] + sp.eps, t = v[k];
            v[k] = (float)(t < l ? l : t > h ? h : t);
        }
    } else {
        double n2 = 0.0;
#pragma unroll
        for (int k = 0; k < D; k++) {
            double d = (double)v[k] - (double)x0[k];
            n2 += d * d;
        }
        double n = sqrt(n2);
        if (n > sp.eps) {
            double s = sp.eps / n;
#pragma unroll
            for (int k = 0; k < D; k++)
                v[k] = (float)((double)x0[k] + s * ((double)v[k] - (double)x0[k]));
        }
    }
    l2d_pgd_clamp_row(v, D, lo, hi);
}

/* Draws per row of pgd_core.c's random_start(), so row i's draws start at
 * i * l2d_pgd_start_stride(). */
__host__ __device__ static inline uint64_t l2d_pgd_start_stride(const struct l2d_pgd_spec &sp,
                                                                int D)
{
    return sp.norm == L2D_NORM_LINF ? (uint64_t)D : 2 * (uint64_t)D + 1;
}

/* pgd_core.c's random_start() then project(), from the RNG state s already
 * at this row's first draw. */
__device__ static __forceinline__ void l2d_pgd_random_start_row(const struct l2d_pgd_spec &sp,
                                                                uint64_t *s, float *v,
                                                                const float *x0, int D,
                                                                const float *lo, const float *hi)
{
    if (sp.norm == L2D_NORM_LINF) {
        for (int k = 0; k < D; k++)
            v[k] = (float)((double)x0[k] + sp.eps * (2.0 * l2d_xo_uniform(s) - 1.0));
    } else {
        double n2 = 0.0;
        for (int k = 0; k < D; k++) {
            double g = l2d_xo_normal(s);
            v[k] = (float)g;
            n2 += g * g;
        }
        double r = sp.eps * pow(l2d_xo_uniform(s), 1.0 / (double)D);
        double sc = n2 > 0.0 ? r / sqrt(n2) : 0.0;
        for (int k = 0; k < D; k++) v[k] = (float)((double)x0[k] + sc * (double)v[k]);
    }
    l2d_pgd_project_row(sp, v, x0, D, lo, hi);
}

/* One l_inf step of size s (= dir * alpha) along sign(g), then the ball (its
 * bounds in float, as pgd_core.c's linf_step) and the range. Returns 0 when
 * g has a non-finite entry (v is then set to NaN, so the row's value
 * becomes NaN: the caller's check sees it). */
__device__ static __forceinline__ int l2d_pgd_linf_step_row(double s, double eps, float *v,
                                                            const float *g, const float *x0,
                                                            int D, const float *lo,
                                                            const float *hi)
{
    int ok = 1;
#pragma unroll
    for (int k = 0; k < D; k++) {
        ok &= isfinite(g[k]) ? 1 : 0;
        float t = (float)((double)v[k] + (g[k] > 0.0f ? s : g[k] < 0.0f ? -s : 0.0));
        const float bl = (float)((double)x0[k] - eps), bh = (float)((double)x0[k] + eps);
        t = t < bl ? bl : t > bh ? bh : t;
        if (lo && t < lo[k]) t = lo[k];
        if (hi && t > hi[k]) t = hi[k];
        v[k] = t;
    }
    if (!ok)
#pragma unroll
        for (int k = 0; k < D; k++) v[k] = NAN;
    return ok;
}

/* One l_2 step of size dir * alpha along g / ||g||_2 (none at a flat
 * point), then project. Returns 0 (v set to NaN) on a non-finite g. */
__device__ static __forceinline__ int l2d_pgd_l2_step_row(const struct l2d_pgd_spec &sp,
                                                          double dir, float *v, const float *g,
                                                          const float *x0, int D,
                                                          const float *lo, const float *hi)
{
    double n2 = 0.0;
#pragma unroll
    for (int k = 0; k < D; k++) n2 += (double)g[k] * (double)g[k];
    if (!isfinite(n2)) {
#pragma unroll
        for (int k = 0; k < D; k++) v[k] = NAN;
        return 0;
    }
    if (n2 > 0.0) {
        double s = dir * sp.alpha / sqrt(n2);
#pragma unroll
        for (int k = 0; k < D; k++) v[k] = (float)((double)v[k] + s * (double)g[k]);
    }
    l2d_pgd_project_row(sp, v, x0, D, lo, hi);
    return 1;
}

#endif
