/* The surrogate gradient checker (framework/host/plugin_check.c): passes the
 * ce plugin (linked in) for several nu and A, flags deliberately wrong
 * gradients, passes loss errors through, is deterministic in its seed. */
#include <math.h>
#include <string.h>

#include "host/plugin_check.h"
#include "t/tap.h"

/* -- fakes: log-softmax loss sum_j c_j (-log s_j) with a broken gradient -- */
static int fake_mode; /* 0 right, 1 gradient 1% off, 2 agent 1 wrong, 3 NaN, 4 error */

static int fake_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                     double *loss, double *grad, struct l2d_error *err)
{
    (void)state;
    if (fake_mode == 4)
        return l2d_seterr(err, L2D_ENUMERIC, "fake: overflow at sample 0");
    for (size_t i = 0; i < B; i++) {
        const double *r = scores + i * A, *c = costs + i * A;
        double m = r[0], se = 0, ct = 0, l = 0;
        for (size_t k = 1; k < A; k++)
            m = fmax(m, r[k]);
        for (size_t k = 0; k < A; k++) {
            se += exp(r[k] - m);
            ct += c[k];
        }
        const double lse = m + log(se);
        for (size_t k = 0; k < A; k++)
            l += c[k] * (lse - r[k]);
        loss[i] = l;
        for (size_t k = 0; grad && k < A; k++) {
            double g = ct * exp(r[k] - lse) - c[k];
            if (fake_mode == 1)
                g *= 1.01;
            if (fake_mode == 2 && k == 1)
                g += 0.1;
            if (fake_mode == 3 && i == 0 && k == 0)
                g = NAN;
            grad[i * A + k] = g;
        }
    }
    return 0;
}

static const struct l2d_surrogate_ops fake_ops = {.struct_size = sizeof(struct l2d_surrogate_ops), .loss = fake_loss};

static void *make_ce(const struct l2d_surrogate_ops *ops, const struct l2d_plugin *d, double nu)
{
    struct l2d_param_value v = {L2D_PARAM_DOUBLE, 0, nu, "x"};
    struct l2d_params p = {1, d->params, &v};
    struct l2d_error err;
    void *st = NULL;
    return ops->create(&p, NULL, &st, &err) ? NULL : st;
}

int main(void)
{
    tap_plan(20);
    const struct l2d_plugin *d = l2d_plugin_entry(0);
    const struct l2d_surrogate_ops *ce = d->ops;
    const double nus[] = {0, 0.5, 1, 1.5, 2, 3, 7};
    for (size_t t = 0; t < sizeof nus / sizeof nus[0]; t++) {
        void *st = make_ce(ce, d, nus[t]);
        struct l2d_gradcheck gc;
        struct l2d_error err = {0, ""};
        int rc = 0, fails = 0, n = 0;
        double mx = 0;
        for (size_t A = 2; A <= 6 && !rc; A++) {
            rc = l2d_surrogate_gradcheck(ce, st, 42 + A, 30, A, &gc, &err);
            fails += gc.failures;
            n += gc.trials;
            mx = fmax(mx, gc.max_abs_err);
        }
        tap_ok(rc == 0 && fails == 0 && n == 150,
               "ce nu=%g: 150 trials, A = 2..6, no failures (max abs err %.3g) %s", nus[t], mx,
               rc ? err.msg : "");
        ce->destroy(st);
    }

    struct l2d_gradcheck g1, g2;
    struct l2d_error err = {0, ""};
    fake_mode = 0;
    int rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 20, 4, &g1, &err);
    tap_ok(rc == 0 && g1.failures == 0 && g1.trials == 20 && g1.max_abs_err < 1e-6,
           "right fake gradient passes (max abs %.3g, rel %.3g)", g1.max_abs_err, g1.max_rel_err);
    tap_ok(g1.worst_loss > 0 && strstr(g1.worst, "trial "), "worst case described: %s", g1.worst);
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 20, 4, &g2, &err);
    tap_ok(rc == 0 && !memcmp(&g1.max_abs_err, &g2.max_abs_err, sizeof g1.max_abs_err) &&
               g1.worst_loss == g2.worst_loss && !strcmp(g1.worst, g2.worst),
           "same seed, same result");
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 8, 20, 4, &g2, &err);
    tap_ok(rc == 0 && g1.worst_loss != g2.worst_loss, "another seed, other points");

    fake_mode = 1;
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 20, 4, &g1, &err);
    tap_ok(rc == 0 && g1.trials == 20 && g1.failures == 20,
           "gradient 1%% off: every trial fails (%d)", g1.failures);
    tap_close(g1.max_rel_err, 0.01 / 1.01, 1e-5, 0, "relative error of a 1% scaling");
    tap_ok(strstr(g1.worst, "trial ") != NULL, "worst: %s", g1.worst);

    fake_mode = 2;
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 10, 3, &g1, &err);
    tap_ok(rc == 0 && g1.failures == 10 && strstr(g1.worst, "agent 1 of 3"),
           "one wrong coordinate found: %s", g1.worst);
    tap_close(g1.max_abs_err, 0.1, 1e-6, 0, "its absolute error is the 0.1 added");

    fake_mode = 3;
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 10, 3, &g1, &err);
    tap_ok(rc == 0 && g1.failures == 10 && isinf(g1.max_abs_err) && strstr(g1.worst, "nan"),
           "NaN gradient fails: %s", g1.worst);

    fake_mode = 4;
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 10, 3, &g1, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "gradcheck trial 0: fake: overflow"),
           "loss error passed through: %s", err.msg);

    fake_mode = 0;
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 0, 3, &g1, &err);
    tap_ok(rc == L2D_EINVAL, "0 trials refused: %s", err.msg);
    rc = l2d_surrogate_gradcheck(&fake_ops, NULL, 7, 5, 1, &g1, &err);
    tap_ok(rc == L2D_EINVAL, "1 agent refused: %s", err.msg);
    return tap_done();
}
