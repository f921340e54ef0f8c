/* Attack objectives on a rejector (framework/core/objectives.c): hand-computed
 * values, score gradients and input gradients against central differences
 * of a double-precision reference, the targeted zero-weight rule, errors,
 * and PGD (the plugin) driving a linear rejector's allocation to a target. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/objectives.h"
#include "l2d/engine.h"
#include "l2d/model.h"
#include "plugin_util.h"
#include "tap.h"

/* A model's parameters on the host, for the reference below. */
struct ref_mlp {
    size_t n_layers, dims[4];
    float p[256];
};

/* scores in double with the parameter layout of struct l2d_mlp_view (as
 * t/test_mlp.c) */
static void ref_forward(const struct ref_mlp *m, const double *x, double *y)
{
    double a[64], z[64];
    memcpy(a, x, m->dims[0] * sizeof *a);
    const float *q = m->p;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t K = m->dims[l], N = m->dims[l + 1];
        for (size_t j = 0; j < N; j++) {
            double s = q[N * K + j];
            for (size_t k = 0; k < K; k++) s += (double)q[j * K + k] * a[k];
            z[j] = (l + 1 < m->n_layers && s < 0) ? 0 : s;
        }
        q += N * K + N;
        memcpy(a, z, N * sizeof *a);
    }
    memcpy(y, a, m->dims[m->n_layers] * sizeof *a);
}

/* The objective straight from its definition (softmax, no log-sum-exp),
 * as an independent reference. */
static double ref_objective(const double *r, const double *c, size_t A, double nu, int target)
{
    double z = 0, s[16], v = 0;
    for (size_t k = 0; k < A; k++) z += exp(r[k]);
    for (size_t k = 0; k < A; k++) s[k] = exp(r[k]) / z;
    for (size_t j = 0; j < A; j++) {
        if (target >= 0 && (size_t)target != j) continue;
        double tau = 0;
        for (size_t i = 0; i < A; i++) tau += i == j ? 0 : c[i];
        if (target >= 0 && tau == 0) tau = 1;
        double phi = nu == 1 ? -log(s[j]) : (pow(s[j], nu - 1) - 1) / (1 - nu);
        v += tau * phi;
    }
    return v;
}

static void hand_values(void)
{
    struct l2d_error err = {0};
    /* r = (0, ln 2, ln 5): s = (1/8, 2/8, 5/8); c = (.5, .25, 1): tau = (1.25, 1.5, .75) */
    const double r[3] = {0, log(2.0), log(5.0)}, c[3] = {0.5, 0.25, 1.0};
    struct {
        double nu;
        int target;
        double want;
    } cases[] = {
        {1, -1, 1.25 * log(8.0) + 1.5 * log(4.0) + 0.75 * log(8.0 / 5.0)},
        {2, -1, 1.25 * 7 / 8.0 + 1.5 * 6 / 8.0 + 0.75 * 3 / 8.0},
        {0, -1, 1.25 * 7 + 1.5 * 3 + 0.75 * 3 / 5.0},
        {0.5, -1, 1.25 * (sqrt(8.0) - 1) / 0.5 + 1.5 * (2 - 1) / 0.5 + 0.75 * (sqrt(1.6) - 1) / 0.5},
        {2, 1, 1.5 * 6 / 8.0},
        {1, 0, 1.25 * log(8.0)},
        {3, 2, 0.75 * (25 / 64.0 - 1) / -2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double v = NAN;
        int rc = l2d_rej_objective_score(r, c, 3, cases[k].nu, cases[k].target, &v, NULL, &err);
        char what[128];
        snprintf(what, sizeof what, "hand value, nu %g, target %d", cases[k].nu, cases[k].target);
        tap_close(rc ? NAN : v, cases[k].want, 1e-12, 1e-12, what);
    }
    /* gradient at the same point, untargeted nu = 1:
     * dr_k = tau_k (-1)(1 - s_k) + sum_{j != k} tau_j s_k = s_k ||tau||_1 - tau_k */
    double dr[3], v;
    l2d_rej_objective_score(r, c, 3, 1.0, -1, &v, dr, &err);
    const double s[3] = {1 / 8.0, 2 / 8.0, 5 / 8.0}, tau[3] = {1.25, 1.5, 0.75};
    double worst = 0;
    for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(dr[k] - (s[k] * 3.5 - tau[k])));
    tap_ok(worst < 1e-14, "hand gradient, nu 1: s_k ||tau||_1 - tau_k (err %.3g)", worst);
}

/* Score gradient against central differences in double. */
static void score_gradients(void)
{
    struct l2d_error err = {0};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 17);
    const double nus[] = {0, 0.5, 1, 2, 3};
    for (size_t a = 0; a < sizeof nus / sizeof nus[0]; a++)
        for (int target = -1; target < 4; target++) {
            const size_t A = 4;
            double worst = 0, refworst = 0;
            for (int trial = 0; trial < 20; trial++) {
                double r[4], c[4], dr[4], v, vp, vm;
                for (size_t k = 0; k < A; k++) {
                    r[k] = 2 * l2d_rng_normal(&rng);
                    c[k] = l2d_rng_uniform(&rng) < 0.3 ? 0 : l2d_rng_uniform(&rng);
                }
                l2d_rej_objective_score(r, c, A, nus[a], target, &v, dr, &err);
                refworst = fmax(refworst, fabs(v - ref_objective(r, c, A, nus[a], target)) /
                                              fmax(1, fabs(v)));
                for (size_t k = 0; k < A; k++) {
                    const double h = 1e-6, r0 = r[k];
                    r[k] = r0 + h;
                    l2d_rej_objective_score(r, c, A, nus[a], target, &vp, NULL, &err);
                    r[k] = r0 - h;
                    l2d_rej_objective_score(r, c, A, nus[a], target, &vm, NULL, &err);
                    r[k] = r0;
                    double fd = (vp - vm) / (2 * h);
                    worst = fmax(worst, fabs(fd - dr[k]) / fmax(1, fabs(fd)));
                }
            }
            tap_ok(refworst < 1e-10 && worst < 1e-6,
                   "nu %g, target %d: value = definition (rel err %.2g), score gradient = finite "
                   "differences (rel err %.2g)",
                   nus[a], target, refworst, worst);
        }
}

/* value_grad through a small MLP: values from a double reference forward,
 * input gradient against central differences of that reference. */
static void input_gradients(void)
{
    enum { B = 5, IN = 4, A = 3 };
    const size_t hid[2] = {6, 5};
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_model *m;
    l2d_rng_seed(&rng, 23);
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = IN, .out = A, .n_hidden = 2, .hidden = hid};
    if (l2d_model_create(&m, &arch, -1, &rng, &err)) {
        tap_ok(0, "model create: %s", err.msg);
        return;
    }
    struct ref_mlp ref = {3, {IN, 6, 5, A}, {0}};
    const size_t np = l2d_model_n_params(m);
    /* larger weights give the scores room to differ */
    l2d_model_get_params_host(m, ref.p, &err);
    for (size_t i = 0; i < np; i++) ref.p[i] *= 2.0f;
    l2d_model_set_params_host(m, ref.p, &err);
    float x[B * IN], grad[B * IN];
    double c[B * A], value[B];
    for (size_t i = 0; i < B * IN; i++) x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * A; i++) c[i] = l2d_rng_uniform(&rng);
    c[1 * A + 0] = 0; /* row 1: tau_2 = 0, the targeted zero-weight rule */
    c[1 * A + 1] = 0;
    const double nus[] = {0.5, 1, 2};
    for (size_t a = 0; a < 3; a++)
        for (int target = -1; target < A; target++) {
            struct l2d_rej_objective o;
            int rc = l2d_rej_objective_init(&o, m, c, B, A, nus[a], target, NULL, NULL, &err);
            if (!rc) rc = o.obj.value_grad(o.obj.self, x, B, value, grad, &err);
            if (rc) {
                tap_ok(0, "value_grad nu %g target %d: %s", nus[a], target, err.msg);
                l2d_rej_objective_free(&o);
                continue;
            }
            double vworst = 0, gworst = 0;
            for (size_t i = 0; i < B; i++) {
                double xd[IN], r[A];
                for (size_t k = 0; k < IN; k++) xd[k] = x[i * IN + k];
                ref_forward(&ref, xd, r);
                double want = ref_objective(r, c + i * A, A, nus[a], target);
                vworst = fmax(vworst, fabs(value[i] - want) / fmax(1, fabs(want)));
                for (size_t k = 0; k < IN; k++) {
                    const double h = 1e-5, x0 = xd[k];
                    double rp[A], rm[A];
                    xd[k] = x0 + h;
                    ref_forward(&ref, xd, rp);
                    xd[k] = x0 - h;
                    ref_forward(&ref, xd, rm);
                    xd[k] = x0;
                    double fd = (ref_objective(rp, c + i * A, A, nus[a], target) -
                                 ref_objective(rm, c + i * A, A, nus[a], target)) /
                                (2 * h);
                    gworst = fmax(gworst, fabs(fd - grad[i * IN + k]) / fmax(1, fabs(fd)));
                }
            }
            tap_ok(o.obj.maximise == (target < 0) && o.obj.dim == IN,
                   "nu %g target %d: %s, dim %zu", nus[a], target,
                   o.obj.maximise ? "maximise" : "minimise", o.obj.dim);
            tap_ok(vworst < 1e-5 && gworst < 1e-4,
                   "nu %g target %d: values (rel err %.2g) and input gradient vs finite "
                   "differences (rel err %.2g)",
                   nus[a], target, vworst, gworst);
            l2d_rej_objective_free(&o);
        }
    double g2 = 0;
    float g[256];
    l2d_model_get_grads_host(m, g, &err);
    for (size_t i = 0; i < np; i++) g2 += fabs(g[i]);
    tap_ok(g2 == 0, "value_grad leaves the parameter gradients alone");
    l2d_model_destroy(m);
}

/* tau_jt = 0: the targeted objective keeps weight 1, so it still pushes. */
static void zero_weight(void)
{
    struct l2d_error err = {0};
    const double r[3] = {0.3, -0.2, 1.1}, c[3] = {0, 0, 0.7}; /* tau_2 = 0, tau_0 = tau_1 = 0.7 */
    double v, dr[3], v1, dr1[3];
    int rc = l2d_rej_objective_score(r, c, 3, 1.0, 2, &v, dr, &err);
    const double c1[3] = {1, 0, 0.7}; /* here tau_2 = 1 exactly */
    rc |= l2d_rej_objective_score(r, c1, 3, 1.0, 2, &v1, dr1, &err);
    double lse = log(exp(0.3) + exp(-0.2) + exp(1.1));
    tap_close(rc ? NAN : v, lse - 1.1, 1e-14, 1e-14, "tau_jt = 0: value is -log s_jt (weight 1)");
    tap_ok(v == v1 && !memcmp(dr, dr1, sizeof dr) && dr[2] < 0,
           "tau_jt = 0 behaves as tau_jt = 1: the gradient lowers the loss by raising r_jt");
    /* the same costs targeted at agent 0 keep their weight 0.7 */
    rc = l2d_rej_objective_score(r, c, 3, 1.0, 0, &v, NULL, &err);
    tap_close(rc ? NAN : v, 0.7 * (lse - 0.3), 1e-14, 1e-14, "tau_jt > 0 keeps its weight");
}

static void errors(void)
{
    struct l2d_error err = {0};
    const double r[2] = {0, 1000}, c[2] = {1, 1};
    double v;
    int rc = l2d_rej_objective_score(r, c, 2, 0.0, 0, &v, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "not finite"), "nu 0 overflow is an error: %s",
           err.msg);
    const double rn[2] = {0, NAN};
    rc = l2d_rej_objective_score(rn, c, 2, 1.0, -1, &v, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "score 1"), "a NaN score is an error: %s", err.msg);
    rc = l2d_rej_objective_score(r, c, 2, 1.0, 2, &v, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "target agent 2"), "a target outside [0, A): %s",
           err.msg);

    struct l2d_rng rng;
    struct l2d_model *m;
    l2d_rng_seed(&rng, 3);
    l2d_model_create(&m, &(struct l2d_arch){.kind = L2D_ARCH_MLP, .in = 2, .out = 3, .n_hidden = 0, .hidden = NULL}, -1, &rng, &err);
    double cc[6] = {0};
    float x[6] = {0}, g[6];
    double val[3];
    struct l2d_rej_objective o;
    rc = l2d_rej_objective_init(&o, m, cc, 2, 4, 1.0, -1, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "3 agents"), "agent count mismatch: %s", err.msg);
    rc = l2d_rej_objective_init(&o, m, cc, 2, 3, -0.5, -1, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "nu"), "negative nu: %s", err.msg);
    rc = l2d_rej_objective_init(&o, m, cc, 2, 3, 1.0, 3, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "target agent 3"), "target 3 of 3 agents: %s",
           err.msg);
    rc = l2d_rej_objective_init(&o, m, cc, 2, 3, 1.0, -1, NULL, NULL, &err);
    if (!rc) rc = o.obj.value_grad(o.obj.self, x, 3, val, g, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "3 rows") && strstr(err.msg, "2 rows"),
           "value_grad on another batch size: %s", err.msg);
    l2d_rej_objective_free(&o);
    l2d_model_destroy(m);
}

static int argmax(const float *r, size_t A)
{
    size_t b = 0;
    for (size_t k = 1; k < A; k++)
        if (r[k] > r[b]) b = k;
    return (int)b;
}

/* Targeted PGD with a large eps on a linear rejector takes every row to the
 * target; untargeted PGD never lowers the objective. */
static void pgd_on_rejector(void)
{
    enum { B = 40, IN = 5, A = 4 };
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_model *m;
    l2d_rng_seed(&rng, 31);
    if (l2d_model_create(&m, &(struct l2d_arch){.kind = L2D_ARCH_MLP, .in = IN, .out = A, .n_hidden = 0, .hidden = NULL}, -1, &rng, &err)) {
        tap_ok(0, "model create: %s", err.msg);
        return;
    }
    float x[B * IN], xa[B * IN], sc[B * A];
    double c[B * A], v0[B], v1[B];
    for (size_t i = 0; i < B * IN; i++) x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * A; i++) c[i] = l2d_rng_uniform(&rng);
    struct l2d_registry reg;
    const struct l2d_plugin *d = tplug_open(&reg, "pgd.so");
    if (!tap_ok(d != NULL, "pgd plugin loads")) return;
    const struct l2d_attack_ops *ops = d->ops;
    struct l2d_params p;
    const char *sets[] = {"eps=20", "steps=40", "norm=inf", "clamp=true"};
    void *st = NULL;
    struct l2d_host host = {sizeof host, 1, NULL, NULL, NULL};
    if (tplug_params(d, sets, 4, &p, &err) || ops->create(&p, &host, &st, &err)) {
        tap_ok(0, "pgd create: %s", err.msg);
        l2d_registry_free(&reg);
        return;
    }
    l2d_params_free(&p);
    l2d_model_forward(m, x, B, sc, &err);
    int clean_at[A] = {0};
    for (size_t i = 0; i < B; i++) clean_at[argmax(sc + i * A, A)]++;
    tap_diag("clean allocation: %d %d %d %d", clean_at[0], clean_at[1], clean_at[2], clean_at[3]);
    for (int jt = -1; jt < A; jt++) {
        struct l2d_rej_objective o;
        int rc = l2d_rej_objective_init(&o, m, c, B, A, 1.0, jt, NULL, NULL, &err);
        if (!rc) rc = o.obj.value_grad(o.obj.self, x, B, v0, NULL, &err);
        if (!rc) rc = ops->perturb(st, &o.obj, x, B, xa, 5, &err);
        if (!rc) rc = o.obj.value_grad(o.obj.self, xa, B, v1, NULL, &err);
        if (!rc) rc = l2d_model_forward(m, xa, B, sc, &err);
        if (rc) {
            tap_ok(0, "pgd on the rejector, target %d: %s", jt, err.msg);
            l2d_rej_objective_free(&o);
            continue;
        }
        size_t hit = 0, worse = 0, better = 0;
        for (size_t i = 0; i < B; i++) {
            hit += argmax(sc + i * A, A) == jt;
            worse += jt < 0 ? v1[i] < v0[i] : v1[i] > v0[i];
            better += jt < 0 ? v1[i] > v0[i] + 1e-3 : v1[i] < v0[i] - 1e-3;
        }
        if (jt >= 0)
            tap_ok(hit == B && worse == 0, "targeted PGD to agent %d: %zu of %d rows allocated to it",
                   jt, hit, B);
        else
            tap_ok(worse == 0 && better == B,
                   "untargeted PGD raises the objective on every row (%zu of %d; %zu lower)",
                   better, B, worse);
        l2d_rej_objective_free(&o);
    }
    /* the one-call helper gives the same points as the steps above */
    struct l2d_attack_handle h = {ops, st};
    float xb[B * IN];
    struct l2d_rej_objective o;
    int rc = l2d_rej_objective_init(&o, m, c, B, A, 1.0, 2, NULL, NULL, &err);
    if (!rc) rc = ops->perturb(st, &o.obj, x, B, xa, 9, &err);
    l2d_rej_objective_free(&o);
    if (!rc) rc = l2d_rej_attack(&h, m, x, c, B, 1.0, 2, NULL, NULL, 9, xb, &err);
    tap_ok(rc == 0 && !memcmp(xa, xb, sizeof xa), "l2d_rej_attack = init + perturb + free %s",
           rc ? err.msg : "");
    /* with a valid range: handed to the attack, which keeps to it */
    float lo[IN], hi[IN];
    for (size_t k = 0; k < IN; k++) lo[k] = -0.5f, hi[k] = 0.5f + 0.1f * (float)k;
    for (size_t i = 0; i < B * IN; i++) x[i] = fminf(fmaxf(x[i], lo[i % IN]), hi[i % IN]);
    rc = l2d_rej_objective_init(&o, m, c, B, A, 1.0, -1, lo, hi, &err);
    tap_ok(rc == 0 && o.obj.lo == lo && o.obj.hi == hi, "the objective carries the valid range");
    tap_ok(rc == 0 && o.obj.device == -1 && o.obj.stream == NULL,
           "the objective says its arrays are host memory (device %d)", o.obj.device);
    l2d_rej_objective_free(&o);
    rc = l2d_rej_attack(&h, m, x, c, B, 1.0, 1, lo, hi, 9, xb, &err);
    size_t out = 0;
    for (size_t i = 0; i < B * IN; i++) out += xb[i] < lo[i % IN] || xb[i] > hi[i % IN];
    tap_ok(rc == 0 && out == 0, "eps 20 attack stays in [lo, hi] (%zu values outside)", out);
    rc = l2d_rej_attack(NULL, m, x, c, B, 1.0, 2, NULL, NULL, 9, xb, &err);
    tap_ok(rc == L2D_EINVAL, "l2d_rej_attack without an attack: %s", err.msg);
    ops->destroy(st);
    l2d_registry_free(&reg);
    l2d_model_destroy(m);
}

int main(void)
{
    tap_plan(79); /* declared first: a test that stops early fails */
    hand_values();
    score_gradients();
    input_gradients();
    zero_weight();
    errors();
    pgd_on_rejector();
    return tap_done();
}
