/* PGD on an l2d_objective (Madry et al.), l_inf or l_2, optional random
 * start, keeping the best iterate per row. Shared by the pgd and fgsm
 * plugins; knows nothing about rejectors. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"
#include "pgd_core.h"

int l2d_pgd_norm_parse(const char *s)
{
    if (!s) return -1;
    if (!strcmp(s, "inf")) return L2D_PGD_LINF;
    if (!strcmp(s, "2")) return L2D_PGD_L2;
    return -1;
}

void l2d_pgd_describe(const struct l2d_pgd_cfg *cfg, struct l2d_pgd_spec *spec)
{
    spec->norm = cfg->norm == L2D_PGD_LINF ? L2D_NORM_LINF : L2D_NORM_L2;
    spec->eps = cfg->eps;
    spec->alpha = cfg->alpha;
    spec->steps = cfg->steps;
    spec->random_start = cfg->random_start;
    spec->clamp = cfg->clamp;
}

static void clamp_range(float *v, size_t D, const float *lo, const float *hi)
{
    for (size_t k = 0; k < D; k++) {
        if (lo && v[k] < lo[k]) v[k] = lo[k];
        if (hi && v[k] > hi[k]) v[k] = hi[k];
    }
}

/* Onto the ball around x0, then onto the valid range. Clipping to a range
 * that holds x0 only shortens each coordinate of v - x0, so the result
 * stays in the ball. */
static void project(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj, float *v,
                    const float *x0, size_t D)
{
    if (cfg->norm == L2D_PGD_LINF) {
        for (size_t k = 0; k < D; k++) {
            double lo = (double)x0[k] - cfg->eps, hi = (double)x0[k] + cfg->eps;
            double t = v[k];
            v[k] = (float)(t < lo ? lo : t > hi ? hi : t);
        }
    } else {
        double n2 = 0.0;
        for (size_t k = 0; k < D; k++) {
            double d = (double)v[k] - (double)x0[k];
            n2 += d * d;
        }
        double n = sqrt(n2);
        if (n > cfg->eps) {
            double s = cfg->eps / n;
            for (size_t k = 0; k < D; k++)
                v[k] = (float)((double)x0[k] + s * ((double)v[k] - (double)x0[k]));
        }
    }
    if (cfg->clamp) clamp_range(v, D, obj->lo, obj->hi);
}

static void random_start(const struct l2d_pgd_cfg *cfg, struct l2d_rng *rng, float *v,
                         const float *x0, size_t D)
{
    if (cfg->norm == L2D_PGD_LINF) {
        for (size_t k = 0; k < D; k++)
            v[k] = (float)((double)x0[k] + cfg->eps * (2.0 * l2d_rng_uniform(rng) - 1.0));
        return;
    }
    /* uniform in the l2 ball: Gaussian direction, radius eps * U^(1/D) */
    double n2 = 0.0;
    for (size_t k = 0; k < D; k++) {
        double g = l2d_rng_normal(rng);
        v[k] = (float)g;
        n2 += g * g;
    }
    double r = cfg->eps * pow(l2d_rng_uniform(rng), 1.0 / (double)D);
    double s = n2 > 0.0 ? r / sqrt(n2) : 0.0;
    for (size_t k = 0; k < D; k++) v[k] = (float)((double)x0[k] + s * (double)v[k]);
}

/* Moves v one step of size alpha along (maximise ? +1 : -1) * direction(g). */
static void step(const struct l2d_pgd_cfg *cfg, double dir, float *v, const float *g, size_t D)
{
    if (cfg->norm == L2D_PGD_LINF) {
        for (size_t k = 0; k < D; k++) {
            double sg = g[k] > 0.0f ? 1.0 : g[k] < 0.0f ? -1.0 : 0.0;
            v[k] = (float)((double)v[k] + dir * cfg->alpha * sg);
        }
        return;
    }
    double n2 = 0.0;
    for (size_t k = 0; k < D; k++) n2 += (double)g[k] * (double)g[k];
    if (!(n2 > 0.0)) return; /* a flat point: no direction to follow */
    double s = dir * cfg->alpha / sqrt(n2);
    for (size_t k = 0; k < D; k++) v[k] = (float)((double)v[k] + s * (double)g[k]);
}

static int bad_grad(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj, size_t i,
                    int it, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_ENUMERIC,
                      "%s: objective gradient is not finite at row %zu, feature %zu "
                      "(iterate %d)",
                      cfg->who, i / obj->dim, i % obj->dim, it);
}

/* check_grad = 0: the caller checks the gradient (linf_step does). */
static int evaluate(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj,
                    const float *v, size_t B, double *val, float *grad, int check_grad, int it,
                    struct l2d_error *err)
{
    int rc = obj->value_grad(obj->self, v, B, val, grad, err);
    if (rc) return rc;
    for (size_t i = 0; i < B; i++)
        if (!isfinite(val[i]))
            return l2d_seterr(err, L2D_ENUMERIC,
                              "%s: objective value is not finite at row %zu (iterate %d)",
                              cfg->who, i, it);
    if (grad && check_grad)
        for (size_t i = 0; i < B * obj->dim; i++)
            if (!isfinite(grad[i])) return bad_grad(cfg, obj, i, it, err);
    return 0;
}

static void keep_best(const struct l2d_objective *obj, const float *v, const double *val,
                      size_t B, double *best, float *x_adv)
{
    const size_t D = obj->dim;
    for (size_t i = 0; i < B; i++) {
        int better = obj->maximise ? val[i] > best[i] : val[i] < best[i];
        if (better) {
            best[i] = val[i];
            /* rows are short (tabular data): a loop beats a memcpy call */
            for (size_t k = 0; k < D; k++) x_adv[i * D + k] = v[i * D + k];
        }
    }
}

/* ---- the l_inf step over a whole batch ------------------------------------
 * The same arithmetic as step() then project() row by row, in one pass:
 * v = (float)((double)v + s sign(g)), s = dir * alpha, then clipped to the
 * ball, then to the valid range. The ball's bounds are taken in float,
 * blo = (float)((double)x0 - eps) (bhi alike): for a float t, clipping to
 * those gives the same bits as clipping in double and rounding, since
 * rounding is monotone. Returns the index of the first non-finite gradient
 * entry (then nothing is promised about v), or n. */
static size_t linf_step_scalar(float *v, const float *g, const float *blo, const float *bhi,
                               size_t n, double s, const float *lo, const float *hi, size_t D)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(g[i])) return i;
    for (size_t i = 0; i < n; i++) {
        float t = (float)((double)v[i] + (g[i] > 0.0f ? s : g[i] < 0.0f ? -s : 0.0));
        t = t < blo[i] ? blo[i] : t > bhi[i] ? bhi[i] : t;
        if (lo && t < lo[i % D]) t = lo[i % D];
        if (hi && t > hi[i % D]) t = hi[i % D];
        v[i] = t;
    }
    return n;
}

#if defined(__GNUC__) && defined(__x86_64__)
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));
typedef int v4i __attribute__((vector_size(16), aligned(4), may_alias));
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));

static inline __attribute__((always_inline, target("avx2"))) v4f sel4(v4i m, v4f a, v4f b)
{
    return (v4f)(((v4i)a & m) | ((v4i)b & ~m));
}

/* linf_step_scalar four lanes at a time (AVX2), the same bits. */
__attribute__((target("avx2"))) static size_t linf_step_avx2(float *v, const float *g,
                                                             const float *blo, const float *bhi,
                                                             size_t n, double s,
                                                             const float *lo, const float *hi,
                                                             size_t D)
{
    const v4d sp = {s, s, s, s};
    const v4f inf = {INFINITY, INFINITY, INFINITY, INFINITY};
    v4i bad = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f gv = *(const v4f *)(g + i);
        /* |g| < inf is false for inf and NaN */
        v4f ag = (v4f)((v4i)gv & 0x7fffffff);
        bad |= ~(ag < inf);
        v4l pos = __builtin_convertvector(gv > 0.0f, v4l), neg = __builtin_convertvector(gv < 0.0f, v4l);
        v4d add = (v4d)(((v4l)sp & pos) | ((v4l)(-sp) & neg));
        v4f t = __builtin_convertvector(__builtin_convertvector(*(const v4f *)(v + i), v4d) + add, v4f);
        v4f bl = *(const v4f *)(blo + i), bh = *(const v4f *)(bhi + i);
        t = sel4(t < bl, bl, t);
        t = sel4(t > bh, bh, t);
        *(v4f *)(v + i) = t;
    }
    if (bad[0] | bad[1] | bad[2] | bad[3]) return linf_step_scalar(v, g, blo, bhi, n, s, lo, hi, D);
    size_t r = linf_step_scalar(v + i, g + i, blo + i, bhi + i, n - i, s, NULL, NULL, D);
    if (r < n - i) return i + r;
    if (lo || hi)
        for (size_t k = 0; k < n; k++) {
            if (lo && v[k] < lo[k % D]) v[k] = lo[k % D];
            if (hi && v[k] > hi[k % D]) v[k] = hi[k % D];
        }
    return n;
}
#endif

static size_t linf_step(float *v, const float *g, const float *blo, const float *bhi, size_t n,
                        double s, const float *lo, const float *hi, size_t D)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (l2d_cpu_simd() & L2D_SIMD_AVX2) return linf_step_avx2(v, g, blo, bhi, n, s, lo, hi, D);
#endif
    return linf_step_scalar(v, g, blo, bhi, n, s, lo, hi, D);
}

int l2d_pgd_run(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj, const float *x,
                size_t B, float *x_adv, uint64_t seed, struct l2d_error *err)
{
    const char *who = cfg->who ? cfg->who : "pgd";
    if (!obj || !obj->value_grad || !x || !x_adv)
        return l2d_seterr(err, L2D_EINVAL, "%s: perturb needs an objective, x and x_adv", who);
    if (obj->dim == 0) return l2d_seterr(err, L2D_EINVAL, "%s: objective has dim 0", who);
    if (!(cfg->eps >= 0.0) || !isfinite(cfg->eps) || cfg->steps < 1 || !(cfg->alpha >= 0.0) ||
        !isfinite(cfg->alpha))
        return l2d_seterr(err, L2D_EINVAL, "%s: bad settings (eps %g, steps %d, step %g)", who,
                          cfg->eps, cfg->steps, cfg->alpha);
    const size_t D = obj->dim;
    if (B == 0) return 0;
    memcpy(x_adv, x, B * D * sizeof *x);
    if (cfg->eps == 0.0) return 0; /* the ball is the point x */

    int rc = 0;
    float *cur = malloc(B * D * sizeof *cur), *grad = malloc(B * D * sizeof *grad);
    double *val = malloc(B * sizeof *val), *best = malloc(B * sizeof *best);
    float *blo = NULL, *bhi = NULL;
    if (!cur || !grad || !val || !best) {
        rc = l2d_seterr(err, L2D_ENOMEM, "%s: out of memory for a batch of %zu x %zu", who, B, D);
        goto out;
    }
    const double worst = obj->maximise ? -INFINITY : INFINITY;
    for (size_t i = 0; i < B; i++) best[i] = worst;
    if (cfg->random_start) {
        /* the clean point competes too */
        if ((rc = evaluate(cfg, obj, x, B, val, NULL, 0, -1, err))) goto out;
        keep_best(obj, x, val, B, best, x_adv);
        struct l2d_rng rng;
        l2d_rng_seed(&rng, l2d_seed_mix(seed, "pgd-random-start"));
        for (size_t i = 0; i < B; i++) {
            random_start(cfg, &rng, cur + i * D, x + i * D, D);
            project(cfg, obj, cur + i * D, x + i * D, D);
        }
    } else {
        memcpy(cur, x, B * D * sizeof *x);
    }
    const double dir = obj->maximise ? 1.0 : -1.0;
    const int linf = cfg->norm == L2D_PGD_LINF;
    if (linf) {
        /* the ball's bounds once per call (see linf_step) */
        blo = malloc(B * D * sizeof *blo);
        bhi = malloc(B * D * sizeof *bhi);
        if (!blo || !bhi) {
            rc = l2d_seterr(err, L2D_ENOMEM, "%s: out of memory for a batch of %zu x %zu", who,
                            B, D);
            goto out;
        }
        for (size_t i = 0; i < B * D; i++) {
            blo[i] = (float)((double)x[i] - cfg->eps);
            bhi[i] = (float)((double)x[i] + cfg->eps);
        }
    }
    const float *lo = cfg->clamp ? obj->lo : NULL, *hi = cfg->clamp ? obj->hi : NULL;
    for (int t = 0; t < cfg->steps; t++) {
        if ((rc = evaluate(cfg, obj, cur, B, val, grad, !linf, t, err))) goto out;
        keep_best(obj, cur, val, B, best, x_adv);
        if (linf) {
            size_t bad = linf_step(cur, grad, blo, bhi, B * D, dir * cfg->alpha, lo, hi, D);
            if (bad < B * D) {
                rc = bad_grad(cfg, obj, bad, t, err);
                goto out;
            }
            continue;
        }
        for (size_t i = 0; i < B; i++) {
            step(cfg, dir, cur + i * D, grad + i * D, D);
            project(cfg, obj, cur + i * D, x + i * D, D);
        }
    }
    if ((rc = evaluate(cfg, obj, cur, B, val, NULL, 0, cfg->steps, err))) goto out;
    keep_best(obj, cur, val, B, best, x_adv);
out:
    free(blo);
    free(bhi);
    free(cur);
    free(grad);
    free(val);
    free(best);
    return rc;
}
