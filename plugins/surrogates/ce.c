/* The comp-sum cross-entropy family Phi_def^nu (MT eq. 1, docs/math.md §3):
 *
 *   Phi_def^nu(r, z) = sum_j tau_j Phi_01^nu(r, j),   tau_j = sum_{i != j} c_i
 *   Phi_01^nu(r, j)  = (s_j^(nu-1) - 1) / (1 - nu),  Phi_01^1 = -log s_j
 *
 * with s = softmax(r). Everything is in double: log s_j comes from
 * log-sum-exp and s_j^(nu-1) = exp((nu-1) log s_j), so for nu < 1 a large
 * score gap overflows to +inf, which is reported (L2D_ENUMERIC), never
 * returned.
 *
 * Near nu = 1: Phi_01^nu = -expm1((nu-1) log s_j) / (nu-1). expm1 keeps full
 * relative precision for a tiny argument, so this form is accurate for any
 * nu != 1 however close to 1 (no cancellation, no threshold needed); only
 * nu == 1 exactly takes the -log s_j branch, which is the limit of the
 * expm1 form. The infimum uses the same idea (see ce_infimum_row).
 *
 * The loss and its gradient are l2d/compsum.h's rows, which the device op
 * (ce_device.cu) shares, so CPU and GPU run one formula.
 */
#include <math.h>
#include <stdlib.h>

#include "l2d/compsum.h"
#include "l2d/plugin.h"
#ifdef L2D_PLUGIN_CUDA
#include "surrogates_device.h"
#endif

struct ce_state {
    double nu;
};

static const struct l2d_param_spec ce_params[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 100, NULL,
     "comp-sum parameter: 0 sum-exponential, 1 logistic (log-softmax), 2 MAE; > 2 allowed"},
    L2D_PARAMS_END,
};

static int ce_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                     struct l2d_error *err)
{
    (void)host;
    double nu = l2d_param_double(p, "nu", 1.0);
    if (!isfinite(nu) || nu < 0 || nu > 100)
        return l2d_seterr(err, L2D_EINVAL, "ce: nu = %g is outside [0, 100]", nu);
    struct ce_state *s = malloc(sizeof *s);
    if (!s)
        return l2d_seterr(err, L2D_ENOMEM, "ce: out of memory");
    s->nu = nu;
    *state = s;
    return 0;
}

static void ce_destroy(void *state) { free(state); }

/* tau_j = sum_{i != j} c_i as prefix + suffix sums, so a tau that is small
 * next to one large cost keeps its precision (sum(c) - c_j would not). */
static void ce_tau(const double *c, size_t A, double *tau)
{
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

/* Costs must be finite and non-negative: the family and its infimum are
 * only meaningful for tau >= 0. */
static int ce_check_costs(const double *c, size_t i, size_t A, struct l2d_error *err)
{
    for (size_t j = 0; j < A; j++)
        if (!isfinite(c[j]) || c[j] < 0)
            return l2d_seterr(err, L2D_EINVAL,
                              "ce: sample %zu: cost of agent %zu is %g (must be finite and >= 0)",
                              i, j, c[j]);
    return 0;
}

static int ce_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                   double *loss, double *grad, struct l2d_error *err)
{
    const double nu = ((const struct ce_state *)state)->nu;
    if (A < 2)
        return l2d_seterr(err, L2D_EINVAL, "ce: need at least 2 agents, got %zu", A);
    for (size_t i = 0; i < B; i++) {
        const double *r = scores + i * A, *c = costs + i * A;
        double *g = grad ? grad + i * A : NULL;
        switch (l2d_compsum_row(r, c, A, nu, -1, &loss[i], g)) {
        case L2D_COMPSUM_OK:
            break;
        case L2D_COMPSUM_BAD_COST:
            return ce_check_costs(c, i, A, err);
        case L2D_COMPSUM_BAD_SCORE:
            for (size_t k = 0; k < A; k++)
                if (!isfinite(r[k]))
                    return l2d_seterr(err, L2D_ENUMERIC, "ce: sample %zu: score of agent %zu is %g",
                                      i, k, r[k]);
            return l2d_seterr(err, L2D_EINTERNAL, "ce: sample %zu: bad score", i);
        default: {
            double m = r[0], lo = r[0];
            for (size_t k = 0; k < A; k++) {
                if (r[k] > m) m = r[k];
                if (r[k] < lo) lo = r[k];
            }
            return l2d_seterr(err, L2D_ENUMERIC,
                              "ce: non-finite loss at sample %zu (nu = %g): score gap %g too "
                              "large for this nu",
                              i, nu, m - lo);
        }
        }
        for (size_t k = 0; g && k < A; k++)
            if (!isfinite(g[k]))
                return l2d_seterr(err, L2D_ENUMERIC,
                                  "ce: non-finite gradient at sample %zu, agent %zu (nu = %g)", i,
                                  k, nu);
    }
    return 0;
}

/* Infimum over scores of sum_j tau_j Phi_01^nu(r, j) (MT Thm 4.6 with the
 * erratum of docs/math.md §3.1), for one row of tau >= 0 with T = ||tau||_1 > 0.
 *
 * For 0 <= nu < 2 the minimiser is s_k ∝ tau_k^p, p = 1/(2-nu), and
 *   inf = ((sum tau^p)^(1/p) - T) / (1 - nu).
 * Written with q = tau / T as T * expm1((1/p) log1p(S)) / (1 - nu),
 * S = sum q^p - 1 = sum q expm1((p-1) log q), it keeps its precision as
 * nu -> 1 (numerator and denominator both -> 0) and tends to the entropy
 * form there. */
static double ce_infimum_row(const double *tau, size_t A, double nu)
{
    double T = 0, mx = 0;
    for (size_t k = 0; k < A; k++) {
        T += tau[k];
        if (tau[k] > mx)
            mx = tau[k];
    }
    if (T == 0)
        return 0;
    if (nu >= 2) /* vertex (nu > 2: erratum; nu = 2: also the formula's limit) */
        return (T - mx) / (nu - 1);
    if (nu == 1) {
        double h = 0;
        for (size_t k = 0; k < A; k++)
            if (tau[k] > 0)
                h -= tau[k] * log(tau[k] / T);
        return h;
    }
    const double pm1 = (nu - 1) / (2 - nu); /* p - 1 */
    double S = 0;
    for (size_t k = 0; k < A; k++)
        if (tau[k] > 0) { /* q^p - q = 0 at q = 0 for p > 0 */
            double q = tau[k] / T;
            S += q * expm1(pm1 * log(q));
        }
    double v = T * expm1((2 - nu) * log1p(S)) / (1 - nu);
    return v == 0 ? 0.0 : v; /* no -0 in printed results */
}

static int ce_infimum(void *state, const double *costs, size_t B, size_t A, double *inf,
                      struct l2d_error *err)
{
    const double nu = ((const struct ce_state *)state)->nu;
    if (A < 2)
        return l2d_seterr(err, L2D_EINVAL, "ce: need at least 2 agents, got %zu", A);
    double *tau = malloc(A * sizeof *tau);
    if (!tau)
        return l2d_seterr(err, L2D_ENOMEM, "ce: out of memory (%zu agents)", A);
    int rc = 0;
    for (size_t i = 0; i < B; i++) {
        if ((rc = ce_check_costs(costs + i * A, i, A, err)))
            break;
        ce_tau(costs + i * A, A, tau);
        inf[i] = ce_infimum_row(tau, A, nu);
        if (!isfinite(inf[i])) {
            rc = l2d_seterr(err, L2D_ENUMERIC, "ce: non-finite infimum at sample %zu (nu = %g)",
                            i, nu);
            break;
        }
    }
    free(tau);
    return rc;
}

#ifdef L2D_PLUGIN_CUDA
/* The same rows on the device (ce_device.cu). */
static int ce_loss_device(void *state, const float *scores, const double *costs, size_t B,
                          size_t A, double scale, double *loss, float *grad, void *stream,
                          struct l2d_error *err)
{
    return l2d_ce_loss_device(((const struct ce_state *)state)->nu, scores, costs, B, A, scale,
                              loss, grad, stream, err);
}
#endif

static const struct l2d_surrogate_ops ce_ops = {
    .struct_size = sizeof(struct l2d_surrogate_ops),
    .create = ce_create,
    .loss = ce_loss,
    .infimum = ce_infimum,
    .train_batch = NULL,
    .destroy = ce_destroy,
#ifdef L2D_PLUGIN_CUDA
    .loss_device = ce_loss_device,
#endif
};

static const struct l2d_plugin ce_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_SURROGATE, "ce", "1.0",
                      "comp-sum cross-entropy family Phi_def^nu (MT eq. 1)", ce_params, &ce_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &ce_plugin : NULL;
}
