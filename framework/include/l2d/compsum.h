/* The comp-sum cross-entropy family of docs/math.md §3, one row at a time,
 * header-only so that a plugin's host op and its CUDA kernel share one
 * formula (compiled as C, or under nvcc as __host__ __device__):
 *
 *   s = softmax(r),  tau_j = sum_{i != j} c_i
 *   Phi_01^nu(r, j) = (s_j^(nu-1) - 1) / (1 - nu),   Phi_01^1(r, j) = -log s_j
 *   dPhi_01^nu(r, j)/dr_k = -s_j^(nu-1) (delta_jk - s_k)
 *
 * Double throughout: log s_j by log-sum-exp, s_j^(nu-1) = exp((nu-1) log s_j),
 * and Phi as expm1((nu-1) log s_j) / (1 - nu), which keeps full relative
 * precision for nu near 1 (no cancellation, no threshold); only nu == 1
 * exactly takes the -log s_j branch, the limit of that form. tau_j is summed
 * over i != j, not formed as sum(c) - c_j, so that it is exactly 0 when the
 * other costs are, and a small tau beside one large cost keeps its
 * precision. A term with tau_j == 0 is skipped: 0 * inf must not become NaN.
 */
#ifndef L2D_COMPSUM_H
#define L2D_COMPSUM_H

#include <math.h>
#include <stddef.h>

#if defined(__CUDACC__)
#define L2D_HD __host__ __device__ static inline
#else
#define L2D_HD static inline
#endif

/* What l2d_compsum_row() found wrong (0: nothing). */
enum l2d_compsum_status {
    L2D_COMPSUM_OK = 0,
    L2D_COMPSUM_BAD_SCORE = 1, /* a score is not finite */
    L2D_COMPSUM_BAD_COST = 2,  /* a cost is not finite or is < 0 */
    L2D_COMPSUM_BAD_VALUE = 3  /* the value or its gradient overflowed */
};

/* Phi_01^nu(r, j) from ls = log s_j. */
L2D_HD double l2d_compsum_phi(double ls, double nu)
{
    if (nu == 1.0) return -ls;
    return expm1((nu - 1.0) * ls) / (1.0 - nu);
}

/* One row: r[A] scores, c[A] costs (finite, >= 0), the family's nu.
 *   target < 0:  value = sum_j tau_j Phi_01^nu(r, j)       (Phi_def^nu)
 *   target = jt: value = w Phi_01^nu(r, jt), w = tau_jt, or 1 where
 *                tau_jt == 0 (docs/math.md §5's targeted attack)
 * and, when dr != NULL, dr[A] = d value / d r. Returns an enum
 * l2d_compsum_status; on failure *value and dr are not meaningful.
 * The caller checks 0 <= target < A. */
L2D_HD int l2d_compsum_row(const double *r, const double *c, size_t A, double nu, int target,
                           double *value, double *dr)
{
    double mx = r[0];
    for (size_t k = 0; k < A; k++) {
        if (!isfinite(r[k])) return L2D_COMPSUM_BAD_SCORE;
        if (!isfinite(c[k]) || c[k] < 0.0) return L2D_COMPSUM_BAD_COST;
        if (r[k] > mx) mx = r[k];
    }
    double z = 0.0;
    for (size_t k = 0; k < A; k++) z += exp(r[k] - mx);
    const double lse = mx + log(z);
    if (dr)
        for (size_t k = 0; k < A; k++) dr[k] = 0.0;
    /* v = sum_j tau_j Phi(r, j); wsum = sum_j tau_j (-s_j^(nu-1)), so that
     * dv/dr_k = tau_k (-s_k^(nu-1)) - s_k wsum */
    double v = 0.0, wsum = 0.0;
    const size_t j0 = target < 0 ? 0 : (size_t)target, j1 = target < 0 ? A : j0 + 1;
    for (size_t j = j0; j < j1; j++) {
        double tau = 0.0;
        for (size_t i = 0; i < A; i++)
            if (i != j) tau += c[i];
        if (target >= 0 && tau == 0.0) tau = 1.0;
        if (tau == 0.0) continue;
        const double ls = r[j] - lse;
        v += tau * l2d_compsum_phi(ls, nu);
        const double g = tau * -exp((nu - 1.0) * ls);
        wsum += g;
        if (dr) dr[j] += g; /* the delta_jk term */
    }
    if (!isfinite(v) || !isfinite(wsum)) return L2D_COMPSUM_BAD_VALUE;
    *value = v;
    if (dr)
        for (size_t k = 0; k < A; k++) dr[k] -= exp(r[k] - lse) * wsum; /* the -s_k term */
    return L2D_COMPSUM_OK;
}

#endif
