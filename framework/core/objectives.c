/* Attack objectives on a rejector: docs/math.md §5 with the comp-sum
 * family of section 3. See objectives.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_impl.h"
#include "core/objectives.h"
#ifdef L2D_HAVE_CUDA
#include "cuda/eval_cuda.h"
#endif

/* Phi_01^nu(r, j) from log s_j, and the factor -s_j^(nu-1) of its gradient
 * dPhi/dr_k = -s_j^(nu-1) (delta_jk - s_k). expm1 keeps nu near 1 exact. */
static double phi(double ls, double nu)
{
    if (nu == 1.0) return -ls;
    return expm1((nu - 1.0) * ls) / (1.0 - nu);
}
static double phi_factor(double ls, double nu) { return -exp((nu - 1.0) * ls); }

int l2d_rej_objective_score(const double *r, const double *c, size_t A, double nu, int target,
                            double *value, double *dr, struct l2d_error *err)
{
    if (A == 0) return l2d_seterr(err, L2D_EINVAL, "attack objective: no agents");
    if (target < -1 || (target >= 0 && (size_t)target >= A))
        return l2d_seterr(err, L2D_EINVAL, "attack objective: target agent %d is not in [0, %zu)",
                          target, A);
    double mx = -INFINITY;
    for (size_t k = 0; k < A; k++) {
        if (!isfinite(r[k]))
            return l2d_seterr(err, L2D_ENUMERIC, "attack objective: score %zu is not finite", k);
        if (!isfinite(c[k]))
            return l2d_seterr(err, L2D_ENUMERIC, "attack objective: cost %zu is not finite", k);
        if (r[k] > mx) mx = r[k];
    }
    double z = 0.0;
    for (size_t k = 0; k < A; k++) z += exp(r[k] - mx);
    const double lse = mx + log(z);
    /* tau_j summed explicitly (not total - c_j) so that it is exactly 0
     * when every other cost is 0: the targeted zero-weight rule tests it */
    double v = 0.0, wsum = 0.0;
    if (dr)
        for (size_t k = 0; k < A; k++) dr[k] = 0.0;
    const size_t j0 = target < 0 ? 0 : (size_t)target, j1 = target < 0 ? A : j0 + 1;
    for (size_t j = j0; j < j1; j++) {
        double tau = 0.0;
        for (size_t i = 0; i < A; i++)
            if (i != j) tau += c[i];
        if (target >= 0 && tau == 0.0) tau = 1.0;
        const double ls = r[j] - lse;
        v += tau * phi(ls, nu);
        const double g = tau * phi_factor(ls, nu);
        wsum += g;
        if (dr) dr[j] += g; /* the delta_jk term */
    }
    if (!isfinite(v) || !isfinite(wsum))
        return l2d_seterr(err, L2D_ENUMERIC,
                          "attack objective: value is not finite (nu = %g, scores too far apart)",
                          nu);
    *value = v;
    if (dr)
        for (size_t k = 0; k < A; k++) dr[k] -= exp(r[k] - lse) * wsum; /* the -s_k term */
    return 0;
}

static int rej_value_grad(void *self, const float *x, size_t B, double *value, float *grad,
                          struct l2d_error *err)
{
    struct l2d_rej_objective *o = self;
    const size_t A = o->A;
    if (B != o->B)
        return l2d_seterr(err, L2D_EINVAL,
                          "attack objective: called on %zu rows, built for the %zu rows of its "
                          "costs",
                          B, o->B);
    int rc = o->mctx->forward(o->mctx->self, x, B, o->scores, err);
    if (rc) return rc;
    for (size_t i = 0; i < B; i++) {
        for (size_t k = 0; k < A; k++) o->r[k] = o->scores[i * A + k];
        rc = l2d_rej_objective_score(o->r, o->c + i * A, A, o->nu, o->target, &value[i],
                                     grad ? o->dr : NULL, err);
        if (rc) {
            size_t len = strlen(err ? err->msg : "");
            if (err && len + 16 < sizeof err->msg)
                snprintf(err->msg + len, sizeof err->msg - len, " (row %zu)", i);
            return rc;
        }
        if (grad)
            for (size_t k = 0; k < A; k++) o->dscores[i * A + k] = (float)o->dr[k];
    }
    if (!grad) return 0;
    return o->mctx->backward(o->mctx->self, x, B, o->dscores, grad, 0, err);
}

int l2d_rej_objective_check(const double *c, size_t B, size_t A, double nu, int target,
                            struct l2d_error *err)
{
    if (!c && B) return l2d_seterr(err, L2D_EINVAL, "attack objective: no costs");
    if (!isfinite(nu) || nu < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "attack objective: nu = %g is not a finite value >= 0",
                          nu);
    if (target < -1 || (target >= 0 && (size_t)target >= A))
        return l2d_seterr(err, L2D_EINVAL, "attack objective: target agent %d is not in [0, %zu)",
                          target, A);
    return 0;
}

static int setup(struct l2d_rej_objective *o, const double *c, size_t B, double nu, int target,
                 struct l2d_error *err)
{
    const struct l2d_model_ctx *m = o->mctx;
    const size_t A = m->n_agents;
    if (!m->forward || !m->backward || m->dim == 0 || A == 0)
        return l2d_seterr(err, L2D_EINVAL, "attack objective: incomplete model context");
    int rc = l2d_rej_objective_check(c, B, A, nu, target, err);
    if (rc) return rc;
    o->c = c;
    o->B = B;
    o->A = A;
    o->nu = nu;
    o->target = target;
    size_t n = B ? B * A : 1;
    o->scores = malloc(n * sizeof *o->scores);
    o->dscores = malloc(n * sizeof *o->dscores);
    o->r = malloc(A * sizeof *o->r);
    o->dr = malloc(A * sizeof *o->dr);
    if (!o->scores || !o->dscores || !o->r || !o->dr) {
        l2d_rej_objective_free(o);
        return l2d_seterr(err, L2D_ENOMEM, "attack objective: out of memory for %zu x %zu scores",
                          B, A);
    }
    o->obj.self = o;
    o->obj.dim = m->dim;
    o->obj.maximise = target < 0;
    o->obj.value_grad = rej_value_grad;
    o->obj.lo = m->lo;
    o->obj.hi = m->hi;
    /* value_grad works on host arrays (ABI 2: device < 0), whatever the
     * zeroed struct would otherwise claim */
    o->obj.device = -1;
    o->obj.stream = NULL;
    return 0;
}

int l2d_rej_objective_init(struct l2d_rej_objective *o, struct l2d_model *m, const double *c,
                           size_t B, size_t A, double nu, int target, const float *lo,
                           const float *hi, struct l2d_error *err)
{
    memset(o, 0, sizeof *o);
    if (!m) return l2d_seterr(err, L2D_EINVAL, "attack objective: no rejector");
    if (l2d_model_out(m) != A)
        return l2d_seterr(err, L2D_EINVAL,
                          "attack objective: the rejector scores %zu agents but costs have %zu",
                          l2d_model_out(m), A);
    /* the objective only runs the model: no need for its MLP layout */
    l2d_model_ctx_init(&o->model, NULL, m, lo, hi);
    o->mctx = &o->model;
    return setup(o, c, B, nu, target, err);
}

int l2d_rej_objective_init_model(struct l2d_rej_objective *o, const struct l2d_model_ctx *model,
                                 const double *c, size_t B, double nu, int target,
                                 struct l2d_error *err)
{
    memset(o, 0, sizeof *o);
    if (!model) return l2d_seterr(err, L2D_EINVAL, "attack objective: no rejector");
    o->mctx = model;
    return setup(o, c, B, nu, target, err);
}

void l2d_rej_objective_free(struct l2d_rej_objective *o)
{
    if (!o) return;
    free(o->scores);
    free(o->dscores);
    free(o->r);
    free(o->dr);
    o->scores = o->dscores = NULL;
    o->r = o->dr = NULL;
}

int l2d_rej_attack(const struct l2d_attack_handle *atk, struct l2d_model *m, const float *x,
                   const double *c, size_t B, double nu, int target, const float *lo,
                   const float *hi, uint64_t seed, float *x_adv, struct l2d_error *err)
{
    if (!atk || !atk->ops || !atk->ops->perturb)
        return l2d_seterr(err, L2D_EINVAL, "attack objective: no attack plugin");
    if (!x || !x_adv) return l2d_seterr(err, L2D_EINVAL, "attack objective: no x or x_adv");
    if (l2d_model_device(m) >= 0) {
#ifdef L2D_HAVE_CUDA
        return l2d_cuda_rej_attack_host(atk, m, x, c, B, nu, target, lo, hi, seed, x_adv, NULL,
                                        err);
#else
        return l2d_seterr(err, L2D_EUNSUPPORTED, "attack: a CUDA model in a build without CUDA");
#endif
    }
    struct l2d_rej_objective o;
    int rc = l2d_rej_objective_init(&o, m, c, B, l2d_model_out(m), nu, target, lo, hi, err);
    if (!rc) rc = atk->ops->perturb(atk->state, &o.obj, x, B, x_adv, seed, err);
    l2d_rej_objective_free(&o);
    return rc;
}
