/* A small surrogate for the training/metrics tests, independent of the ce
 * plugin: Phi_def^1(r, c) = sum_j tau_j * (-log softmax(r)_j), tau_j =
 * sum_{i != j} c_i (docs/math.md §3, nu = 1). Gradient:
 * d/dr_k = ||tau||_1 s_k - tau_k; infimum ||tau||_1 H(tau / ||tau||_1). */
#ifndef L2D_T_TOY_SURROGATE_H
#define L2D_T_TOY_SURROGATE_H
#include <math.h>
#include <stdlib.h>
#include "l2d/plugin.h"

#define TOY_AMAX 16

static void toy_tau(const double *c, size_t A, double *tau, double *norm)
{
    double sum = 0;
    for (size_t j = 0; j < A; j++) sum += c[j];
    *norm = 0;
    for (size_t j = 0; j < A; j++) {
        tau[j] = sum - c[j];
        *norm += tau[j];
    }
}

static int toy_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                    double *loss, double *grad, struct l2d_error *err)
{
    (void)state;
    if (A > TOY_AMAX) return l2d_seterr(err, L2D_EINVAL, "toy: too many agents");
    for (size_t i = 0; i < B; i++) {
        const double *r = scores + i * A;
        double tau[TOY_AMAX], norm, mx = r[0], z = 0;
        toy_tau(costs + i * A, A, tau, &norm);
        for (size_t j = 1; j < A; j++) mx = r[j] > mx ? r[j] : mx;
        for (size_t j = 0; j < A; j++) z += exp(r[j] - mx);
        double lse = mx + log(z), l = 0;
        for (size_t j = 0; j < A; j++) l += tau[j] * (lse - r[j]);
        loss[i] = l;
        if (grad)
            for (size_t k = 0; k < A; k++) grad[i * A + k] = norm * exp(r[k] - lse) - tau[k];
    }
    return 0;
}

static int toy_infimum(void *state, const double *costs, size_t B, size_t A, double *inf,
                       struct l2d_error *err)
{
    (void)state;
    if (A > TOY_AMAX) return l2d_seterr(err, L2D_EINVAL, "toy: too many agents");
    for (size_t i = 0; i < B; i++) {
        double tau[TOY_AMAX], norm, h = 0;
        toy_tau(costs + i * A, A, tau, &norm);
        for (size_t j = 0; j < A; j++)
            if (tau[j] > 0) h -= tau[j] / norm * log(tau[j] / norm);
        inf[i] = norm * h;
    }
    return 0;
}

static const struct l2d_surrogate_ops toy_ops = {
    .struct_size = sizeof(struct l2d_surrogate_ops), .loss = toy_loss, .infimum = toy_infimum};
#endif
