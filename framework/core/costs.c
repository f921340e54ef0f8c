/* Deferral costs, docs/math.md §2 (MT Def. 4.1 and Lemma 4.2-4.3). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/costs.h"

static const char *const reg_names[] = {"smooth_l1", "l1", "l2", "abs", "iou"};
#define N_REG (sizeof reg_names / sizeof reg_names[0])

int l2d_reg_parse(const char *name, enum l2d_reg *out)
{
    for (size_t k = 0; name && k < N_REG; k++)
        if (!strcmp(name, reg_names[k])) {
            *out = (enum l2d_reg)k;
            return 0;
        }
    return L2D_EINVAL;
}

const char *l2d_reg_name(enum l2d_reg reg)
{
    return (unsigned)reg < N_REG ? reg_names[reg] : "?";
}

static double box_area(double x1, double y1, double x2, double y2)
{
    return fmax(0, x2 - x1) * fmax(0, y2 - y1);
}

static double iou_loss(const float *a, const float *b)
{
    const double ia = box_area(a[0], a[1], a[2], a[3]), ib = box_area(b[0], b[1], b[2], b[3]);
    const double inter = box_area(fmax(a[0], b[0]), fmax(a[1], b[1]), fmin(a[2], b[2]),
                                  fmin(a[3], b[3]));
    const double uni = ia + ib - inter;
    /* two boxes without area have an empty union: no overlap, IoU 0 */
    return uni > 0 ? 1 - inter / uni : 1;
}

double l2d_reg_loss(enum l2d_reg reg, const float *that, const float *t, unsigned tdim)
{
    if (tdim == 0)
        return NAN;
    for (unsigned k = 0; k < tdim; k++)
        if (!isfinite(that[k]) || !isfinite(t[k]))
            return NAN;
    if (reg == L2D_REG_IOU)
        return tdim == 4 ? iou_loss(that, t) : NAN;
    double s = 0;
    for (unsigned k = 0; k < tdim; k++) {
        const double d = (double)that[k] - (double)t[k], ad = fabs(d);
        switch (reg) {
        case L2D_REG_SMOOTH_L1: s += ad < 1 ? 0.5 * d * d : ad - 0.5; break;
        case L2D_REG_L1: s += ad; break;
        case L2D_REG_L2:
        case L2D_REG_ABS: s += d * d; break;
        default: return NAN;
        }
    }
    return reg == L2D_REG_ABS ? sqrt(s / tdim) : s;
}

static int check_cfg(const struct l2d_cost_cfg *cfg, size_t A, unsigned tdim,
                     struct l2d_error *err)
{
    if (!(cfg->lambda_cla >= 0 && isfinite(cfg->lambda_cla)))
        return l2d_seterr(err, L2D_EINVAL, "cost: lambda_cla = %g (must be finite and >= 0)",
                          cfg->lambda_cla);
    if (!(cfg->lambda_reg >= 0 && isfinite(cfg->lambda_reg)))
        return l2d_seterr(err, L2D_EINVAL, "cost: lambda_reg = %g (must be finite and >= 0)",
                          cfg->lambda_reg);
    if ((unsigned)cfg->reg >= N_REG)
        return l2d_seterr(err, L2D_EINVAL, "cost: unknown regression loss %d", (int)cfg->reg);
    if (cfg->lambda_reg > 0 && cfg->reg == L2D_REG_IOU && tdim != 4 && tdim != 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "cost: reg = iou needs 4 regression outputs (x1,y1,x2,y2), the data "
                          "has %u",
                          tdim);
    if (!isfinite(cfg->clip))
        return l2d_seterr(err, L2D_EINVAL, "cost: clip = %g (must be finite)", cfg->clip);
    if (A < 1)
        return l2d_seterr(err, L2D_EINVAL, "cost: no agents");
    for (size_t j = 1; cfg->query_cost && j < A; j++) {
        const double b = cfg->beta_scale * cfg->query_cost[j];
        if (!(b >= 0 && isfinite(b)))
            return l2d_seterr(err, L2D_EINVAL,
                              "cost: agent %zu: beta = beta_scale * query_cost = %g * %g = %g "
                              "(must be finite and >= 0)",
                              j, cfg->beta_scale, cfg->query_cost[j], b);
    }
    return 0;
}

/* Is every input the configuration needs there, for every agent? */
static int check_inputs(const struct l2d_cost_cfg *cfg, size_t A, const int32_t *y,
                        const float *t, unsigned tdim, const struct l2d_agent_preds *preds,
                        struct l2d_error *err)
{
    const int has_t = t != NULL && tdim > 0;
    for (size_t j = 0; j < A; j++) {
        if (preds[j].cost)
            continue;
        if (cfg->lambda_cla > 0) {
            if (!y)
                return l2d_seterr(err, L2D_EINVAL,
                                  "cost: lambda_cla = %g but the data set has no class labels "
                                  "(agent %zu gives no direct cost); set lambda_cla = 0",
                                  cfg->lambda_cla, j);
            if (!preds[j].yhat)
                return l2d_seterr(err, L2D_EINVAL,
                                  "cost: lambda_cla = %g but agent %zu predicts no class and "
                                  "gives no direct cost",
                                  cfg->lambda_cla, j);
        }
        if (cfg->lambda_reg > 0) {
            if (!has_t)
                return l2d_seterr(err, L2D_EINVAL,
                                  "cost: lambda_reg = %g but the data set has no regression "
                                  "target (agent %zu gives no direct cost); set lambda_reg = 0",
                                  cfg->lambda_reg, j);
            if (!preds[j].that)
                return l2d_seterr(err, L2D_EINVAL,
                                  "cost: lambda_reg = %g but agent %zu predicts no regression "
                                  "target and gives no direct cost",
                                  cfg->lambda_reg, j);
        }
    }
    return 0;
}

int l2d_costs(const struct l2d_cost_cfg *cfg, size_t n, size_t A, const int32_t *y,
              const float *t, unsigned tdim, const struct l2d_agent_preds *preds, double *c,
              struct l2d_error *err)
{
    int rc;
    if ((rc = check_cfg(cfg, A, tdim, err)) || (rc = check_inputs(cfg, A, y, t, tdim, preds, err)))
        return rc;
    for (size_t j = 0; j < A; j++) {
        const struct l2d_agent_preds *p = &preds[j];
        const double beta = j > 0 && cfg->query_cost ? cfg->beta_scale * cfg->query_cost[j] : 0;
        for (size_t i = 0; i < n; i++) {
            double v;
            if (p->cost) {
                v = p->cost[i];
                if (!isfinite(v))
                    return l2d_seterr(err, L2D_ENUMERIC,
                                      "cost: agent %zu, sample %zu: direct cost is %g", j, i, v);
            } else {
                v = 0;
                if (cfg->lambda_cla > 0)
                    v += cfg->lambda_cla * (p->yhat[i] != y[i]);
                if (cfg->lambda_reg > 0) {
                    const double l = l2d_reg_loss(cfg->reg, p->that + i * tdim, t + i * tdim, tdim);
                    if (!isfinite(l))
                        return l2d_seterr(err, L2D_ENUMERIC,
                                          "cost: agent %zu, sample %zu: %s loss is %g "
                                          "(non-finite prediction or target)",
                                          j, i, l2d_reg_name(cfg->reg), l);
                    v += cfg->lambda_reg * l;
                }
            }
            v += beta;
            if (!isfinite(v))
                return l2d_seterr(err, L2D_ENUMERIC, "cost: agent %zu, sample %zu: cost is %g",
                                  j, i, v);
            if (v < 0)
                return l2d_seterr(err, L2D_EINVAL,
                                  "cost: agent %zu, sample %zu: cost %g is negative (costs "
                                  "must be >= 0)",
                                  j, i, v);
            if (cfg->clip > 0 && v > cfg->clip)
                v = cfg->clip;
            c[i * A + j] = v;
        }
    }
    return 0;
}

void l2d_tau(const double *c, size_t A, double *tau)
{
    /* suffix then prefix sums: a small tau next to one large cost keeps its
     * precision, which sum(c) - c_j would not */
    double acc = 0;
    for (size_t j = A; j-- > 0;) {
        tau[j] = acc;
        acc += c[j];
    }
    acc = 0;
    for (size_t j = 0; j < A; j++) {
        tau[j] += acc;
        acc += c[j];
    }
}

size_t l2d_argmin_cost(const double *c, size_t A)
{
    size_t best = 0;
    for (size_t j = 1; j < A; j++)
        if (c[j] < c[best])
            best = j;
    return best;
}
