/* MLP: a hand-computed network, gradients against central differences of a
 * double-precision reference forward, accumulate semantics, repeatability,
 * and small problems that must train. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mlp.h"
#include "tap.h"

/* y = f(x) in double with the parameter layout of engine.h */
static void ref_forward(const struct l2d_mlp *m, const double *p, const double *x, size_t B,
                        double *y)
{
    size_t md = 0;
    for (size_t l = 0; l <= m->n_layers; l++)
        if (m->dims[l] > md) md = m->dims[l];
    double *a = malloc(md * sizeof *a), *z = malloc(md * sizeof *z);
    for (size_t r = 0; r < B; r++) {
        memcpy(a, x + r * m->in, m->in * sizeof *a);
        const double *q = p;
        for (size_t l = 0; l < m->n_layers; l++) {
            size_t K = m->dims[l], N = m->dims[l + 1];
            for (size_t j = 0; j < N; j++) {
                double s = q[N * K + j];
                for (size_t k = 0; k < K; k++) s += q[j * K + k] * a[k];
                z[j] = (l + 1 < m->n_layers && s < 0) ? 0 : s;
            }
            q += N * K + N;
            memcpy(a, z, N * sizeof *a);
        }
        memcpy(y + r * m->out, a, m->out * sizeof *a);
    }
    free(a);
    free(z);
}

/* L = sum(c .* f(x)) */
static double ref_loss(const struct l2d_mlp *m, const double *p, const double *x, size_t B,
                       const double *c)
{
    double *y = malloc(B * m->out * sizeof *y), L = 0;
    ref_forward(m, p, x, B, y);
    for (size_t i = 0; i < B * m->out; i++) L += c[i] * y[i];
    free(y);
    return L;
}

static void gradcheck(size_t in, const size_t *hid, size_t nh, size_t out, size_t B, uint64_t seed)
{
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_mlp *m;
    l2d_rng_seed(&rng, seed);
    if (!tap_ok(l2d_mlp_create(&m, in, hid, nh, out, &rng, &err) == 0, "create %s", err.msg)) return;
    float *x = malloc(B * in * sizeof *x), *y = malloc(B * out * sizeof *y),
          *dy = malloc(B * out * sizeof *dy), *dx = malloc(B * in * sizeof *dx);
    double *xd = malloc(B * in * sizeof *xd), *c = malloc(B * out * sizeof *c),
           *yd = malloc(B * out * sizeof *yd), *p = malloc(m->n_params * sizeof *p);
    for (size_t i = 0; i < B * in; i++) xd[i] = x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * out; i++) c[i] = dy[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < m->n_params; i++) p[i] = m->params[i];

    /* a larger batch first, so the buffers are bigger than B */
    float *xb = calloc((B + 5) * in, sizeof *xb), *yb = malloc((B + 5) * out * sizeof *yb);
    l2d_mlp_forward(m, xb, B + 5, yb, &err);
    int rc = l2d_mlp_forward(m, x, B, y, &err);
    ref_forward(m, p, xd, B, yd);
    double maxe = 0;
    for (size_t i = 0; i < B * out; i++) maxe = fmax(maxe, fabs(y[i] - yd[i]) / (1 + fabs(yd[i])));
    tap_ok(rc == 0 && maxe < 1e-5, "in=%zu nh=%zu out=%zu B=%zu: forward matches double reference (%.2g)",
           in, nh, out, B, maxe);

    l2d_mlp_zero_grad(m);
    rc = l2d_mlp_backward(m, dy, B, dx, 1, &err);
    const double h = 1e-6;
    double worst = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double lp = ref_loss(m, p, xd, B, c);
        p[i] = keep - h;
        double lm = ref_loss(m, p, xd, B, c);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(m->grads[i] - fd) / (1e-3 + fabs(fd)));
    }
    tap_ok(rc == 0 && worst < 1e-3, "  parameter gradient vs central differences (worst rel %.2g)", worst);
    worst = 0;
    for (size_t i = 0; i < B * in; i++) {
        double keep = xd[i];
        xd[i] = keep + h;
        double lp = ref_loss(m, p, xd, B, c);
        xd[i] = keep - h;
        double lm = ref_loss(m, p, xd, B, c);
        xd[i] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(dx[i] - fd) / (1e-3 + fabs(fd)));
    }
    tap_ok(worst < 1e-3, "  input gradient vs central differences (worst rel %.2g)", worst);

    /* accumulate: a second pass doubles; accumulate = 0 leaves grads alone */
    float *g1 = malloc(m->n_params * sizeof *g1), *dx2 = malloc(B * in * sizeof *dx2);
    memcpy(g1, m->grads, m->n_params * sizeof *g1);
    l2d_mlp_backward(m, dy, B, NULL, 1, &err);
    int ok = 1;
    for (size_t i = 0; i < m->n_params; i++) ok &= fabsf(m->grads[i] - 2 * g1[i]) <= 1e-5f * (1 + fabsf(g1[i]));
    l2d_mlp_backward(m, dy, B, dx2, 0, &err);
    for (size_t i = 0; i < m->n_params; i++) ok &= fabsf(m->grads[i] - 2 * g1[i]) <= 1e-5f * (1 + fabsf(g1[i]));
    ok &= memcmp(dx, dx2, B * in * sizeof *dx) == 0;
    l2d_mlp_zero_grad(m);
    for (size_t i = 0; i < m->n_params; i++) ok &= m->grads[i] == 0.0f;
    tap_ok(ok, "  accumulate adds, accumulate=0 only gives dx, zero_grad clears");

    free(g1); free(dx2); free(xb); free(yb);
    free(x); free(y); free(dy); free(dx); free(xd); free(c); free(yd); free(p);
    l2d_mlp_destroy(m);
}

/* full-batch MSE training with Adam; returns the final mean loss */
static double train(struct l2d_mlp *m, const float *x, const float *t, size_t B, int steps, double lr)
{
    struct l2d_optim o;
    struct l2d_error err = {0};
    float *y = malloc(B * m->out * sizeof *y), *dy = malloc(B * m->out * sizeof *dy);
    double L = NAN;
    if (l2d_optim_init(&o, L2D_OPT_ADAM, m->n_params, 0.0, &err)) return NAN;
    for (int s = 0; s <= steps; s++) {
        if (l2d_mlp_forward(m, x, B, y, &err)) break;
        L = 0;
        for (size_t i = 0; i < B * m->out; i++) {
            double d = y[i] - t[i];
            L += d * d;
            dy[i] = (float)(2 * d / (double)(B * m->out));
        }
        L /= (double)(B * m->out);
        if (s == steps) break;
        l2d_mlp_zero_grad(m);
        l2d_mlp_backward(m, dy, B, NULL, 1, &err);
        l2d_optim_step(&o, m->params, m->grads, lr);
    }
    l2d_optim_free(&o);
    free(y);
    free(dy);
    return L;
}

int main(void)
{
    tap_plan(46);
    struct l2d_error err = {0};
    struct l2d_rng rng;
    struct l2d_mlp *m = NULL;

    /* hand-computed 2-2-1 network */
    l2d_rng_seed(&rng, 1);
    size_t h2[1] = {2};
    tap_ok(l2d_mlp_create(&m, 2, h2, 1, 1, &rng, &err) == 0, "create 2-2-1");
    tap_ok(m->n_params == 9 && m->n_layers == 2 && l2d_mlp_weight(m, 0) == m->params &&
               l2d_mlp_bias(m, 0) == m->params + 4 && l2d_mlp_weight(m, 1) == m->params + 6 &&
               l2d_mlp_bias(m, 1) == m->params + 8,
           "parameter layout W0 b0 W1 b1");
    const float W0[4] = {1, -1, 0.5f, 2}, b0[2] = {0, -1}, W1[2] = {2, -3}, b1[1] = {0.5f};
    memcpy(l2d_mlp_weight(m, 0), W0, sizeof W0);
    memcpy(l2d_mlp_bias(m, 0), b0, sizeof b0);
    memcpy(l2d_mlp_weight(m, 1), W1, sizeof W1);
    memcpy(l2d_mlp_bias(m, 1), b1, sizeof b1);
    /* x=(1,2): h=relu(-1, 3.5)=(0,3.5), y=-10.5+0.5; x=(-1,.5): h=0, y=.5;
     * x=(3,1): h=(2,2.5), y=4-7.5+.5 */
    const float xh[6] = {1, 2, -1, 0.5f, 3, 1};
    float yh[3];
    int rc = l2d_mlp_forward(m, xh, 3, yh, &err);
    tap_ok(rc == 0 && yh[0] == -10.0f && yh[1] == 0.5f &&
               yh[2] == -3.0f,
           "forward by hand: %g %g %g (want -10 0.5 -3)", yh[0], yh[1], yh[2]);
    /* dL/dy = 1 for row 0 only: dW1 = h = (0, 3.5), db1 = 1, dh = W1 masked
     * = (0, -3), dW0 = outer((0,-3), x) = (0,0,-3,-6), db0 = (0,-3),
     * dx = dh W0 = (-1.5, -6) */
    const float dyh[3] = {1, 0, 0};
    float dxh[6];
    l2d_mlp_zero_grad(m);
    l2d_mlp_backward(m, dyh, 3, dxh, 1, &err);
    const float want_g[9] = {0, 0, -3, -6, 0, -3, 0, 3.5f, 1};
    tap_ok(memcmp(m->grads, want_g, sizeof want_g) == 0, "backward by hand: parameter gradient");
    tap_ok(dxh[0] == -1.5f && dxh[1] == -6.0f && dxh[2] == 0 && dxh[3] == 0 && dxh[4] == 0 && dxh[5] == 0,
           "backward by hand: input gradient (%g, %g)", dxh[0], dxh[1]);

    /* bad inputs */
    float bad[2] = {NAN, 1};
    rc = l2d_mlp_forward(m, bad, 1, yh, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "non-finite"),
           "NaN input gives L2D_ENUMERIC: %s", err.msg);
    tap_ok(l2d_mlp_backward(m, dyh, 50, NULL, 1, &err) == L2D_EINVAL, "backward on more rows than the forward: %s",
           err.msg);
    struct l2d_mlp *m2 = NULL;
    tap_ok(l2d_mlp_create(&m2, 0, NULL, 0, 1, &rng, &err) == L2D_EINVAL && m2 == NULL,
           "zero input size rejected: %s", err.msg);
    size_t hz[2] = {4, 0};
    tap_ok(l2d_mlp_create(&m2, 3, hz, 2, 1, &rng, &err) == L2D_EINVAL && strstr(err.msg, "hidden layer 1"),
           "zero hidden size rejected: %s", err.msg);
    tap_ok(l2d_mlp_create(&m2, 3, NULL, 0, 1, &rng, &err) == 0, "linear model created");
    tap_ok(l2d_mlp_backward(m2, dyh, 1, NULL, 1, &err) == L2D_EINVAL, "backward before any forward: %s", err.msg);
    tap_ok(l2d_mlp_copy_params(m2, m) != 0, "copy_params across shapes refused");
    l2d_mlp_destroy(m2);
    l2d_mlp_destroy(m);

    /* gradients: linear and two hidden layers, several batch sizes */
    size_t hh[2] = {6, 5};
    gradcheck(3, NULL, 0, 2, 1, 11);
    gradcheck(3, NULL, 0, 2, 7, 12);
    gradcheck(4, hh, 2, 3, 1, 13);
    gradcheck(4, hh, 2, 3, 5, 14);
    gradcheck(4, hh, 2, 3, 33, 15);

    /* init: PyTorch bound 1/sqrt(fan_in), variance bound^2/3 */
    size_t hbig[1] = {400};
    l2d_rng_seed(&rng, 3);
    l2d_mlp_create(&m, 100, hbig, 1, 2, &rng, &err);
    double s2 = 0, mx = 0;
    const float *W = l2d_mlp_weight(m, 0);
    for (size_t i = 0; i < 40000; i++) {
        s2 += (double)W[i] * W[i];
        mx = fmax(mx, fabs(W[i]));
    }
    tap_ok(mx <= 0.1 && mx > 0.099, "first-layer weights within +-1/sqrt(100) (max %g)", mx);
    tap_close(s2 / 40000, 0.01 / 3, 1e-4, 0, "first-layer weight variance");
    const float *b = l2d_mlp_bias(m, 1);
    tap_ok(fabs(b[0]) <= 0.05 && fabs(b[1]) <= 0.05 && b[0] != b[1], "last bias within +-1/sqrt(400)");
    l2d_mlp_destroy(m);

    /* repeatability: same seed, same bits after Adam steps */
    size_t hr[2] = {16, 8};
    struct l2d_mlp *ma, *mb;
    float xr[32 * 5], tr[32 * 2];
    l2d_rng_seed(&rng, 99);
    for (size_t i = 0; i < 32 * 5; i++) xr[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < 32 * 2; i++) tr[i] = (float)l2d_rng_normal(&rng);
    l2d_rng_seed(&rng, 5);
    l2d_mlp_create(&ma, 5, hr, 2, 2, &rng, &err);
    l2d_rng_seed(&rng, 5);
    l2d_mlp_create(&mb, 5, hr, 2, 2, &rng, &err);
    tap_ok(memcmp(ma->params, mb->params, ma->n_params * sizeof(float)) == 0, "same seed, same init");
    double la = train(ma, xr, tr, 32, 25, 1e-2), lb = train(mb, xr, tr, 32, 25, 1e-2);
    tap_ok(memcmp(ma->params, mb->params, ma->n_params * sizeof(float)) == 0 && la == lb,
           "same seed, identical bits after 25 Adam steps");
    l2d_rng_seed(&rng, 6);
    l2d_mlp_destroy(mb);
    l2d_mlp_create(&mb, 5, hr, 2, 2, &rng, &err);
    tap_ok(memcmp(ma->params, mb->params, ma->n_params * sizeof(float)) != 0, "different seed, different init");
    tap_ok(l2d_mlp_copy_params(mb, ma) == 0 && memcmp(ma->params, mb->params, ma->n_params * sizeof(float)) == 0,
           "copy_params copies");
    l2d_mlp_destroy(ma);
    l2d_mlp_destroy(mb);

    /* XOR needs the hidden layer */
    const float xx[8] = {0, 0, 0, 1, 1, 0, 1, 1}, tx[4] = {0, 1, 1, 0};
    size_t hx[1] = {16};
    l2d_rng_seed(&rng, 2024);
    l2d_mlp_create(&m, 2, hx, 1, 1, &rng, &err);
    double L = train(m, xx, tx, 4, 500, 0.03);
    tap_ok(L < 1e-3, "XOR trains: MSE %.3g < 1e-3", L);
    l2d_mlp_destroy(m);

    /* linear regression recovers its weights: t = 2 x0 - x1 + 0.5 */
    float xl[64 * 2], tl[64];
    l2d_rng_seed(&rng, 7);
    for (size_t i = 0; i < 64; i++) {
        xl[2 * i] = (float)l2d_rng_normal(&rng);
        xl[2 * i + 1] = (float)l2d_rng_normal(&rng);
        tl[i] = 2 * xl[2 * i] - xl[2 * i + 1] + 0.5f;
    }
    l2d_mlp_create(&m, 2, NULL, 0, 1, &rng, &err);
    L = train(m, xl, tl, 64, 1500, 0.05);
    tap_ok(L < 1e-6 && fabsf(m->params[0] - 2) < 1e-3 && fabsf(m->params[1] + 1) < 1e-3 &&
               fabsf(m->params[2] - 0.5f) < 1e-3,
           "linear regression: MSE %.3g, w = (%g, %g), b = %g", L, m->params[0], m->params[1], m->params[2]);
    l2d_mlp_destroy(m);
    return tap_done();
}
