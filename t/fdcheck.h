/* Finite-difference gradient checks for the layer and model tests: the
 * loss is L = sum_i r_i y_i (r fixed, random), so dL/dy = r is what
 * backward takes. The numeric gradient is the central difference
 * (L(v + h) - L(v - h)) / 2h of the float forward, L summed in double.
 * Tolerance, norm-wise: |num - ana| <= FD_RTOL |ana| + FD_ATOL sqrt(n).
 * With h = 1e-2 the truncation error of a smooth layer is O(h^2) ~ 1e-4
 * relative, float rounding in L about 1e-7 |L| / h ~ 1e-5 |L|; 2e-3 leaves
 * room for both without hiding a wrong term (an error in one component of
 * a tiny layer moves the norm by far more). */
#ifndef L2D_T_FDCHECK_H
#define L2D_T_FDCHECK_H
#include <math.h>
#include <stddef.h>

#include "tap.h"

#ifndef FD_H
#define FD_H 1e-2
#endif
#define FD_RTOL 2e-3
#define FD_ATOL 1e-5

/* L at the current values of every array: the test's closure */
typedef double (*fd_loss_fn)(void *ctx);

/* Compares ana[n] with the central differences of L over v[n] (v is
 * restored). */
static __attribute__((unused)) int fd_check(const char *what, float *v, const float *ana,
                                            size_t n, fd_loss_fn L, void *ctx)
{
    double dn = 0.0, an = 0.0, worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        const float v0 = v[i];
        v[i] = (float)(v0 + FD_H);
        const double hp = (double)v[i] - v0;
        double lp = L(ctx);
        v[i] = (float)(v0 - FD_H);
        const double hm = v0 - (double)v[i];
        double lm = L(ctx);
        v[i] = v0;
        double num = (lp - lm) / (hp + hm), d = num - ana[i];
        dn += d * d;
        an += (double)ana[i] * ana[i];
        if (fabs(d) > worst) worst = fabs(d), wi = i;
    }
    dn = sqrt(dn);
    an = sqrt(an);
    return tap_ok(dn <= FD_RTOL * an + FD_ATOL * sqrt((double)n) && an > 0,
                  "%s: %zu gradients vs central differences, |num - ana| = %.3g, |ana| = %.3g "
                  "(worst %.3g at %zu)",
                  what, n, dn, an, worst, wi);
}

static __attribute__((unused)) double fd_dot(const float *r, const float *y, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)r[i] * y[i];
    return s;
}
#endif
