/* The smooth-adv (SARD) surrogate: the clean part by hand, train_batch's
 * loss and parameter gradient (batch mean, Danskin: x'_j held fixed)
 * against central differences of a double-precision reference, the inner
 * objective handed to the attack, the first step from x' = x, errors, and
 * a few training steps that lower the loss. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/objectives.h"
#include "core/train.h"
#include "core/model_impl.h" /* l2d_model_ctx_init */
#include "l2d/engine.h"
#include "l2d/model.h"
#include "plugin_util.h"
#include "tap.h"

enum { B = 6, IN = 3, A = 3, NH = 4, NP = IN * NH + NH + NH * A + A };

/* scores in double from double parameters p (the layout of struct
 * l2d_mlp_view) of the MLP IN -> NH -> A */
static void ref_forward(const double *p, const double *x, double *y)
{
    static const size_t dims[3] = {IN, NH, A};
    double a[16], z[16];
    memcpy(a, x, IN * sizeof *a);
    const double *q = p;
    for (size_t l = 0; l < 2; l++) {
        size_t K = dims[l], N = dims[l + 1];
        for (size_t j = 0; j < N; j++) {
            double s = q[N * K + j];
            for (size_t k = 0; k < K; k++) s += q[j * K + k] * a[k];
            z[j] = (l + 1 < 2 && s < 0) ? 0 : s;
        }
        q += N * K + N;
        memcpy(a, z, N * sizeof *a);
    }
    memcpy(y, a, A * sizeof *a);
}

/* the model's parameters (or gradients), in double */
static void host_values(struct l2d_model *m, int grads, double *p)
{
    float f[NP];
    struct l2d_error err = {0};
    if (grads) l2d_model_get_grads_host(m, f, &err);
    else l2d_model_get_params_host(m, f, &err);
    for (size_t q = 0; q < NP; q++) p[q] = f[q];
}

static double tau_of(const double *c, size_t j)
{
    double t = 0;
    for (size_t k = 0; k < A; k++) t += k == j ? 0 : c[k];
    return t;
}

static double clean_ref(const double *r, const double *c, double nu, double rho)
{
    double z = 0, v = 0;
    for (size_t k = 0; k < A; k++) z += exp(r[k] / rho);
    for (size_t j = 0; j < A; j++) {
        double sj = exp(r[j] / rho) / z;
        v += tau_of(c, j) * (nu == 1 ? -log(sj) : (pow(sj, nu - 1) - 1) / (1 - nu));
    }
    return v;
}

static double dnorm_ref(const double *ra, const double *r0, size_t j)
{
    double n2 = 0;
    for (size_t k = 0; k < A; k++) {
        if (k == j) continue;
        double d = (ra[j] - ra[k]) - (r0[j] - r0[k]);
        n2 += d * d;
    }
    return sqrt(n2);
}

/* per-row SARD loss with x' given (xa[j][i][IN]), in double */
static double sard_ref_row(const double *p, const double *x, const double *xa, const double *c,
                           double nu, double rho, double w, size_t i)
{
    double r0[A], ra[A], xi[IN];
    for (size_t k = 0; k < IN; k++) xi[k] = x[i * IN + k];
    ref_forward(p, xi, r0);
    double v = clean_ref(r0, c + i * A, nu, rho);
    if (!xa) return v;
    for (size_t j = 0; j < A; j++) {
        double xj[IN];
        for (size_t k = 0; k < IN; k++) xj[k] = xa[(j * B + i) * IN + k];
        ref_forward(p, xj, ra);
        v += w * tau_of(c + i * A, j) * dnorm_ref(ra, r0, j);
    }
    return v;
}

/* ---- a stub attack: x' = x + shift_j, and checks of what it is handed ---- */
static struct {
    struct l2d_model *m;
    double shift[A][B * IN]; /* per agent call */
    int calls;
    uint64_t seeds[64];
    int bad_obj;           /* maximise / dim / range wrong */
    double at_x;           /* max |value at x| (must be 0) */
    double val_err, fd_err; /* inner value and gradient vs reference */
} stub;

static int stub_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t n,
                        float *x_adv, uint64_t seed, struct l2d_error *err)
{
    (void)state;
    int j = stub.calls % A;
    if (stub.calls < 64) stub.seeds[stub.calls] = seed;
    stub.calls++;
    if (!obj->maximise || obj->dim != IN || n != B) stub.bad_obj = 1;
    double v[B];
    float g[B * IN];
    int rc = obj->value_grad(obj->self, x, n, v, g, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) stub.at_x = fmax(stub.at_x, fabs(v[i]));
    for (size_t k = 0; k < n * IN; k++) x_adv[k] = (float)(x[k] + stub.shift[j][k]);
    if ((rc = obj->value_grad(obj->self, x_adv, n, v, g, err))) return rc;
    /* the inner objective and its input gradient against the reference */
    double p[NP];
    host_values(stub.m, 0, p);
    for (size_t i = 0; i < n; i++) {
        double xi[IN], xa[IN], r0[A], ra[A];
        for (size_t k = 0; k < IN; k++) xi[k] = x[i * IN + k], xa[k] = x_adv[i * IN + k];
        ref_forward(p, xi, r0);
        ref_forward(p, xa, ra);
        stub.val_err = fmax(stub.val_err, fabs(v[i] - dnorm_ref(ra, r0, (size_t)j)));
        for (size_t k = 0; k < IN; k++) {
            const double h = 1e-6, x0 = xa[k];
            double fp, fm;
            xa[k] = x0 + h;
            ref_forward(p, xa, ra);
            fp = dnorm_ref(ra, r0, (size_t)j);
            xa[k] = x0 - h;
            ref_forward(p, xa, ra);
            fm = dnorm_ref(ra, r0, (size_t)j);
            xa[k] = x0;
            stub.fd_err = fmax(stub.fd_err, fabs((fp - fm) / (2 * h) - g[i * IN + k]));
        }
    }
    return 0;
}

static const struct l2d_attack_ops stub_ops = {.struct_size = sizeof(struct l2d_attack_ops), .perturb = stub_perturb};

struct sur {
    struct l2d_registry reg;
    const struct l2d_surrogate_ops *ops;
    void *state;
};

static int sur_make(struct sur *s, const char *const *sets, size_t n, struct l2d_error *err)
{
    const struct l2d_plugin *d = tplug_open(&s->reg, "smooth-adv.so");
    s->state = NULL;
    if (!d) return l2d_seterr(err, L2D_EIO, "cannot load smooth-adv.so");
    s->ops = d->ops;
    struct l2d_params p;
    int rc = tplug_params(d, sets, n, &p, err);
    if (rc) return rc;
    struct l2d_host host = {sizeof host, 3, NULL, NULL, NULL};
    rc = s->ops->create(&p, &host, &s->state, err);
    l2d_params_free(&p);
    return rc;
}

static void sur_free(struct sur *s)
{
    if (s->state) s->ops->destroy(s->state);
    l2d_registry_free(&s->reg);
}

static void hand(void)
{
    struct sur s;
    struct l2d_error err = {0};
    const char *sets[] = {"rho=2", "nu=1"};
    if (sur_make(&s, sets, 2, &err)) {
        tap_ok(0, "create: %s", err.msg);
        return;
    }
    /* r / rho = (0, ln 2, ln 5): s = (1, 2, 5)/8; tau = (1.25, 1.5, 0.75) */
    const double r[3] = {0, 2 * log(2.0), 2 * log(5.0)}, c[3] = {0.5, 0.25, 1.0};
    double l, g[3];
    int rc = s.ops->loss(s.state, r, c, 1, 3, &l, g, &err);
    tap_close(rc ? NAN : l, 1.25 * log(8.0) + 1.5 * log(4.0) + 0.75 * log(1.6), 1e-13, 1e-13,
              "loss op: comp-sum of r/rho, by hand");
    const double sm[3] = {1 / 8.0, 2 / 8.0, 5 / 8.0}, tau[3] = {1.25, 1.5, 0.75};
    double worst = 0;
    for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(g[k] - (sm[k] * 3.5 - tau[k]) / 2));
    tap_ok(worst < 1e-14, "loss op gradient: (s_k ||tau||_1 - tau_k) / rho (err %.2g)", worst);
    tap_ok(s.ops->train_batch != NULL && s.ops->infimum == NULL, "has train_batch, no infimum");
    sur_free(&s);
}

static struct l2d_model *make_model(uint64_t seed)
{
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_model *m = NULL;
    const size_t hid[1] = {NH};
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = IN, .out = A, .n_hidden = 1, .hidden = hid};
    float p[NP];
    l2d_rng_seed(&rng, seed);
    if (l2d_model_create(&m, &arch, -1, &rng, &err) || l2d_model_n_params(m) != NP ||
        l2d_model_get_params_host(m, p, &err)) {
        l2d_model_destroy(m);
        return NULL;
    }
    for (size_t q = 0; q < NP; q++) p[q] *= 2.0f;
    l2d_model_set_params_host(m, p, &err);
    return m;
}

/* train_batch's loss and accumulated gradient against the reference. */
static void gradients(double w, int use_stub)
{
    struct sur s;
    struct l2d_error err = {0};
    char wset[64];
    snprintf(wset, sizeof wset, "adv_weight=%g", w);
    const char *sets[] = {"rho=0.7", "nu=0.5", wset};
    struct l2d_model *m = make_model(41);
    if (!m || sur_make(&s, sets, 3, &err)) {
        tap_ok(0, "setup: %s", err.msg);
        return;
    }
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 8);
    float x[B * IN];
    double xd[B * IN], c[B * A], loss[B], xa[A * B * IN];
    for (size_t k = 0; k < B * IN; k++) xd[k] = x[k] = (float)l2d_rng_normal(&rng);
    for (size_t k = 0; k < B * A; k++) c[k] = l2d_rng_uniform(&rng);
    memset(&stub, 0, sizeof stub);
    stub.m = m;
    for (size_t j = 0; j < A; j++)
        for (size_t k = 0; k < B * IN; k++) {
            stub.shift[j][k] = 0.3 * l2d_rng_normal(&rng);
            xa[j * B * IN + k] = (double)(float)(x[k] + stub.shift[j][k]);
        }
    struct l2d_model_ctx ctx;
    struct l2d_mlp_view view;
    l2d_model_ctx_init(&ctx, &view, m, NULL, NULL);
    struct l2d_attack_handle h = {&stub_ops, NULL};
    l2d_model_zero_grad(m);
    int rc = s.ops->train_batch(s.state, &ctx, use_stub ? &h : NULL, x, c, B, loss, &err);
    if (!tap_ok(rc == 0, "train_batch adv_weight %g: runs %s", w, rc ? err.msg : "")) goto out;
    double p[NP], grads[NP];
    host_values(m, 0, p);
    host_values(m, 1, grads);
    const double *xap = use_stub ? xa : NULL;
    double lworst = 0;
    for (size_t i = 0; i < B; i++) {
        double want = sard_ref_row(p, xd, xap, c, 0.5, 0.7, w, i);
        lworst = fmax(lworst, fabs(loss[i] - want) / fmax(1, fabs(want)));
    }
    tap_ok(lworst < 1e-5, "adv_weight %g: per-row loss = clean + weighted smoothness (rel err %.2g)",
           w, lworst);
    double gworst = 0, gmax = 0;
    for (size_t q = 0; q < NP; q++) {
        const double hh = 1e-6, p0 = p[q];
        double lp = 0, lm = 0;
        p[q] = p0 + hh;
        for (size_t i = 0; i < B; i++) lp += sard_ref_row(p, xd, xap, c, 0.5, 0.7, w, i);
        p[q] = p0 - hh;
        for (size_t i = 0; i < B; i++) lm += sard_ref_row(p, xd, xap, c, 0.5, 0.7, w, i);
        p[q] = p0;
        double fd = (lp - lm) / (2 * hh) / B;
        gworst = fmax(gworst, fabs(fd - grads[q]));
        gmax = fmax(gmax, fabs(fd));
    }
    tap_ok(gworst < 1e-4 * fmax(1, gmax),
           "adv_weight %g: parameter gradient = finite differences of the batch mean (max err "
           "%.2g of %.2g)",
           w, gworst, gmax);
    if (use_stub) {
        tap_ok(stub.calls == A && !stub.bad_obj,
               "one attack per agent (%d), each on a maximised objective of dim %d", stub.calls, IN);
        tap_ok(stub.at_x == 0, "inner objective is 0 at x' = x (%.3g)", stub.at_x);
        tap_ok(stub.val_err < 1e-5 && stub.fd_err < 1e-4,
               "inner objective value (err %.2g) and input gradient vs finite differences (err "
               "%.2g)",
               stub.val_err, stub.fd_err);
        tap_ok(stub.seeds[0] != stub.seeds[1] && stub.seeds[1] != stub.seeds[2],
               "each agent's attack gets its own seed");
    }
out:
    sur_free(&s);
    l2d_model_destroy(m);
}

/* The real pgd plugin from x' = x, no random start: the subgradient at
 * Delta = 0 must get it moving, so the smoothness term is > 0 on every row. */
static void with_pgd(void)
{
    struct sur s;
    struct l2d_error err = {0};
    const char *sets[] = {"adv_weight=1"};
    struct l2d_model *m = make_model(43);
    struct l2d_registry reg;
    const struct l2d_plugin *d = tplug_open(&reg, "pgd.so");
    if (!m || !d || sur_make(&s, sets, 1, &err)) {
        tap_ok(0, "setup: %s", err.msg);
        return;
    }
    const struct l2d_attack_ops *aops = d->ops;
    const char *asets[] = {"eps=0.2", "steps=5"};
    struct l2d_params ap;
    void *ast = NULL;
    struct l2d_host host = {sizeof host, 1, NULL, NULL, NULL};
    if (tplug_params(d, asets, 2, &ap, &err) || aops->create(&ap, &host, &ast, &err)) {
        tap_ok(0, "pgd create: %s", err.msg);
        return;
    }
    l2d_params_free(&ap);
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 9);
    float x[B * IN];
    double c[B * A], loss[B], clean[B], sd[B * A];
    float sf[B * A];
    for (size_t k = 0; k < B * IN; k++) x[k] = (float)l2d_rng_normal(&rng);
    for (size_t k = 0; k < B * A; k++) c[k] = 0.1 + l2d_rng_uniform(&rng);
    struct l2d_model_ctx ctx;
    struct l2d_mlp_view view;
    l2d_model_ctx_init(&ctx, &view, m, NULL, NULL);
    struct l2d_attack_handle h = {aops, ast};
    l2d_model_forward(m, x, B, sf, &err);
    for (size_t k = 0; k < B * A; k++) sd[k] = sf[k];
    s.ops->loss(s.state, sd, c, B, A, clean, NULL, &err);
    int rc = s.ops->train_batch(s.state, &ctx, &h, x, c, B, loss, &err);
    size_t moved = 0;
    for (size_t i = 0; i < B; i++) moved += loss[i] > clean[i] + 1e-4;
    tap_ok(rc == 0 && moved == B, "pgd from x' = x: smoothness term > 0 on %zu of %d rows %s",
           moved, B, rc ? err.msg : "");
    /* no attack handle with adv_weight > 0 is an error */
    rc = s.ops->train_batch(s.state, &ctx, NULL, x, c, B, loss, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "attack"), "adv_weight > 0 needs an attack: %s",
           err.msg);

    /* a few SGD steps on train_batch: the loss falls and the allocation
     * learns the cheap agent (0 where x_0 > 0, else 2) */
    enum { N = 64 };
    float xs[N * IN], sc[N * A];
    double cs[N * A], ls[N], first = 0, last = 0, risk0 = 0, risk1 = 0;
    for (size_t k = 0; k < N * IN; k++) xs[k] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < A; k++)
            cs[i * A + k] = k == (xs[i * IN] > 0 ? 0u : 2u) ? 0.0 : 1.0;
    struct sur s2;
    const char *sets2[] = {"adv_weight=0.05"};
    sur_make(&s2, sets2, 1, &err);
    l2d_model_optim_init(m, L2D_OPT_SGD, 0.0, &err);
    for (int it = 0; it <= 150; it++) {
        double risk = 0;
        l2d_model_forward(m, xs, N, sc, &err);
        for (size_t i = 0; i < N; i++) {
            size_t b = 0;
            for (size_t k = 1; k < A; k++)
                if (sc[i * A + k] > sc[i * A + b]) b = k;
            risk += cs[i * A + b] / N;
        }
        if (it == 0) risk0 = risk;
        risk1 = risk;
        if (it == 150) break;
        l2d_model_zero_grad(m);
        rc = s2.ops->train_batch(s2.state, &ctx, &h, xs, cs, N, ls, &err);
        if (rc) break;
        double mean = 0;
        for (size_t i = 0; i < N; i++) mean += ls[i] / N;
        if (it == 0) first = mean;
        last = mean;
        if ((rc = l2d_model_step(m, 0.2, &err))) break;
    }
    tap_ok(rc == 0 && last < 0.8 * first, "150 SGD steps on train_batch: mean loss %.4g -> %.4g %s",
           first, last, rc ? err.msg : "");
    tap_ok(risk1 <= 0.1 && risk0 > 0.3, "  and the deferral risk %.3g -> %.3g", risk0, risk1);
    sur_free(&s2);
    aops->destroy(ast);
    l2d_registry_free(&reg);
    sur_free(&s);
    l2d_model_destroy(m);
}

/* Through the framework's training loop (core/train.c) with a pgd attack:
 * it runs, the risk falls, and the pass count is n (1 + A (T + 1)) per
 * epoch: T inner steps and one outer pass per agent, plus the clean pass. */
static void with_train_loop(void)
{
    enum { N = 96, T = 3, EPOCHS = 30 };
    struct l2d_error err = {0};
    struct l2d_model *m = make_model(47);
    struct sur s;
    struct l2d_registry reg;
    const struct l2d_plugin *d = tplug_open(&reg, "pgd.so");
    const char *sets[] = {"adv_weight=0.05"};
    if (!m || !d || sur_make(&s, sets, 1, &err)) {
        tap_ok(0, "setup: %s", err.msg);
        return;
    }
    const struct l2d_attack_ops *aops = d->ops;
    const char *asets[] = {"eps=0.1", "steps=3"};
    struct l2d_params ap;
    void *ast = NULL;
    struct l2d_host host = {sizeof host, 1, NULL, NULL, NULL};
    if (tplug_params(d, asets, 2, &ap, &err) || aops->create(&ap, &host, &ast, &err)) {
        tap_ok(0, "pgd create: %s", err.msg);
        return;
    }
    l2d_params_free(&ap);
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 12);
    static float x[N * IN];
    static double c[N * A];
    for (size_t k = 0; k < N * IN; k++) x[k] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < A; k++) c[i * A + k] = k == (x[i * IN] > 0 ? 0u : 2u) ? 0.0 : 1.0;
    struct l2d_data data = {N, IN, x, NULL, NULL, 0};
    struct l2d_attack_handle h = {aops, ast};
    struct l2d_surrogate_inst inst = {s.ops, s.state, "smooth-adv", &h, NULL, NULL, NULL, NULL};
    struct l2d_train_cfg cfg = {.epochs = EPOCHS, .batch = 32, .lr = 0.02,
                                .optimizer = L2D_OPT_ADAM, .cosine = 0, .select_best = 0,
                                .seed = 4};
    struct l2d_epoch_rec rec[EPOCHS];
    struct l2d_train_result res = {0};
    int rc = l2d_train_rejector(&cfg, m, &inst, &data, c, &data, c, rec, &res, NULL, NULL, &err);
    tap_ok(rc == 0, "l2d_train_rejector with smooth-adv + pgd runs %s", rc ? err.msg : "");
    if (!rc) {
        tap_ok(rec[EPOCHS - 1].val_risk < 0.15 && rec[0].train_risk > 0.3,
               "  deferral risk %.3g (epoch 1, train) -> %.3g (last, val)", rec[0].train_risk,
               rec[EPOCHS - 1].val_risk);
        uint64_t want = (uint64_t)EPOCHS * N * (1 + A * (T + 1));
        tap_ok(res.passes == want, "  rejector passes %llu = epochs n (1 + A (T + 1)) = %llu",
               (unsigned long long)res.passes, (unsigned long long)want);
    }
    aops->destroy(ast);
    l2d_registry_free(&reg);
    sur_free(&s);
    l2d_model_destroy(m);
}

static void errors(void)
{
    struct sur s;
    struct l2d_error err = {0};
    static const char *const bad[][2] = {
        {"rho=0", "rho"}, {"nu=-1", "nu"}, {"adv_weight=-0.1", "adv_weight"}};
    for (size_t k = 0; k < 3; k++) {
        int rc = sur_make(&s, &bad[k][0], 1, &err);
        sur_free(&s);
        tap_ok(rc != 0 && strstr(err.msg, bad[k][1]), "%s is refused: %s", bad[k][0], err.msg);
    }
}

int main(void)
{
    tap_plan(23); /* declared first: a test that stops early fails */
    hand();
    gradients(0.0, 0);
    gradients(0.5, 1);
    with_pgd();
    with_train_loop();
    errors();
    return tap_done();
}
