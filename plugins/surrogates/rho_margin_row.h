/* One row of the rho-margin surrogate (see rho_margin.c for the formula and
 * its erratum), shared by the host op and the CUDA kernel so both run the
 * same arithmetic: compiled as C, or under nvcc as __host__ __device__. */
#ifndef L2D_RHO_MARGIN_ROW_H
#define L2D_RHO_MARGIN_ROW_H

#include <math.h>
#include <stddef.h>

#include "l2d/compsum.h" /* L2D_HD */

/* Psi^u(v) and its derivative (1 + v)^(-u), for v >= 0. */
L2D_HD double l2d_rm_psi_u(double v, double u, double *dpsi)
{
    double l = log1p(v);
    *dpsi = exp(-u * l);
    if (u == 1.0) return l;
    return expm1((1.0 - u) * l) / (1.0 - u);
}

/* r[A] finite scores, c[A] finite costs >= 0 (the caller checks):
 * returns sum_j tau_j Psi^u(sum_{j' != j} Psi_rho(r_j - r_j')) and, when
 * g != NULL, its subgradient g[A] w.r.t. r. */
L2D_HD double l2d_rm_row(const double *r, const double *c, size_t A, double rho, double u,
                         double *g)
{
    if (g)
        for (size_t k = 0; k < A; k++) g[k] = 0.0;
    double l = 0.0;
    for (size_t j = 0; j < A; j++) {
        /* summed, not total - c_j: a small tau beside a large cost keeps
         * its precision, and is exactly 0 when the other costs are */
        double tau = 0.0;
        for (size_t k = 0; k < A; k++)
            if (k != j) tau += c[k];
        double v = 0.0;
        for (size_t jp = 0; jp < A; jp++) {
            if (jp == j) continue;
            double t = r[j] - r[jp];
            v += t <= 0.0 ? 1.0 : t >= rho ? 0.0 : 1.0 - t / rho;
        }
        double dpsi;
        l += tau * l2d_rm_psi_u(v, u, &dpsi);
        if (!g || tau == 0.0) continue;
        /* d/dr of tau Psi^u(v): tau dpsi dv/dr, dv/dr_j = sum of -1/rho on
         * the ramp, dv/dr_j' = +1/rho for each j' on the ramp */
        const double w = tau * dpsi / rho;
        for (size_t jp = 0; jp < A; jp++) {
            if (jp == j) continue;
            double t = r[j] - r[jp];
            if (t >= 0.0 && t <= rho) {
                g[j] -= w;
                g[jp] += w;
            }
        }
    }
    return l;
}

#endif
