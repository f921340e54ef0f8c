/* The CPU layers of convolutional models (core/layers.h): forward against
 * hand-computed values on tiny inputs, and every backward (parameters and
 * input) against central differences of the float forward (t/fdcheck.h
 * states the tolerance). Inputs are random normals on tiny shapes, fixed
 * seeds. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/layers.h"
#include "fdcheck.h"
#include "l2d/engine.h"
#include "tap.h"

static void randn(struct l2d_rng *r, float *v, size_t n, double scale)
{
    for (size_t k = 0; k < n; k++) v[k] = (float)(scale * l2d_rng_normal(r));
}

static int close_all(const float *got, const double *want, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol * (1.0 + fabs(want[i])))) return 0;
    return 1;
}

/* ---- Conv2d --------------------------------------------------------------- */

struct conv_ctx {
    struct l2d_conv_shape s;
    size_t B;
    float *x, *W, *b, *y, *r, *col;
};

static double conv_loss(void *p)
{
    struct conv_ctx *c = p;
    l2d_conv_forward(&c->s, c->x, c->B, c->W, c->b, c->y, c->col);
    return fd_dot(c->r, c->y, c->B * c->s.co * c->s.ho * c->s.wo);
}

static void conv_grad(size_t ci, size_t h, size_t w, size_t co, size_t k, size_t st, size_t pad,
                      size_t B, int bias, uint64_t seed)
{
    struct conv_ctx c;
    char what[128];
    snprintf(what, sizeof what, "conv %zux%zux%zu -> %zu, k%zu s%zu p%zu, B %zu%s", ci, h, w, co, k,
             st, pad, B, bias ? ", bias" : "");
    if (!tap_ok(l2d_conv_shape_init(&c.s, ci, h, w, co, k, st, pad) == 0, "%s: shape", what)) return;
    c.B = B;
    size_t nx = B * ci * h * w, nw = co * ci * k * k, ny = B * co * c.s.ho * c.s.wo;
    c.x = malloc(nx * sizeof *c.x);
    c.W = malloc(nw * sizeof *c.W);
    c.b = bias ? malloc(co * sizeof *c.b) : NULL;
    c.y = malloc(ny * sizeof *c.y);
    c.r = malloc(ny * sizeof *c.r);
    c.col = malloc(l2d_conv_col_size(&c.s) * sizeof *c.col);
    float *dx = calloc(nx, sizeof *dx), *dW = calloc(nw, sizeof *dW), *db = calloc(co, sizeof *db);
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    randn(&rng, c.x, nx, 1.0);
    randn(&rng, c.W, nw, 0.5);
    if (bias) randn(&rng, c.b, co, 0.5);
    randn(&rng, c.r, ny, 1.0);
    conv_loss(&c);
    l2d_conv_backward(&c.s, c.x, B, c.W, c.r, dW, bias ? db : NULL, dx, c.col);
    fd_check(what, c.x, dx, nx, conv_loss, &c);
    fd_check(what, c.W, dW, nw, conv_loss, &c);
    if (bias) fd_check(what, c.b, db, co, conv_loss, &c);
    /* backward adds: a second call doubles the gradients (up to the
     * rounding of adding the terms one by one onto a non-zero start) */
    float *dx2 = malloc(nx * sizeof *dx2);
    memcpy(dx2, dx, nx * sizeof *dx);
    l2d_conv_backward(&c.s, c.x, B, c.W, c.r, NULL, NULL, dx2, c.col);
    int ok = 1;
    for (size_t i = 0; i < nx; i++) ok &= fabsf(dx2[i] - 2.0f * dx[i]) <= 1e-5f * (1.0f + fabsf(dx[i]));
    tap_ok(ok, "%s: backward adds into dx", what);
    free(dx2);
    free(c.x), free(c.W), free(c.b), free(c.y), free(c.r), free(c.col), free(dx), free(dW), free(db);
}

static void conv_forward_values(void)
{
    /* x = 1..16 as a 1-channel 4x4 image */
    float x[16], y[16], col[9 * 16];
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    struct l2d_conv_shape s;
    /* 3x3 ones, no padding, bias 0.5: the 3x3 window sums + 0.5 */
    float W1[9], b = 0.5f;
    for (int i = 0; i < 9; i++) W1[i] = 1.0f;
    l2d_conv_shape_init(&s, 1, 4, 4, 1, 3, 1, 0);
    l2d_conv_forward(&s, x, 1, W1, &b, y, col);
    const double want1[4] = {54.5, 63.5, 90.5, 99.5};
    tap_ok(s.ho == 2 && s.wo == 2 && close_all(y, want1, 4, 0),
           "conv 4x4 * ones(3x3) + 0.5 = %g %g %g %g", y[0], y[1], y[2], y[3]);
    /* W = [[1,0,0],[0,0,0],[0,0,-1]], padding 1, stride 2: y[oy][ox] =
     * x[2oy-1][2ox-1] - x[2oy+1][2ox+1], zero outside */
    float W2[9] = {1, 0, 0, 0, 0, 0, 0, 0, -1};
    l2d_conv_shape_init(&s, 1, 4, 4, 1, 3, 2, 1);
    l2d_conv_forward(&s, x, 1, W2, NULL, y, col);
    const double want2[4] = {-6, -8, -14, -10};
    tap_ok(s.ho == 2 && s.wo == 2 && close_all(y, want2, 4, 0),
           "conv 4x4, corner kernel, pad 1, stride 2 = %g %g %g %g", y[0], y[1], y[2], y[3]);
    /* two output channels from two input channels: channel planes and the
     * kernel layout W[co][ci][k][k] (1x1 kernels: a channel mix) */
    float x2[8] = {1, 2, 3, 4, 10, 20, 30, 40}, W3[4] = {1, 0.5f, -1, 2}, y3[8], c3[8];
    l2d_conv_shape_init(&s, 2, 2, 2, 2, 1, 1, 0);
    l2d_conv_forward(&s, x2, 1, W3, NULL, y3, c3);
    const double want3[8] = {6, 12, 18, 24, 19, 38, 57, 76};
    tap_ok(close_all(y3, want3, 8, 0), "conv 1x1 channel mix, W[co][ci] layout");
    tap_ok(l2d_conv_shape_init(&s, 1, 2, 2, 1, 5, 1, 1) != 0 &&
               l2d_conv_shape_init(&s, 1, 4, 4, 1, 3, 0, 1) != 0 &&
               l2d_conv_shape_init(&s, 0, 4, 4, 1, 3, 1, 1) != 0,
           "conv shapes: a kernel larger than the padded input, stride 0, no channels refused");
}

/* ---- BatchNorm2d ---------------------------------------------------------- */

struct bn_ctx {
    size_t C, HW, B;
    int train;
    float *x, *g, *b, *y, *r, *rm, *rv;
    double *mean, *invstd;
};

static double bn_loss(void *p)
{
    struct bn_ctx *c = p;
    if (c->train) {
        /* the running statistics move at every call; the output ignores them */
        l2d_bn_forward_train(c->C, c->HW, c->B, c->x, c->g, c->b, c->y, c->rm, c->rv, c->mean,
                             c->invstd);
    } else {
        l2d_bn_forward_eval(c->C, c->HW, c->B, c->x, c->g, c->b, c->rm, c->rv, c->y, c->mean,
                            c->invstd);
    }
    return fd_dot(c->r, c->y, c->B * c->C * c->HW);
}

static void bn_grad(int train, size_t C, size_t HW, size_t B, uint64_t seed)
{
    struct bn_ctx c = {C, HW, B, train, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    char what[96];
    snprintf(what, sizeof what, "batch norm (%s) C %zu, HW %zu, B %zu",
             train ? "training" : "evaluation", C, HW, B);
    size_t n = B * C * HW;
    c.x = malloc(n * sizeof *c.x), c.y = malloc(n * sizeof *c.y), c.r = malloc(n * sizeof *c.r);
    c.g = malloc(C * sizeof *c.g), c.b = malloc(C * sizeof *c.b);
    c.rm = malloc(C * sizeof *c.rm), c.rv = malloc(C * sizeof *c.rv);
    c.mean = malloc(C * sizeof *c.mean), c.invstd = malloc(C * sizeof *c.invstd);
    float *dx = calloc(n, sizeof *dx), *dg = calloc(C, sizeof *dg), *db = calloc(C, sizeof *db);
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    randn(&rng, c.x, n, 2.0);
    for (size_t i = 0; i < n; i++) c.x[i] += 1.0f; /* a mean to take out */
    randn(&rng, c.g, C, 1.0);
    randn(&rng, c.b, C, 1.0);
    randn(&rng, c.r, n, 1.0);
    for (size_t i = 0; i < C; i++) {
        c.rm[i] = (float)(0.3 * l2d_rng_normal(&rng));
        c.rv[i] = (float)(0.5 + l2d_rng_uniform(&rng));
    }
    bn_loss(&c);
    l2d_bn_backward(C, HW, B, train, c.x, c.g, c.mean, c.invstd, c.r, dg, db, dx);
    fd_check(what, c.x, dx, n, bn_loss, &c);
    fd_check(what, c.g, dg, C, bn_loss, &c);
    fd_check(what, c.b, db, C, bn_loss, &c);
    free(c.x), free(c.y), free(c.r), free(c.g), free(c.b), free(c.rm), free(c.rv), free(c.mean);
    free(c.invstd), free(dx), free(dg), free(db);
}

static void bn_forward_values(void)
{
    /* one channel, B = 2 samples of 2 values: 1, 2 | 3, 4 */
    float x[4] = {1, 2, 3, 4}, g = 2.0f, b = 0.5f, y[4], rm = 0.0f, rv = 1.0f;
    double mean, invstd;
    int rc = l2d_bn_forward_train(1, 2, 2, x, &g, &b, y, &rm, &rv, &mean, &invstd);
    /* mean 2.5, biased variance 1.25, unbiased 5/3 */
    double want[4], is = 1.0 / sqrt(1.25 + 1e-5);
    for (int i = 0; i < 4; i++) want[i] = (x[i] - 2.5) * is * 2.0 + 0.5;
    tap_ok(rc == 0 && close_all(y, want, 4, 1e-6),
           "bn training: (x - 2.5) / sqrt(1.25 + 1e-5) * 2 + 0.5 = %g %g %g %g", y[0], y[1], y[2],
           y[3]);
    tap_ok(fabs(rm - 0.25) < 1e-7 && fabs(rv - (0.9 + 0.1 * 5.0 / 3.0)) < 1e-6,
           "bn running mean 0.9*0 + 0.1*2.5 = %g, var 0.9*1 + 0.1*5/3 (unbiased) = %g", rm, rv);
    l2d_bn_forward_eval(1, 2, 2, x, &g, &b, &rm, &rv, y, &mean, &invstd);
    is = 1.0 / sqrt((double)rv + 1e-5);
    for (int i = 0; i < 4; i++) want[i] = (x[i] - (double)rm) * is * 2.0 + 0.5;
    tap_ok(close_all(y, want, 4, 1e-6) && rm == 0.25f,
           "bn evaluation: the running statistics, unchanged");
    float one = 3.0f;
    tap_ok(l2d_bn_forward_train(1, 1, 1, &one, &g, &b, y, &rm, &rv, &mean, &invstd) != 0,
           "bn training on one value per channel refused (as PyTorch)");
}

/* ---- pooling -------------------------------------------------------------- */

struct pool_ctx {
    size_t C, h, w, k, s, B, ho, wo;
    int gap;
    float *x, *y, *r;
    uint32_t *arg;
};

static double pool_loss(void *p)
{
    struct pool_ctx *c = p;
    if (c->gap) {
        l2d_gap_forward(c->C, c->h * c->w, c->x, c->B, c->y);
        return fd_dot(c->r, c->y, c->B * c->C);
    }
    l2d_maxpool_forward(c->C, c->h, c->w, c->k, c->s, c->x, c->B, c->y, c->arg);
    return fd_dot(c->r, c->y, c->B * c->C * c->ho * c->wo);
}

static void pool_grad(int gap, size_t C, size_t h, size_t w, size_t k, size_t s, size_t B,
                      uint64_t seed)
{
    struct pool_ctx c = {C, h, w, k, s, B, 1, 1, gap, 0, 0, 0, 0};
    char what[96];
    if (!gap) l2d_maxpool_out(h, k, s, &c.ho), l2d_maxpool_out(w, k, s, &c.wo);
    snprintf(what, sizeof what, "%s C %zu, %zux%zu, k%zu s%zu, B %zu", gap ? "global avg pool" : "max pool",
             C, h, w, k, s, B);
    size_t nx = B * C * h * w, ny = B * C * c.ho * c.wo;
    c.x = malloc(nx * sizeof *c.x), c.y = malloc(ny * sizeof *c.y), c.r = malloc(ny * sizeof *c.r);
    c.arg = malloc(ny * sizeof *c.arg);
    float *dx = calloc(nx, sizeof *dx);
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    /* distinct values further apart than 2h, so no maximum changes place
     * within a difference step */
    for (size_t i = 0; i < nx; i++) c.x[i] = (float)(0.05 * (double)((i * 7919) % nx));
    randn(&rng, c.r, ny, 1.0);
    pool_loss(&c);
    if (gap)
        l2d_gap_backward(C, h * w, B, c.r, dx);
    else
        l2d_maxpool_backward(C, h, w, k, s, B, c.arg, c.r, dx);
    fd_check(what, c.x, dx, nx, pool_loss, &c);
    free(c.x), free(c.y), free(c.r), free(c.arg), free(dx);
}

static void pool_forward_values(void)
{
    float x[16], y[4];
    uint32_t arg[4];
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    l2d_maxpool_forward(1, 4, 4, 2, 2, x, 1, y, arg);
    const double w1[4] = {6, 8, 14, 16};
    tap_ok(close_all(y, w1, 4, 0) && arg[0] == 5 && arg[3] == 15,
           "max pool 2/2 of 1..16 = %g %g %g %g", y[0], y[1], y[2], y[3]);
    l2d_maxpool_forward(1, 4, 4, 3, 1, x, 1, y, arg);
    const double w2[4] = {11, 12, 15, 16};
    tap_ok(close_all(y, w2, 4, 0), "max pool 3/1 of 1..16 = %g %g %g %g", y[0], y[1], y[2], y[3]);
    float t[4] = {2, 5, 5, 1}, ty;
    l2d_maxpool_forward(1, 2, 2, 2, 2, t, 1, &ty, arg);
    float dt[4] = {0, 0, 0, 0}, one = 1.0f;
    l2d_maxpool_backward(1, 2, 2, 2, 2, 1, arg, &one, dt);
    tap_ok(ty == 5.0f && dt[1] == 1.0f && dt[2] == 0.0f,
           "max pool tie: the first maximum takes the gradient (as PyTorch)");
    float n[4] = {2, NAN, 5, 1};
    l2d_maxpool_forward(1, 2, 2, 2, 2, n, 1, &ty, arg);
    tap_ok(isnan(ty), "max pool passes a NaN on");
    float g[8] = {1, 2, 3, 4, -1, -1, -1, 5}, gy[2];
    l2d_gap_forward(2, 4, g, 1, gy);
    tap_ok(gy[0] == 2.5f && gy[1] == 0.5f, "global avg pool = %g %g", gy[0], gy[1]);
    size_t ho;
    tap_ok(l2d_maxpool_out(1, 2, 2, &ho) != 0 && l2d_maxpool_out(5, 2, 2, &ho) == 0 && ho == 2,
           "max pool output size: floor, too small refused");
}

/* ---- element-wise and linear ------------------------------------------------ */

struct elem_ctx {
    int kind; /* 0 relu, 1 add, 2 flatten, 3 linear */
    size_t n, in, out, B;
    float *a, *b, *y, *r, *W, *bias;
};

static double elem_loss(void *p)
{
    struct elem_ctx *c = p;
    switch (c->kind) {
    case 0: l2d_relu_forward(c->a, c->n, c->y); break;
    case 1: l2d_add_forward(c->a, c->b, c->n, c->y); break;
    case 2: l2d_flatten_forward(c->a, c->n, c->y); break;
    default: l2d_linear_forward(c->in, c->out, c->a, c->B, c->W, c->bias, c->y); return fd_dot(c->r, c->y, c->B * c->out);
    }
    return fd_dot(c->r, c->y, c->n);
}

static void elem_grad(void)
{
    const size_t n = 24;
    float a[24], b[24], y[24], r[24], da[24], db[24];
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 11);
    for (size_t i = 0; i < n; i++) a[i] = (float)(0.1 * ((double)i - 11.5)); /* |a| >= 0.05 > h */
    randn(&rng, b, n, 1.0);
    randn(&rng, r, n, 1.0);
    const char *names[3] = {"relu", "residual add", "flatten"};
    for (int k = 0; k < 3; k++) {
        struct elem_ctx c = {k, n, 0, 0, 0, a, b, y, r, 0, 0};
        memset(da, 0, sizeof da);
        memset(db, 0, sizeof db);
        elem_loss(&c);
        if (k == 0) l2d_relu_backward(y, n, r, da);
        if (k == 1) l2d_add_backward(n, r, da, db);
        if (k == 2) l2d_flatten_backward(n, r, da);
        fd_check(names[k], a, da, n, elem_loss, &c);
        if (k == 1) fd_check("residual add (skip)", b, db, n, elem_loss, &c);
    }
    float rel[3] = {-1, 0, 2}, ry[3];
    l2d_relu_forward(rel, 3, ry);
    tap_ok(ry[0] == 0 && ry[1] == 0 && ry[2] == 2, "relu of -1, 0, 2");

    /* linear 5 -> 3 on 4 rows */
    float x[20], W[15], bias[3], ly[12], lr[12], dx[20] = {0}, dW[15] = {0}, dbias[3] = {0};
    randn(&rng, x, 20, 1.0);
    randn(&rng, W, 15, 0.5);
    randn(&rng, bias, 3, 0.5);
    randn(&rng, lr, 12, 1.0);
    struct elem_ctx c = {3, 0, 5, 3, 4, x, 0, ly, lr, W, bias};
    elem_loss(&c);
    const double want0 = bias[0] + x[0] * W[0] + x[1] * W[1] + x[2] * W[2] + x[3] * W[3] + x[4] * W[4];
    tap_ok(fabs(ly[0] - want0) < 1e-5, "linear y[0][0] = b0 + x0 . W0");
    l2d_linear_backward(5, 3, x, 4, W, lr, dW, dbias, dx);
    fd_check("linear 5 -> 3, B 4", x, dx, 20, elem_loss, &c);
    fd_check("linear 5 -> 3, B 4", W, dW, 15, elem_loss, &c);
    fd_check("linear 5 -> 3, B 4", bias, dbias, 3, elem_loss, &c);
}

int main(void)
{
    conv_forward_values();
    conv_grad(1, 4, 4, 1, 3, 1, 1, 1, 1, 1);
    conv_grad(2, 5, 4, 3, 3, 2, 1, 2, 1, 2);
    conv_grad(3, 4, 5, 2, 1, 1, 0, 2, 0, 3);
    conv_grad(2, 6, 6, 2, 5, 1, 2, 1, 0, 4);
    bn_forward_values();
    bn_grad(1, 3, 4, 2, 5);
    bn_grad(1, 2, 1, 5, 6); /* 1x1 planes: statistics over the batch alone */
    bn_grad(0, 3, 4, 2, 7);
    pool_forward_values();
    pool_grad(0, 2, 4, 4, 2, 2, 2, 8);
    pool_grad(0, 1, 5, 5, 3, 2, 1, 9);
    pool_grad(1, 3, 3, 2, 0, 0, 2, 10);
    elem_grad();
    tap_plan(tap_n);
    return tap_done();
}
