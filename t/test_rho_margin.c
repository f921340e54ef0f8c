/* The rho-margin surrogate plugin: hand-computed losses and subgradients in
 * every regime of Psi_rho, finite differences away from the kinks, the
 * direction fixed by the erratum (docs/math.md §4), the kink convention,
 * and errors. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"
#include "plugin_util.h"
#include "tap.h"

struct sur {
    struct l2d_registry reg;
    const struct l2d_surrogate_ops *ops;
    void *state;
};

static int sur_make(struct sur *s, const char *const *sets, size_t n, struct l2d_error *err)
{
    const struct l2d_plugin *d = tplug_open(&s->reg, "rho-margin.so");
    s->state = NULL;
    if (!d) return l2d_seterr(err, L2D_EIO, "cannot load rho-margin.so");
    s->ops = d->ops;
    struct l2d_params p;
    int rc = tplug_params(d, sets, n, &p, err);
    if (rc) return rc;
    struct l2d_host host = {sizeof host, 1, NULL, NULL, NULL};
    rc = s->ops->create(&p, &host, &s->state, err);
    l2d_params_free(&p);
    return rc;
}

static void sur_free(struct sur *s)
{
    if (s->state) s->ops->destroy(s->state);
    l2d_registry_free(&s->reg);
}

static void check_case(const char *what, const char *const *sets, size_t n, const double *r,
                       const double *c, size_t A, double want, const double *gwant)
{
    struct sur s;
    struct l2d_error err = {0};
    double loss = NAN, g[8];
    int rc = sur_make(&s, sets, n, &err);
    if (!rc) rc = s.ops->loss(s.state, r, c, 1, A, &loss, g, &err);
    sur_free(&s);
    if (rc) {
        tap_ok(0, "%s: %s", what, err.msg);
        tap_ok(0, "%s: gradient", what);
        return;
    }
    tap_close(loss, want, 1e-13, 1e-13, what);
    double worst = 0;
    for (size_t k = 0; k < A; k++) worst = fmax(worst, fabs(g[k] - gwant[k]));
    tap_ok(worst < 1e-13, "%s: subgradient (max err %.3g)", what, worst);
}

static void hand(void)
{
    /* A = 3, r = (2, 0.5, 0), c = (0.2, 0.6, 1): tau = (1.6, 1.2, 0.8).
     * rho = 1: margins of agent 0 (1.5, 2) are past rho (Psi = 0, flat);
     * agent 1: -1.5 (Psi = 1, flat), 0.5 (ramp, 0.5); agent 2: -2, -0.5
     * (both 1, flat). v = (0, 1.5, 2). Only the pair (1, 2) is on the ramp,
     * so only agent 1's term has a gradient: w = tau_1 Psi^u'(1.5) / rho. */
    const double r[3] = {2, 0.5, 0}, c[3] = {0.2, 0.6, 1.0};
    {
        const char *sets[] = {"rho=1", "nu=1"};
        double w = 1.2 / 2.5, g[3] = {0, -w, w};
        check_case("rho 1, u 1: 1.2 log 2.5 + 0.8 log 3", sets, 2, r, c, 3,
                   1.2 * log(2.5) + 0.8 * log(3.0), g);
    }
    {
        const char *sets[] = {"rho=1", "nu=2"}; /* Psi^2(v) = v / (1 + v), Psi' = (1+v)^-2 */
        double w = 1.2 / 6.25, g[3] = {0, -w, w};
        check_case("rho 1, u 2: 1.2 (1.5/2.5) + 0.8 (2/3)", sets, 2, r, c, 3,
                   1.2 * 1.5 / 2.5 + 0.8 * 2.0 / 3.0, g);
    }
    {
        const char *sets[] = {"rho=1", "nu=0"}; /* Psi^0(v) = v */
        double g[3] = {0, -1.2, 1.2};
        check_case("rho 1, u 0: 1.2 * 1.5 + 0.8 * 2", sets, 2, r, c, 3, 3.4, g);
    }
    {
        /* rho = 4: agent 0's margins 1.5, 2 are on the ramp (0.625, 0.5),
         * agent 1's: -1.5 flat (1), 0.5 ramp (0.875); agent 2 flat (1, 1).
         * v = (1.125, 1.875, 2). */
        const char *sets[] = {"rho=4"};
        double w0 = 1.6 / 2.125 / 4, w1 = 1.2 / 2.875 / 4;
        double g[3] = {-2 * w0, w0 - w1, w0 + w1};
        check_case("rho 4, u 1: 1.6 log 2.125 + 1.2 log 2.875 + 0.8 log 3", sets, 1, r, c, 3,
                   1.6 * log(2.125) + 1.2 * log(2.875) + 0.8 * log(3.0), g);
    }
    {
        /* u = 0.5: Psi(v) = 2 (sqrt(1 + v) - 1), Psi' = (1 + v)^-1/2 */
        const char *sets[] = {"rho=4", "nu=0.5"};
        double w0 = 1.6 / sqrt(2.125) / 4, w1 = 1.2 / sqrt(2.875) / 4;
        double g[3] = {-2 * w0, w0 - w1, w0 + w1};
        check_case("rho 4, u 0.5", sets, 2, r, c, 3,
                   1.6 * 2 * (sqrt(2.125) - 1) + 1.2 * 2 * (sqrt(2.875) - 1) + 0.8 * 2 * (sqrt(3.0) - 1),
                   g);
    }
    {
        /* equal scores sit on the kink t = 0: the ramp's subgradient (as
         * PyTorch's clamp) so training can start from there. A = 2,
         * c = (0, 1): tau = (1, 0), v_0 = 1, Psi' = 1/2 */
        const double r0[2] = {0, 0}, c0[2] = {0, 1};
        double g[2] = {-0.5, 0.5};
        const char *sets[] = {"rho=1"};
        check_case("equal scores: log 2, ramp subgradient at the kink", sets, 1, r0, c0, 2,
                   log(2.0), g);
    }
}

/* Loss = Phi(r, 0) when c = (0, 1). It must fall as r_0 - r_1 grows (the
 * erratum's direction), be log 2 while r_0 <= r_1 and 0 from r_0 - r_1 = rho. */
static void direction(void)
{
    struct sur s;
    struct l2d_error err = {0};
    const char *sets[] = {"rho=0.5"};
    if (sur_make(&s, sets, 1, &err)) {
        tap_ok(0, "create: %s", err.msg);
        return;
    }
    const double c[2] = {0, 1};
    double prev = INFINITY, at_neg = NAN, at_end = NAN;
    int mono = 1, strict = 1;
    for (int k = -20; k <= 20; k++) {
        double t = k * 0.05, r[2] = {0.3 + t, 0.3}, l;
        s.ops->loss(s.state, r, c, 1, 2, &l, NULL, &err);
        if (l > prev) mono = 0;
        if (t > 0 && t < 0.5 && !(l < prev)) strict = 0;
        if (k == -10) at_neg = l;
        if (k == 12) at_end = l;
        prev = l;
    }
    tap_ok(mono && strict, "loss falls as agent 0's score dominates (strictly on the ramp)");
    tap_close(at_neg, log(2.0), 1e-15, 0, "margin -0.5: Psi_rho = 1, loss log 2");
    tap_close(at_end, 0.0, 1e-15, 0, "margin 0.6 > rho: loss 0");
    sur_free(&s);
}

static double margin_to_kink(const double *r, size_t A, double rho)
{
    double d = INFINITY;
    for (size_t j = 0; j < A; j++)
        for (size_t k = 0; k < A; k++)
            if (j != k) d = fmin(d, fmin(fabs(r[j] - r[k]), fabs(r[j] - r[k] - rho)));
    return d;
}

static void finite_differences(void)
{
    static const char *const cfgs[][2] = {
        {"rho=1", "nu=1"}, {"rho=0.5", "nu=0"}, {"rho=2", "nu=2"}, {"rho=1.5", "nu=0.5"},
        {"rho=0.25", "nu=3"},
    };
    const double rhos[] = {1, 0.5, 2, 1.5, 0.25};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 77);
    for (size_t q = 0; q < 5; q++)
        for (size_t A = 2; A <= 5; A++) {
            struct sur s;
            struct l2d_error err = {0};
            if (sur_make(&s, cfgs[q], 2, &err)) {
                tap_ok(0, "create: %s", err.msg);
                continue;
            }
            enum { Bn = 50 };
            double r[Bn * 5], c[Bn * 5], loss[Bn], g[Bn * 5], worst = 0;
            size_t used = 0, nonzero = 0;
            for (size_t i = 0; i < Bn * A; i++) {
                r[i] = rhos[q] * 1.5 * l2d_rng_normal(&rng);
                c[i] = l2d_rng_uniform(&rng);
            }
            int rc = s.ops->loss(s.state, r, c, Bn, A, loss, g, &err);
            for (size_t i = 0; !rc && i < Bn; i++) {
                const double h = 1e-7;
                if (margin_to_kink(r + i * A, A, rhos[q]) < 1e-4) continue; /* near a kink */
                used++;
                int any = 0;
                for (size_t k = 0; k < A; k++) {
                    double rr[5], lp, lm;
                    memcpy(rr, r + i * A, A * sizeof *rr);
                    rr[k] += h;
                    s.ops->loss(s.state, rr, c + i * A, 1, A, &lp, NULL, &err);
                    rr[k] -= 2 * h;
                    s.ops->loss(s.state, rr, c + i * A, 1, A, &lm, NULL, &err);
                    double fd = (lp - lm) / (2 * h);
                    worst = fmax(worst, fabs(fd - g[i * A + k]));
                    any |= g[i * A + k] != 0;
                }
                nonzero += any;
            }
            tap_ok(rc == 0 && used >= Bn / 2 && nonzero >= used / 4 && worst < 1e-6,
                   "%s %s, %zu agents: subgradient = finite differences on %zu rows off the "
                   "kinks, %zu on a ramp (max err %.2g)",
                   cfgs[q][0], cfgs[q][1], A, used, nonzero, worst);
            sur_free(&s);
        }
}

static void errors(void)
{
    struct sur s;
    struct l2d_error err = {0};
    const char *bad1[] = {"rho=0"}, *bad2[] = {"nu=-1"};
    int rc = sur_make(&s, bad1, 1, &err);
    sur_free(&s);
    tap_ok(rc != 0 && strstr(err.msg, "rho"), "rho = 0 is refused: %s", err.msg);
    rc = sur_make(&s, bad2, 1, &err);
    sur_free(&s);
    tap_ok(rc != 0 && strstr(err.msg, "nu"), "nu = -1 is refused: %s", err.msg);
    rc = sur_make(&s, NULL, 0, &err);
    tap_ok(rc == 0 && s.ops->infimum == NULL && s.ops->train_batch == NULL,
           "defaults create; no closed-form infimum");
    const double r[2] = {0, NAN}, c[2] = {1, 1}, r2[2] = {0, 1}, c2[2] = {INFINITY, 1};
    double l;
    rc = s.ops->loss(s.state, r, c, 1, 2, &l, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "score [0][1]"), "a NaN score is an error: %s",
           err.msg);
    rc = s.ops->loss(s.state, r2, c2, 1, 2, &l, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "cost [0][0]"), "an infinite cost is an error: %s",
           err.msg);
    sur_free(&s);
}

int main(void)
{
    tap_plan(40); /* declared first: a test that stops early fails */
    hand();
    direction();
    finite_differences();
    errors();
    return tap_done();
}
