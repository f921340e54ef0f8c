/* smooth-adv: the SARD surrogate (ADV Lemma 5.6, 5.7, Prop. 5.12, App. C;
 * docs/math.md §6):
 *
 *   Phi_def^{smth,u}(r, z) = sum_j tau_j [ Phi_01^u(r(x)/rho, j)
 *                                          + adv_weight sup_{x'_j in B} ||Dbar(x'_j, j) - Dbar(x, j)||_2 ]
 *   Dbar(x, j) = (r(x, j) - r(x, j'))_{j' != j},   tau_j = sum_{i != j} c_i
 *
 * u is the comp-sum parameter (configuration key `nu`, as for `ce`), ADV's
 * nu is `adv_weight`. The ball B is the configured attack plugin's (its
 * norm, eps, steps, random start): train_batch runs it once per agent j on
 * the objective ||Dbar(x', j) - Dbar(x, j)||_2, the clean scores held fixed.
 * The outer gradient flows through r(x'_j) and r(x) with x'_j a constant
 * (Danskin). Weight decay (ADV's eta) is the optimiser's.
 *
 * At x' = x the norm has no gradient (every direction is a subgradient), so
 * an attack starting at x would never move. The inner objective then uses
 * the subgradient along u = -(1, ..., 1)/sqrt(J) (lowering agent j's margin
 * over every other agent), which gets the first step going; with
 * random_start the question does not arise.
 *
 * Cost per batch of B rows with a T_a-step PGD: B (1 + A (T_a + 1))
 * backward passes (per agent T_a inner steps and the outer pass at x'_j,
 * plus the clean pass) and B (2 + A (T_a + 2)) forward passes (PGD's
 * best-iterate check adds one per agent, the clean pass is run twice).
 * ADV Prop. 5.13 counts n (1 + A T_a): the extra A is the outer pass
 * through r(x'_j), which the gradient needs.
 *
 * The scores-only `loss` op gives the clean part, sum_j tau_j
 * Phi_01^u(r/rho, j) (what the host reports on validation); train_batch
 * gives the whole loss per row and accumulates the gradient of the batch
 * mean.
 *
 * train_batch_device (smooth_adv_device.cu, when built with CUDA) is the
 * same step on device arrays: one fused kernel for every row's attack for
 * every agent when the model shows its MLP and the attack describes itself
 * as PGD, else the attack's perturb_device. The clean part's rows are
 * l2d/compsum.h's, shared with the kernels.
 *
 * Parameters: nu (>= 0, default 1), rho (> 0, default 1), adv_weight
 * (>= 0, default 0.01; 0 gives the clean part alone and needs no attack). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/compsum.h"
#include "l2d/engine.h"
#include "l2d/plugin.h"
#ifdef L2D_PLUGIN_CUDA
#include "smooth_adv_device.h"
#endif

struct sard {
    double u, rho, adv_weight;
    uint64_t seed, batches;
    size_t capB, capA, capD;
    float *s0, *sa, *ds, *xa, *dcf; /* [B][A] x 3, [B][D], [B][A] */
    double *dclean;                 /* [B][A]: gradient of the mean loss w.r.t. r(x) */
    double *r, *rin, *dr, *g;       /* [A] scratch */
    void *dev;                      /* device scratch (smooth_adv_device.cu) */
};

static int sard_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                       struct l2d_error *err)
{
    double u = l2d_param_double(p, "nu", 1.0), rho = l2d_param_double(p, "rho", 1.0),
           w = l2d_param_double(p, "adv_weight", 0.01);
    if (!isfinite(u) || u < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "smooth-adv: nu: %g is not a finite number >= 0", u);
    if (!isfinite(rho) || !(rho > 0.0))
        return l2d_seterr(err, L2D_EINVAL, "smooth-adv: rho: %g is not a finite number > 0", rho);
    if (!isfinite(w) || w < 0.0)
        return l2d_seterr(err, L2D_EINVAL,
                          "smooth-adv: adv_weight: %g is not a finite number >= 0", w);
    struct sard *s = calloc(1, sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "smooth-adv: out of memory");
    s->u = u;
    s->rho = rho;
    s->adv_weight = w;
    s->seed = l2d_seed_mix(host ? host->seed : 0, "smooth-adv");
    *state = s;
    return 0;
}

static void sard_free_bufs(struct sard *s)
{
    free(s->s0), free(s->sa), free(s->ds), free(s->xa), free(s->dcf);
    free(s->dclean), free(s->r), free(s->rin), free(s->dr), free(s->g);
    s->s0 = s->sa = s->ds = s->xa = s->dcf = NULL;
    s->dclean = s->r = s->rin = s->dr = s->g = NULL;
    s->capB = s->capA = s->capD = 0;
}

static void sard_destroy(void *state)
{
    struct sard *s = state;
    if (!s) return;
    sard_free_bufs(s);
#ifdef L2D_PLUGIN_CUDA
    l2d_sard_device_free(s->dev);
#endif
    free(s);
}

static int sard_reserve(struct sard *s, size_t B, size_t A, size_t D, struct l2d_error *err)
{
    if (B <= s->capB && A == s->capA && D == s->capD) return 0;
    sard_free_bufs(s);
    size_t ba = B * A;
    s->s0 = malloc(ba * sizeof *s->s0);
    s->sa = malloc(ba * sizeof *s->sa);
    s->ds = malloc(ba * sizeof *s->ds);
    s->dcf = malloc(ba * sizeof *s->dcf);
    s->xa = malloc(B * D * sizeof *s->xa);
    s->dclean = malloc(ba * sizeof *s->dclean);
    s->r = malloc(A * sizeof *s->r);
    s->rin = malloc(A * sizeof *s->rin);
    s->dr = malloc(A * sizeof *s->dr);
    s->g = malloc(A * sizeof *s->g);
    if (!s->s0 || !s->sa || !s->ds || !s->dcf || !s->xa || !s->dclean || !s->r || !s->rin ||
        !s->dr || !s->g) {
        sard_free_bufs(s);
        return l2d_seterr(err, L2D_ENOMEM, "smooth-adv: out of memory for a batch of %zu x %zu",
                          B, D);
    }
    s->capB = B, s->capA = A, s->capD = D;
    return 0;
}

/* The clean part for one row: tau . Phi_01^u(r/rho, .) and its gradient
 * w.r.t. r (the chain rule's 1/rho included); scratch holds A doubles. */
static int clean_row(const struct sard *s, const double *r, const double *c, size_t A,
                     double *value, double *dr, double *scratch, struct l2d_error *err)
{
    /* as for ce: the family is only meaningful for tau >= 0 (a negative
     * cost gave a negative "loss") */
    for (size_t k = 0; k < A; k++)
        if (!(c[k] >= 0))
            return l2d_seterr(err, isfinite(c[k]) ? L2D_EINVAL : L2D_ENUMERIC,
                              "smooth-adv: cost of agent %zu is %g (must be finite and >= 0)", k, c[k]);
    for (size_t k = 0; k < A; k++) scratch[k] = r[k] / s->rho;
    switch (l2d_compsum_row(scratch, c, A, s->u, -1, value, dr)) {
    case L2D_COMPSUM_OK:
        break;
    case L2D_COMPSUM_BAD_SCORE:
        return l2d_seterr(err, L2D_ENUMERIC, "smooth-adv: a score is not finite");
    case L2D_COMPSUM_BAD_COST: /* checked above */
        return l2d_seterr(err, L2D_EINTERNAL, "smooth-adv: bad cost");
    default:
        return l2d_seterr(err, L2D_ENUMERIC,
                          "smooth-adv: value is not finite (nu = %g, scores too far apart)", s->u);
    }
    if (dr)
        for (size_t k = 0; k < A; k++) dr[k] /= s->rho;
    return 0;
}

static int sard_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                     double *loss, double *grad, struct l2d_error *err)
{
    const struct sard *s = state;
    if (A == 0) return l2d_seterr(err, L2D_EINVAL, "smooth-adv: no agents");
    double *scratch = malloc(A * sizeof *scratch);
    if (!scratch) return l2d_seterr(err, L2D_ENOMEM, "smooth-adv: out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < B; i++)
        rc = clean_row(s, scores + i * A, costs + i * A, A, &loss[i], grad ? grad + i * A : NULL,
                       scratch, err);
    free(scratch);
    return rc;
}

/* Dbar(x', j) - Dbar(x, j) for one row: entries k != j of
 * (sa_j - sa_k) - (s0_j - s0_k); returns its l2 norm. */
static double delta_norm(const float *sa, const float *s0, size_t A, size_t j)
{
    double n2 = 0.0;
    for (size_t k = 0; k < A; k++) {
        if (k == j) continue;
        double d = ((double)sa[j] - sa[k]) - ((double)s0[j] - s0[k]);
        n2 += d * d;
    }
    return sqrt(n2);
}

/* d ||Delta|| / d sa, scaled by w, into g[A]; at Delta = 0 the subgradient
 * along u = -(1..1)/sqrt(J) when at_zero_dir, else 0. */
static void delta_grad(const float *sa, const float *s0, size_t A, size_t j, double n, double w,
                       int at_zero_dir, double *g)
{
    const double J = (double)(A - 1);
    double gj = 0.0;
    for (size_t k = 0; k < A; k++) {
        if (k == j) continue;
        double uk;
        if (n > 0.0)
            uk = (((double)sa[j] - sa[k]) - ((double)s0[j] - s0[k])) / n;
        else
            uk = at_zero_dir ? -1.0 / sqrt(J) : 0.0;
        g[k] = -w * uk;
        gj += w * uk;
    }
    g[j] = gj;
}

/* Agents the vectorised inner objective takes (more: the scalar loop). */
#define SARD_MAX_AGENTS 64

/* The inner objective for agent j: maximise ||Dbar(x', j) - Dbar(x, j)||_2. */
struct inner {
    struct l2d_objective obj;
    const struct l2d_model_ctx *m;
    const float *s0;
    size_t B, A, j;
    float *s, *ds;
    double *g;
};

/* delta_norm and delta_grad (w = 1, at_zero_dir) for rows [i0, i1), fused,
 * the same arithmetic in the same order: this runs at every PGD step, where
 * per-row calls and the differences computed twice showed up in profiles.
 * Returns the first row with a non-finite norm, or i1. */
static size_t inner_rows(const struct inner *in, size_t i0, size_t i1, double *value, int grad)
{
    const size_t A = in->A, j = in->j;
    const double zdir = -1.0 / sqrt((double)(A - 1));
    double *d = in->g;
    for (size_t i = i0; i < i1; i++) {
        const float *sa = in->s + i * A, *s0 = in->s0 + i * A;
        const double aj = sa[j], oj = s0[j];
        double n2 = 0.0;
        for (size_t k = 0; k < A; k++) {
            if (k == j) continue;
            d[k] = (aj - sa[k]) - (oj - s0[k]);
            n2 += d[k] * d[k];
        }
        const double n = sqrt(n2);
        if (!isfinite(n)) return i;
        value[i] = n;
        if (!grad) continue;
        float *ds = in->ds + i * A;
        double gj = 0.0;
        for (size_t k = 0; k < A; k++) {
            if (k == j) continue;
            const double uk = n > 0.0 ? d[k] / n : zdir;
            ds[k] = (float)-uk;
            gj += uk;
        }
        ds[j] = (float)gj;
    }
    return i1;
}

#if defined(__GNUC__) && defined(__x86_64__)
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));

/* inner_rows four rows at a time (AVX2: one vector square root and A - 1
 * vector divisions for four rows instead of scalar ones, whose latency
 * dominated); IEEE sqrt and division are correctly rounded, so the bits
 * are those of inner_rows. The last B % 4 rows go to inner_rows. */
__attribute__((target("avx2"))) static size_t inner_rows_avx2(const struct inner *in, size_t B,
                                                              double *value, int grad)
{
    const size_t A = in->A, j = in->j;
    const double z = -1.0 / sqrt((double)(A - 1));
    const v4d zdir = {z, z, z, z}, zero = {0, 0, 0, 0};
    v4d d[SARD_MAX_AGENTS];
    size_t i = 0;
    for (; i + 4 <= B; i += 4) {
        const float *sa = in->s + i * A, *s0 = in->s0 + i * A;
        const v4d aj = {sa[j], sa[A + j], sa[2 * A + j], sa[3 * A + j]};
        const v4d oj = {s0[j], s0[A + j], s0[2 * A + j], s0[3 * A + j]};
        v4d n2 = zero;
        for (size_t k = 0; k < A; k++) {
            if (k == j) continue;
            const v4d ak = {sa[k], sa[A + k], sa[2 * A + k], sa[3 * A + k]};
            const v4d ok = {s0[k], s0[A + k], s0[2 * A + k], s0[3 * A + k]};
            d[k] = (aj - ak) - (oj - ok);
            n2 += d[k] * d[k];
        }
        const v4d n = __builtin_ia32_sqrtpd256(n2);
        for (int r = 0; r < 4; r++)
            if (!isfinite(n[r])) return i + (size_t)r;
        for (int r = 0; r < 4; r++) value[i + (size_t)r] = n[r];
        if (!grad) continue;
        const v4l pos = n > zero;
        v4d gj = zero;
        float *ds = in->ds + i * A;
        for (size_t k = 0; k < A; k++) {
            if (k == j) continue;
            v4d q = d[k] / n;
            v4d uk = (v4d)(((v4l)q & pos) | ((v4l)zdir & ~pos));
            for (int r = 0; r < 4; r++) ds[(size_t)r * A + k] = (float)-uk[r];
            gj += uk;
        }
        for (int r = 0; r < 4; r++) ds[(size_t)r * A + j] = (float)gj[r];
    }
    return inner_rows(in, i, B, value, grad);
}
#endif

static int inner_value_grad(void *self, const float *x, size_t B, double *value, float *grad,
                            struct l2d_error *err)
{
    struct inner *in = self;
    if (B != in->B)
        return l2d_seterr(err, L2D_EINVAL,
                          "smooth-adv: inner objective called on %zu rows, built for %zu", B,
                          in->B);
    int rc = in->m->forward(in->m->self, x, B, in->s, err);
    if (rc) return rc;
    size_t bad;
#if defined(__GNUC__) && defined(__x86_64__)
    if ((l2d_cpu_simd() & L2D_SIMD_AVX2) && in->A <= SARD_MAX_AGENTS)
        bad = inner_rows_avx2(in, B, value, grad != NULL);
    else
#endif
        bad = inner_rows(in, 0, B, value, grad != NULL);
    if (bad < B)
        return l2d_seterr(err, L2D_ENUMERIC, "smooth-adv: non-finite score on row %zu", bad);
    if (!grad) return 0;
    return in->m->backward(in->m->self, x, B, in->ds, grad, 0, err);
}

static int sard_train_batch(void *state, const struct l2d_model_ctx *model,
                            const struct l2d_attack_handle *attack, const float *x,
                            const double *costs, size_t B, double *loss, struct l2d_error *err)
{
    struct sard *s = state;
    if (!model || !model->forward || !model->backward || !x || !costs || !loss)
        return l2d_seterr(err, L2D_EINVAL, "smooth-adv: train_batch needs a model, x, costs");
    const size_t A = model->n_agents, D = model->dim;
    if (A == 0 || D == 0) return l2d_seterr(err, L2D_EINVAL, "smooth-adv: empty model");
    if (B == 0) return 0;
    const int smooth = s->adv_weight > 0.0 && A >= 2;
    if (smooth && (!attack || !attack->ops || !attack->ops->perturb))
        return l2d_seterr(err, L2D_EINVAL,
                          "smooth-adv: adv_weight = %g needs an attack plugin ([attack] section)",
                          s->adv_weight);
    int rc = sard_reserve(s, B, A, D, err);
    if (rc) return rc;
    const double invB = 1.0 / (double)B;

    /* the clean part, and the clean scores the inner problems hold fixed */
    if ((rc = model->forward(model->self, x, B, s->s0, err))) return rc;
    for (size_t i = 0; i < B; i++) {
        for (size_t k = 0; k < A; k++) s->rin[k] = s->s0[i * A + k];
        if ((rc = clean_row(s, s->rin, costs + i * A, A, &loss[i], s->dclean + i * A, s->r,
                            err))) {
            size_t len = strlen(err ? err->msg : "");
            if (err && len + 16 < sizeof err->msg)
                snprintf(err->msg + len, sizeof err->msg - len, " (row %zu)", i);
            return rc;
        }
        for (size_t k = 0; k < A; k++) s->dclean[i * A + k] *= invB;
    }

    if (smooth) {
        struct inner in = {
            .obj = {.dim = D, .maximise = 1, .value_grad = inner_value_grad,
                    .lo = model->lo, .hi = model->hi, .device = -1},
            .m = model, .s0 = s->s0, .B = B, .A = A, .s = s->sa, .ds = s->ds, .g = s->dr,
        };
        in.obj.self = &in;
        double *g = s->g;
        for (size_t j = 0; j < A; j++) {
            in.j = j;
            uint64_t seed = s->seed + s->batches * (uint64_t)A + j;
            if ((rc = attack->ops->perturb(attack->state, &in.obj, x, B, s->xa, seed, err)))
                return rc;
            /* the outer pass at x'_j (a constant): through r(x'_j) here, and
             * through r(x) into dclean */
            if ((rc = model->forward(model->self, s->xa, B, s->sa, err))) return rc;
            for (size_t i = 0; i < B; i++) {
                const double *c = costs + i * A;
                double tau = 0.0;
                for (size_t k = 0; k < A; k++)
                    if (k != j) tau += c[k];
                const float *sa = s->sa + i * A, *s0 = s->s0 + i * A;
                double n = delta_norm(sa, s0, A, j);
                if (!isfinite(n))
                    return l2d_seterr(err, L2D_ENUMERIC,
                                      "smooth-adv: non-finite score at the attack on row %zu", i);
                loss[i] += s->adv_weight * tau * n;
                delta_grad(sa, s0, A, j, n, s->adv_weight * tau * invB, 0, g);
                for (size_t k = 0; k < A; k++) {
                    s->ds[i * A + k] = (float)g[k];
                    s->dclean[i * A + k] -= g[k];
                }
            }
            if ((rc = model->backward(model->self, s->xa, B, s->ds, NULL, 1, err))) return rc;
        }
    }
    /* the clean pass last: forward again, the attack moved the activations */
    if ((rc = model->forward(model->self, x, B, s->sa, err))) return rc;
    for (size_t k = 0; k < B * A; k++) s->dcf[k] = (float)s->dclean[k];
    if ((rc = model->backward(model->self, x, B, s->dcf, NULL, 1, err))) return rc;
    s->batches++;
    return 0;
}

#ifdef L2D_PLUGIN_CUDA
/* The same step on device arrays (smooth_adv_device.cu). */
static int sard_train_batch_device(void *state, const struct l2d_model_ctx *model,
                                   const struct l2d_attack_handle *attack, const float *x,
                                   const double *costs, size_t B, double *loss, void *stream,
                                   struct l2d_error *err)
{
    struct sard *s = state;
    const struct l2d_sard_params p = {s->u, s->rho, s->adv_weight, s->seed, s->batches};
    int rc = l2d_sard_train_batch_device(&s->dev, &p, model, attack, x, costs, B, loss, stream,
                                         err);
    if (!rc && B) s->batches++;
    return rc;
}

static int sard_device_replayable(void *state, const struct l2d_model_ctx *model,
                                  const struct l2d_attack_handle *attack)
{
    struct sard *s = state;
    const struct l2d_sard_params p = {s->u, s->rho, s->adv_weight, s->seed, s->batches};
    return l2d_sard_device_replayable(&p, model, attack);
}
#endif

static const struct l2d_surrogate_ops sard_ops = {
    .struct_size = sizeof(struct l2d_surrogate_ops),
    .create = sard_create,
    .loss = sard_loss,
    .infimum = NULL,
    .train_batch = sard_train_batch,
    .destroy = sard_destroy,
#ifdef L2D_PLUGIN_CUDA
    .train_batch_device = sard_train_batch_device,
    .device_replayable = sard_device_replayable,
#endif
};

static const struct l2d_param_spec sard_params[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 100, NULL,
     "comp-sum parameter u of the clean part (as for ce)"},
    {"rho", L2D_PARAM_DOUBLE, "1", 1e-9, 1e9, NULL, "scores enter the clean part as r / rho"},
    {"adv_weight", L2D_PARAM_DOUBLE, "0.01", 0, 1e6, NULL,
     "weight of the smoothness term (ADV's nu); the ball is the [attack] plugin's"},
    L2D_PARAMS_END,
};

static const struct l2d_plugin sard_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_SURROGATE, "smooth-adv", "1.0",
                      "SARD: comp-sum on r/rho plus an adversarial smoothness term (ADV)",
                      sard_params, &sard_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &sard_plugin : NULL;
}
