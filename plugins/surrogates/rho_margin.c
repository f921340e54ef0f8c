/* rho-margin: the rho-margin deferral surrogate (ADV Def. 3.2 and 5.4, with
 * the erratum of docs/math.md §4):
 *
 *   Phi_def(r, c)        = sum_j tau_j Phi_01^{rho,u}(r, j),  tau_j = sum_{i != j} c_i
 *   Phi_01^{rho,u}(r, j) = Psi^u( sum_{j' != j} Psi_rho(r_j - r_j') )
 *   Psi_rho(t)           = min(max(0, 1 - t/rho), 1)
 *   Psi^1(v) = log(1 + v),  Psi^u(v) = ((1 + v)^(1-u) - 1) / (1 - u)
 *
 * The margin is r_j - r_j' and the argument 1 + v (not the paper's printed
 * r_j' - r_j and 1 - v): the loss falls as agent j's score dominates.
 *
 * Psi_rho is piecewise linear, so the gradient is a subgradient: -1/rho on
 * the closed ramp 0 <= t <= rho and 0 on the flat parts outside it. At the
 * two kinks this is the choice PyTorch's clamp makes (gradient passes when
 * the clamped value equals a bound), so equal scores, as at initialisation,
 * still get a training signal.
 *
 * Parameters: rho (> 0, default 1), nu (the u of ADV, >= 0, default 1).
 * No closed-form infimum: infimum = NULL. */
#include <math.h>
#include <stdlib.h>

#include "l2d/plugin.h"
#include "rho_margin_row.h"
#ifdef L2D_PLUGIN_CUDA
#include "surrogates_device.h"
#endif

struct rho_margin {
    double rho, u;
};

static int rm_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                     struct l2d_error *err)
{
    (void)host;
    double rho = l2d_param_double(p, "rho", 1.0), u = l2d_param_double(p, "nu", 1.0);
    if (!isfinite(rho) || !(rho > 0.0))
        return l2d_seterr(err, L2D_EINVAL, "rho-margin: rho: %g is not a finite number > 0", rho);
    if (!isfinite(u) || u < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "rho-margin: nu: %g is not a finite number >= 0", u);
    struct rho_margin *s = malloc(sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "rho-margin: out of memory");
    s->rho = rho;
    s->u = u;
    *state = s;
    return 0;
}

static int rm_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                   double *loss, double *grad, struct l2d_error *err)
{
    const struct rho_margin *s = state;
    const double rho = s->rho;
    for (size_t i = 0; i < B; i++) {
        const double *r = scores + i * A, *c = costs + i * A;
        double *g = grad ? grad + i * A : NULL;
        for (size_t k = 0; k < A; k++) {
            /* fmin/fmax would quietly turn a NaN score into a flat margin */
            if (!isfinite(r[k]))
                return l2d_seterr(err, L2D_ENUMERIC, "rho-margin: score [%zu][%zu] is not finite",
                                  i, k);
            if (!isfinite(c[k]))
                return l2d_seterr(err, L2D_ENUMERIC, "rho-margin: cost [%zu][%zu] is not finite",
                                  i, k);
            /* as for ce: the surrogate is only meaningful for tau >= 0 (a
             * negative cost gave a negative "loss") */
            if (c[k] < 0)
                return l2d_seterr(err, L2D_EINVAL,
                                  "rho-margin: cost [%zu][%zu] is %g (must be >= 0)", i, k, c[k]);
        }
        double l = l2d_rm_row(r, c, A, rho, s->u, g);
        if (!isfinite(l))
            return l2d_seterr(err, L2D_ENUMERIC, "rho-margin: non-finite loss at row %zu", i);
        loss[i] = l;
    }
    return 0;
}

static void rm_destroy(void *state) { free(state); }

#ifdef L2D_PLUGIN_CUDA
/* The same rows on the device (rho_margin_device.cu). */
static int rm_loss_device(void *state, const float *scores, const double *costs, size_t B,
                          size_t A, double scale, double *loss, float *grad, void *stream,
                          struct l2d_error *err)
{
    const struct rho_margin *s = state;
    return l2d_rm_loss_device(s->rho, s->u, scores, costs, B, A, scale, loss, grad, stream, err);
}
#endif

static const struct l2d_surrogate_ops rm_ops = {
    .struct_size = sizeof(struct l2d_surrogate_ops),
    .create = rm_create,
    .loss = rm_loss,
    .infimum = NULL,
    .train_batch = NULL,
    .destroy = rm_destroy,
#ifdef L2D_PLUGIN_CUDA
    .loss_device = rm_loss_device,
#endif
};

static const struct l2d_param_spec rm_params[] = {
    {"rho", L2D_PARAM_DOUBLE, "1", 1e-9, 1e9, NULL, "margin width of Psi_rho"},
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 100, NULL,
     "the u of Psi^u: 1 is log(1 + v), otherwise ((1 + v)^(1-u) - 1) / (1 - u)"},
    L2D_PARAMS_END,
};

static const struct l2d_plugin rm_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_SURROGATE, "rho-margin", "1.0",
                      "rho-margin deferral surrogate (ADV), non-convex, subgradients", rm_params,
                      &rm_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &rm_plugin : NULL;
}
