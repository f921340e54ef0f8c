/* The pgd and fgsm attack plugins on analytic objectives written here:
 * ball and range membership on every row, never worse than clean, the
 * analytic optimum of a linear objective, best-iterate bookkeeping, random
 * start (determinism, distribution), evaluation counts and errors. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"
#include "plugin_util.h"
#include "tap.h"

enum tkind {
    T_LINEAR,  /* value_i = sum_k w_ik x_ik */
    T_SINES,   /* value_i = sum_k sin(3 x_ik + ph_ik): non-convex */
    T_DIST,    /* value_i = ||x_i - a_i||^2: flat (zero gradient) at a_i */
    T_PARAB,   /* value_i = -sum_k (x_ik - a_ik)^2 */
    T_FLAT,    /* value_i = 0, gradient 0 */
    T_NAN,     /* NaN value on the second call */
    T_FAIL     /* an error on the second call */
};

struct tobj {
    struct l2d_objective obj;
    enum tkind kind;
    size_t B, D;
    const float *w, *a;
    int calls, grad_calls;
};

static int tobj_vg(void *self, const float *x, size_t B, double *value, float *grad,
                   struct l2d_error *err)
{
    struct tobj *t = self;
    const size_t D = t->D;
    if (B != t->B) return l2d_seterr(err, L2D_EINVAL, "test objective: wrong B");
    t->calls++;
    if (grad) t->grad_calls++;
    if (t->kind == T_FAIL && t->calls >= 2)
        return l2d_seterr(err, L2D_EIO, "test objective: refused on call %d", t->calls);
    for (size_t i = 0; i < B; i++) {
        double v = 0.0;
        for (size_t k = 0; k < D; k++) {
            size_t ik = i * D + k;
            double g = 0.0;
            switch (t->kind) {
            case T_LINEAR: v += (double)t->w[ik] * x[ik]; g = t->w[ik]; break;
            case T_SINES:
                v += sin(3.0 * x[ik] + t->w[ik]);
                g = 3.0 * cos(3.0 * x[ik] + t->w[ik]);
                break;
            case T_DIST: {
                double d = (double)x[ik] - t->a[ik];
                v += d * d;
                g = 2.0 * d;
                break;
            }
            case T_PARAB: {
                double d = (double)x[ik] - t->a[ik];
                v -= d * d;
                g = -2.0 * d;
                break;
            }
            case T_FLAT: case T_FAIL: break;
            case T_NAN: v = t->calls >= 2 ? NAN : 0.0; break;
            }
            if (grad) grad[ik] = (float)g;
        }
        value[i] = v;
    }
    return 0;
}

static void tobj_init(struct tobj *t, enum tkind kind, size_t B, size_t D, const float *w,
                      const float *a, int maximise, const float *lo, const float *hi)
{
    memset(t, 0, sizeof *t);
    t->obj.self = t;
    t->obj.dim = D;
    t->obj.maximise = maximise;
    t->obj.value_grad = tobj_vg;
    t->obj.lo = lo;
    t->obj.hi = hi;
    t->kind = kind;
    t->B = B;
    t->D = D;
    t->w = w;
    t->a = a;
}

struct attack {
    struct l2d_registry reg;
    const struct l2d_attack_ops *ops;
    void *state;
};

static int attack_make(struct attack *at, const char *file, const char *const *sets, size_t n,
                       struct l2d_error *err)
{
    const struct l2d_plugin *d = tplug_open(&at->reg, file);
    at->state = NULL;
    if (!d) return l2d_seterr(err, L2D_EIO, "cannot load %s", file);
    if (d->kind != L2D_KIND_ATTACK) return l2d_seterr(err, L2D_EINVAL, "%s: not an attack", file);
    at->ops = d->ops;
    /* clamping is off by default; these tests clamp unless a set says otherwise
     * (the last assignment of a key wins) */
    const char *all[16] = {"clamp=true"};
    if (n > 15) return l2d_seterr(err, L2D_EINVAL, "too many settings");
    for (size_t k = 0; k < n; k++) all[k + 1] = sets[k];
    struct l2d_params p;
    int rc = tplug_params(d, all, n + 1, &p, err);
    if (rc) return rc;
    struct l2d_host host = {sizeof host, 1, NULL, NULL, NULL};
    rc = at->ops->create(&p, &host, &at->state, err);
    l2d_params_free(&p);
    return rc;
}

static void attack_free(struct attack *at)
{
    if (at->state) at->ops->destroy(at->state);
    l2d_registry_free(&at->reg);
}

/* Runs one attack; on failure reports it and returns non-zero. */
static int run_attack(const char *file, const char *const *sets, size_t n, struct tobj *t,
                      const float *x, float *xa, uint64_t seed, struct l2d_error *err)
{
    struct attack at;
    int rc = attack_make(&at, file, sets, n, err);
    if (!rc) rc = at.ops->perturb(at.state, &t->obj, x, t->B, xa, seed, err);
    attack_free(&at);
    return rc;
}

static double max_ball(int l2, const float *x, const float *xa, size_t B, size_t D)
{
    double worst = 0.0;
    for (size_t i = 0; i < B; i++) {
        double n = 0.0;
        for (size_t k = 0; k < D; k++) {
            double d = fabs((double)xa[i * D + k] - (double)x[i * D + k]);
            if (l2) n += d * d;
            else if (d > n) n = d;
        }
        if (l2) n = sqrt(n);
        if (n > worst) worst = n;
    }
    return worst;
}

static int in_range(const float *xa, size_t B, size_t D, const float *lo, const float *hi)
{
    for (size_t i = 0; i < B * D; i++)
        if ((lo && xa[i] < lo[i % D]) || (hi && xa[i] > hi[i % D])) return 0;
    return 1;
}

static double values(struct tobj *t, const float *x, double *v)
{
    struct l2d_error err = {0};
    int calls = t->calls, gc = t->grad_calls;
    tobj_vg(t, x, t->B, v, NULL, &err);
    t->calls = calls, t->grad_calls = gc;
    return 0;
}

enum { B = 64, D = 6 };
static float X[B * D], W[B * D], XA[B * D], LO[D], HI[D];

static void linear_optimum(void)
{
    struct l2d_error err = {0};
    struct tobj t;
    const double eps = 0.1;
    /* l_inf, maximise and minimise, clamp on and off */
    for (int mx = 0; mx <= 1; mx++)
        for (int cl = 0; cl <= 1; cl++) {
            tobj_init(&t, T_LINEAR, B, D, W, NULL, mx, LO, HI);
            const char *sets[] = {"norm=inf", "eps=0.1", "steps=10", cl ? "clamp=true" : "clamp=false"};
            int rc = run_attack("pgd.so", sets, 4, &t, X, XA, 7, &err);
            double worst = 0.0;
            for (size_t i = 0; i < B * D; i++) {
                double sg = W[i] > 0 ? 1 : W[i] < 0 ? -1 : 0;
                double want = (double)X[i] + (mx ? 1 : -1) * eps * sg;
                if (cl) want = fmin(fmax(want, LO[i % D]), HI[i % D]);
                worst = fmax(worst, fabs(want - XA[i]));
            }
            tap_ok(rc == 0 && worst < 1e-6,
                   "pgd l_inf linear %s, clamp %d: x + eps sign(w) on every row (max err %.3g) %s",
                   mx ? "max" : "min", cl, worst, rc ? err.msg : "");
            tap_ok(t.grad_calls == 10 && t.calls == 11,
                   "pgd10: 10 gradient evaluations and 1 value evaluation (%d, %d)", t.grad_calls,
                   t.calls - t.grad_calls);
            tap_ok(!cl || in_range(XA, B, D, LO, HI), "clamped rows lie in [lo, hi]");
        }
    /* clamp off: some rows must leave [0, 1], or the clamp test proves nothing */
    tobj_init(&t, T_LINEAR, B, D, W, NULL, 1, LO, HI);
    const char *nocl[] = {"eps=0.1", "clamp=false"};
    run_attack("pgd.so", nocl, 2, &t, X, XA, 7, &err);
    tap_ok(!in_range(XA, B, D, LO, HI), "clamp=false lets rows leave the range");

    /* l_2 without a range: x + eps w / ||w|| */
    for (int mx = 0; mx <= 1; mx++) {
        tobj_init(&t, T_LINEAR, B, D, W, NULL, mx, NULL, NULL);
        const char *sets[] = {"norm=2", "eps=0.1", "steps=10"};
        int rc = run_attack("pgd.so", sets, 3, &t, X, XA, 7, &err);
        double worst = 0.0;
        for (size_t i = 0; i < B; i++) {
            double n = 0;
            for (size_t k = 0; k < D; k++) n += (double)W[i * D + k] * W[i * D + k];
            n = sqrt(n);
            for (size_t k = 0; k < D; k++) {
                double want = X[i * D + k] + (mx ? 1 : -1) * eps * W[i * D + k] / n;
                worst = fmax(worst, fabs(want - XA[i * D + k]));
            }
        }
        tap_ok(rc == 0 && worst < 2e-6, "pgd l_2 linear %s: x + eps w/||w|| (max err %.3g) %s",
               mx ? "max" : "min", worst, rc ? err.msg : "");
    }
    /* fgsm: the same l_inf optimum in one step */
    tobj_init(&t, T_LINEAR, B, D, W, NULL, 1, LO, HI);
    const char *fs[] = {"eps=0.1"};
    int rc = run_attack("fgsm.so", fs, 1, &t, X, XA, 7, &err);
    double worst = 0.0;
    for (size_t i = 0; i < B * D; i++) {
        double sg = W[i] > 0 ? 1 : W[i] < 0 ? -1 : 0;
        double want = fmin(fmax((double)X[i] + eps * sg, LO[i % D]), HI[i % D]);
        worst = fmax(worst, fabs(want - XA[i]));
    }
    tap_ok(rc == 0 && worst < 1e-6, "fgsm linear: x + eps sign(w), clipped (max err %.3g)", worst);
    tap_ok(t.grad_calls == 1 && t.calls == 2, "fgsm: 1 gradient and 1 value evaluation (%d, %d)",
           t.grad_calls, t.calls - t.grad_calls);
}

/* Non-convex objective: every row in the ball and the range, never worse
 * than clean, and most rows strictly better. */
static void sines(void)
{
    struct l2d_error err = {0};
    struct tobj t;
    double v0[B], v1[B];
    static const char *const cfgs[][5] = {
        {"pgd.so", "norm=inf", "eps=0.3", "random_start=false", "steps=10"},
        {"pgd.so", "norm=inf", "eps=0.3", "random_start=true", "steps=10"},
        {"pgd.so", "norm=2", "eps=0.5", "random_start=false", "steps=20"},
        {"pgd.so", "norm=2", "eps=0.5", "random_start=true", "steps=7"},
        {"fgsm.so", "eps=0.3", "clamp=true", NULL, NULL},
    };
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++)
        for (int mx = 0; mx <= 1; mx++) {
            size_t n = cfgs[c][3] ? 4 : 2;
            tobj_init(&t, T_SINES, B, D, W, NULL, mx, LO, HI);
            int rc = run_attack(cfgs[c][0], &cfgs[c][1], n, &t, X, XA, 11, &err);
            int l2 = c == 2 || c == 3;
            double eps = l2 ? 0.5 : 0.3;
            values(&t, X, v0);
            values(&t, XA, v1);
            size_t worse = 0, better = 0;
            for (size_t i = 0; i < B; i++) {
                if (mx ? v1[i] < v0[i] : v1[i] > v0[i]) worse++;
                if (mx ? v1[i] > v0[i] + 1e-3 : v1[i] < v0[i] - 1e-3) better++;
            }
            double ball = max_ball(l2, X, XA, B, D);
            const char *what = cfgs[c][0][0] == 'f' ? "fgsm" : "pgd";
            tap_ok(rc == 0, "%s %s %s %s: runs %s", what, cfgs[c][1], cfgs[c][3] ? cfgs[c][3] : "",
                   mx ? "max" : "min", rc ? err.msg : "");
            tap_ok(ball <= eps + 1e-6, "  every row in the ball (max norm %.9g, eps %g)", ball, eps);
            tap_ok(in_range(XA, B, D, LO, HI), "  every row in [lo, hi]");
            tap_ok(worse == 0, "  no row worse than clean (%zu are)", worse);
            tap_ok(better >= B * 8 / 10, "  most rows strictly better (%zu of %d)", better, B);
        }
}

/* The best iterate, not the last: 1-D parabola peaking at x + 0.5 eps,
 * steps of 0.4 eps: iterates x, x + 0.4 eps, x + 0.8 eps (the last). */
static void best_iterate(void)
{
    struct l2d_error err = {0};
    struct tobj t;
    float x[4] = {0.5f, 0.2f, 0.7f, 0.1f}, a[4], xa[4];
    for (int i = 0; i < 4; i++) a[i] = x[i] + 0.05f;
    tobj_init(&t, T_PARAB, 4, 1, NULL, a, 1, NULL, NULL);
    const char *sets[] = {"eps=0.1", "steps=2", "step=0.04"};
    int rc = run_attack("pgd.so", sets, 3, &t, x, xa, 1, &err);
    double worst = 0;
    for (int i = 0; i < 4; i++) worst = fmax(worst, fabs((double)xa[i] - (x[i] + 0.04)));
    tap_ok(rc == 0 && worst < 1e-6, "best iterate x + 0.4 eps is kept, not the last (err %.3g)",
           worst);
    /* a flat objective: no direction, no move (l_2 and l_inf) */
    float z[B * D];
    for (int l2 = 0; l2 <= 1; l2++) {
        tobj_init(&t, T_FLAT, B, D, NULL, NULL, 1, LO, HI);
        const char *fl[] = {l2 ? "norm=2" : "norm=inf", "eps=0.2"};
        rc = run_attack("pgd.so", fl, 2, &t, X, z, 1, &err);
        tap_ok(rc == 0 && !memcmp(z, X, sizeof z), "zero gradient (%s): x_adv = x",
               l2 ? "l_2" : "l_inf");
    }
    tobj_init(&t, T_SINES, B, D, W, NULL, 1, LO, HI);
    const char *e0[] = {"eps=0", "random_start=true"};
    rc = run_attack("pgd.so", e0, 2, &t, X, z, 1, &err);
    tap_ok(rc == 0 && !memcmp(z, X, sizeof z), "eps = 0: x_adv = x");
}

/* Random start: deterministic per seed, different across seeds, uniform
 * in the box / the l_2 ball. T_DIST is flat at x itself (no move without a
 * random start) and a tiny step leaves x_adv at the start point. */
static void random_start(void)
{
    enum { R = 4000, RD = 2 };
    static float x[R * RD], a1[R * RD], a2[R * RD], a3[R * RD];
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 99);
    for (size_t i = 0; i < R * RD; i++) x[i] = (float)(0.3 + 0.4 * l2d_rng_uniform(&rng));
    struct l2d_error err = {0};
    struct tobj t;
    for (int l2 = 0; l2 <= 1; l2++) {
        const char *sets[] = {l2 ? "norm=2" : "norm=inf", "eps=0.2", "steps=1", "step=1e-9",
                              "random_start=true"};
        tobj_init(&t, T_DIST, R, RD, NULL, x, 1, NULL, NULL);
        int rc = run_attack("pgd.so", sets, 5, &t, x, a1, 5, &err);
        rc |= run_attack("pgd.so", sets, 5, &t, x, a2, 5, &err);
        rc |= run_attack("pgd.so", sets, 5, &t, x, a3, 6, &err);
        const char *nm = l2 ? "l_2" : "l_inf";
        tap_ok(rc == 0 && !memcmp(a1, a2, sizeof a1), "%s random start: same seed, same x_adv", nm);
        tap_ok(memcmp(a1, a3, sizeof a1) != 0, "%s random start: another seed, another x_adv", nm);
        double ball = max_ball(l2, x, a1, R, RD);
        tap_ok(ball <= 0.2 + 1e-6, "%s random start in the ball (max %.9g)", nm, ball);
        /* distribution: l_inf coordinates U(-eps, eps): mean 0, var eps^2/3;
         * l_2 in 2-D: P(||d|| <= eps/sqrt 2) = 1/2 */
        double m = 0, v = 0, inner = 0;
        for (size_t i = 0; i < R; i++) {
            double n2 = 0;
            for (size_t k = 0; k < RD; k++) {
                double d = (double)a1[i * RD + k] - x[i * RD + k];
                m += d, v += d * d, n2 += d * d;
            }
            if (sqrt(n2) <= 0.2 / sqrt(2.0)) inner++;
        }
        m /= R * RD, v /= R * RD, inner /= R;
        if (!l2) {
            tap_close(m, 0.0, 0.01, 0, "l_inf random start: mean offset");
            tap_close(v, 0.04 / 3, 0.0015, 0, "l_inf random start: variance eps^2/3");
        } else {
            tap_close(inner, 0.5, 0.03, 0, "l_2 random start: half the mass within eps/sqrt(2)");
        }
    }
    /* without a random start the flat point is never left */
    const char *sets[] = {"eps=0.2"};
    tobj_init(&t, T_DIST, R, RD, NULL, x, 1, NULL, NULL);
    int rc = run_attack("pgd.so", sets, 1, &t, x, a1, 5, &err);
    tap_ok(rc == 0 && !memcmp(a1, x, sizeof a1), "no random start: stays at a flat x");
}

static void errors(void)
{
    struct l2d_error err = {0};
    struct attack at;
    static const char *const bad[][2] = {{"norm=1", "norm"}, {"steps=0", "steps"},
                                         {"eps=-1", "eps"}, {"step=-0.1", "step"},
                                         {"random_start=maybe", "random_start"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&err, 0, sizeof err);
        int rc = attack_make(&at, "pgd.so", &bad[k][0], 1, &err);
        attack_free(&at);
        tap_ok(rc != 0 && strstr(err.msg, bad[k][1]), "pgd refuses %s: %s", bad[k][0], err.msg);
    }
    memset(&err, 0, sizeof err);
    const char *unknown[] = {"steps=3"};
    int rc = attack_make(&at, "fgsm.so", unknown, 1, &err);
    attack_free(&at);
    tap_ok(rc != 0, "fgsm has no steps parameter: %s", err.msg);

    struct tobj t;
    const char *sets[] = {"eps=0.1"};
    tobj_init(&t, T_NAN, B, D, NULL, NULL, 1, NULL, NULL);
    memset(&err, 0, sizeof err);
    rc = run_attack("pgd.so", sets, 1, &t, X, XA, 1, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "not finite"), "a NaN objective value is an error: %s",
           err.msg);
    tobj_init(&t, T_FAIL, B, D, NULL, NULL, 1, NULL, NULL);
    memset(&err, 0, sizeof err);
    rc = run_attack("pgd.so", sets, 1, &t, X, XA, 1, &err);
    tap_ok(rc == L2D_EIO && strstr(err.msg, "refused on call 2"),
           "the objective's error comes back: %s", err.msg);
    memset(&err, 0, sizeof err);
    rc = attack_make(&at, "pgd.so", sets, 1, &err);
    if (!rc) rc = at.ops->perturb(at.state, NULL, X, B, XA, 1, &err);
    attack_free(&at);
    tap_ok(rc == L2D_EINVAL, "perturb without an objective: %s", err.msg);
}

int main(void)
{
    tap_plan(90); /* declared first: a test that stops early fails */
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 2024);
    for (size_t k = 0; k < D; k++) LO[k] = 0.0f, HI[k] = 1.0f;
    for (size_t i = 0; i < B * D; i++) {
        X[i] = (float)l2d_rng_uniform(&rng);
        W[i] = (float)(2.0 * l2d_rng_uniform(&rng) - 1.0);
        if (i % 17 == 3) W[i] = 0.0f; /* sign 0: no move */
    }
    linear_optimum();
    sines();
    best_iterate();
    random_start();
    errors();
    return tap_done();
}
