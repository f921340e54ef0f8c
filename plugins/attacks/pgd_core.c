/* PGD on an l2d_objective (Madry et al.), l_inf or l_2, optional random
 * start, keeping the best iterate per row. Shared by the pgd and fgsm
 * plugins; knows nothing about rejectors. */
#include "config.h"

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

static int evaluate(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj,
                    const float *v, size_t B, double *val, float *grad, int it,
                    struct l2d_error *err)
{
    int rc = obj->value_grad(obj->self, v, B, val, grad, err);
    if (rc) return rc;
    for (size_t i = 0; i < B; i++)
        if (!isfinite(val[i]))
            return l2d_seterr(err, L2D_ENUMERIC,
                              "%s: objective value is not finite at row %zu (iterate %d)",
                              cfg->who, i, it);
    if (grad)
        for (size_t i = 0; i < B * obj->dim; i++)
            if (!isfinite(grad[i]))
                return l2d_seterr(err, L2D_ENUMERIC,
                                  "%s: objective gradient is not finite at row %zu, feature %zu "
                                  "(iterate %d)",
                                  cfg->who, i / obj->dim, i % obj->dim, it);
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
            memcpy(x_adv + i * D, v + i * D, D * sizeof *v);
        }
    }
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
    if (!cur || !grad || !val || !best) {
        rc = l2d_seterr(err, L2D_ENOMEM, "%s: out of memory for a batch of %zu x %zu", who, B, D);
        goto out;
    }
    const double worst = obj->maximise ? -INFINITY : INFINITY;
    for (size_t i = 0; i < B; i++) best[i] = worst;
    if (cfg->random_start) {
        /* the clean point competes too */
        if ((rc = evaluate(cfg, obj, x, B, val, NULL, -1, err))) goto out;
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
    for (int t = 0; t < cfg->steps; t++) {
        if ((rc = evaluate(cfg, obj, cur, B, val, grad, t, err))) goto out;
        keep_best(obj, cur, val, B, best, x_adv);
        for (size_t i = 0; i < B; i++) {
            step(cfg, dir, cur + i * D, grad + i * D, D);
            project(cfg, obj, cur + i * D, x + i * D, D);
        }
    }
    if ((rc = evaluate(cfg, obj, cur, B, val, NULL, cfg->steps, err))) goto out;
    keep_best(obj, cur, val, B, best, x_adv);
out:
    free(cur);
    free(grad);
    free(val);
    free(best);
    return rc;
}
