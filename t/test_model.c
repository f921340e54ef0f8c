/* The model API (l2d/model.h) on the CPU against the MLP and optimisers it
 * wraps (core/mlp.h), on random inputs: the same initial parameters from the
 * same seed, forward, backward (parameter and input gradients), zero_grad,
 * SGD/Adam/AdamW steps, snapshot/restore, parameters to and from the host,
 * the plugin context, and the errors. Equal means equal bits: the CPU
 * backend is the MLP, so seeds recorded before the API give the same runs. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mlp.h"
#include "core/model_check.h"
#include "core/model_impl.h"
#include "l2d/device.h"
#include "l2d/model.h"
#include "tap.h"

#define MAXP 8192

struct pair {
    struct l2d_model *m; /* through the API */
    struct l2d_mlp *r;   /* the reference: the bare MLP from the same seed */
    size_t np;
};

static int make_pair(struct pair *p, size_t in, const size_t *hid, size_t nh, size_t out,
                     uint64_t seed, const char *what)
{
    struct l2d_rng r1, r2;
    struct l2d_error err = {0, ""};
    l2d_rng_seed(&r1, seed);
    l2d_rng_seed(&r2, seed);
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = in, .out = out, .n_hidden = nh, .hidden = hid};
    memset(p, 0, sizeof *p);
    int rc = l2d_model_create(&p->m, &arch, -1, &r1, &err);
    if (!rc) rc = l2d_mlp_create(&p->r, in, hid, nh, out, &r2, &err);
    if (!tap_ok(rc == 0, "%s: created %s", what, rc ? err.msg : "")) return -1;
    p->np = l2d_model_n_params(p->m);
    float got[MAXP];
    l2d_model_get_params_host(p->m, got, &err);
    tap_ok(p->np == p->r->n_params && p->np <= MAXP &&
               !memcmp(got, p->r->params, p->np * sizeof *got) &&
               l2d_rng_u64(&r1) == l2d_rng_u64(&r2),
           "%s: %zu initial parameters equal the MLP's from the same seed, same draws used", what,
           p->np);
    return 0;
}

static void free_pair(struct pair *p)
{
    l2d_model_destroy(p->m);
    l2d_mlp_destroy(p->r);
}

static void randn(struct l2d_rng *r, float *v, size_t n, double scale)
{
    for (size_t k = 0; k < n; k++) v[k] = (float)(scale * l2d_rng_normal(r));
}

/* forward, backward, zero_grad and optimiser steps, against the reference */
static void against_mlp(const char *what, size_t in, const size_t *hid, size_t nh, size_t out,
                        size_t B, uint64_t seed)
{
    struct pair p;
    if (make_pair(&p, in, hid, nh, out, seed, what)) return;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed + 100);
    float *x = malloc(B * in * sizeof *x), *dy = malloc(B * out * sizeof *dy);
    float *y1 = malloc(B * out * sizeof *y1), *y2 = malloc(B * out * sizeof *y2);
    float *dx1 = malloc(B * in * sizeof *dx1), *dx2 = malloc(B * in * sizeof *dx2);
    float g[MAXP], q[MAXP];
    randn(&rng, x, B * in, 1.0);
    randn(&rng, dy, B * out, 1.0);

    int rc = l2d_model_forward(p.m, x, B, y1, &err);
    rc |= l2d_mlp_forward(p.r, x, B, y2, &err);
    tap_ok(rc == 0 && !memcmp(y1, y2, B * out * sizeof *y1), "%s: forward on %zu rows = MLP's",
           what, B);

    rc = l2d_model_backward(p.m, dy, B, dx1, 1, &err);
    rc |= l2d_mlp_backward(p.r, dy, B, dx2, 1, &err);
    l2d_model_get_grads_host(p.m, g, &err);
    tap_ok(rc == 0 && !memcmp(g, p.r->grads, p.np * sizeof *g) &&
               !memcmp(dx1, dx2, B * in * sizeof *dx1),
           "%s: backward: parameter and input gradients = MLP's", what);
    /* accumulate = 0 with dx: the input gradient only */
    rc = l2d_model_backward(p.m, dy, B, dx1, 0, &err);
    l2d_model_get_grads_host(p.m, q, &err);
    tap_ok(rc == 0 && !memcmp(g, q, p.np * sizeof *g) && !memcmp(dx1, dx2, B * in * sizeof *dx1),
           "%s: accumulate = 0 leaves the gradients alone", what);
    rc = l2d_model_backward(p.m, dy, B, NULL, 1, &err);
    l2d_model_get_grads_host(p.m, q, &err);
    int twice = rc == 0;
    for (size_t k = 0; k < p.np; k++) twice &= fabs(q[k] - 2.0 * g[k]) <= 1e-5 * (1 + fabs(g[k]));
    tap_ok(twice, "%s: a second accumulate doubles the gradient", what);
    l2d_model_zero_grad(p.m);
    l2d_model_get_grads_host(p.m, q, &err);
    int zero = 1;
    for (size_t k = 0; k < p.np; k++) zero &= q[k] == 0.0f;
    tap_ok(zero, "%s: zero_grad", what);

    /* three steps of each optimiser, weight decay on, on fresh gradients */
    static const enum l2d_optim_kind kinds[3] = {L2D_OPT_SGD, L2D_OPT_ADAM, L2D_OPT_ADAMW};
    static const char *const names[3] = {"SGD", "Adam", "AdamW"};
    for (int k = 0; k < 3; k++) {
        struct l2d_optim o;
        rc = l2d_model_optim_init(p.m, kinds[k], 0.01, &err);
        rc |= l2d_optim_init(&o, kinds[k], p.np, 0.01, &err);
        int same = rc == 0;
        for (int t = 0; same && t < 3; t++) {
            randn(&rng, x, B * in, 1.0);
            randn(&rng, dy, B * out, 1.0);
            l2d_model_zero_grad(p.m);
            l2d_mlp_zero_grad(p.r);
            rc = l2d_model_forward(p.m, x, B, y1, &err);
            rc |= l2d_model_backward(p.m, dy, B, NULL, 1, &err);
            rc |= l2d_mlp_forward(p.r, x, B, y2, &err);
            rc |= l2d_mlp_backward(p.r, dy, B, NULL, 1, &err);
            rc |= l2d_model_step(p.m, 0.01 * (t + 1), &err);
            l2d_optim_step(&o, p.r->params, p.r->grads, 0.01 * (t + 1));
            l2d_model_get_params_host(p.m, q, &err);
            same = rc == 0 && !memcmp(q, p.r->params, p.np * sizeof *q);
        }
        tap_ok(same, "%s: three %s steps = l2d_optim_step's, bit for bit", what, names[k]);
        l2d_optim_free(&o);
    }
    free(x), free(dy), free(y1), free(y2), free(dx1), free(dx2);
    free_pair(&p);
}

static void snapshot_and_params(void)
{
    const size_t hid[1] = {6};
    struct pair p;
    if (make_pair(&p, 4, hid, 1, 3, 7, "4-6-3")) return;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 8);
    float a[MAXP], b[MAXP], c[MAXP], x[2 * 4], y1[2 * 3], y2[2 * 3], dy[2 * 3];

    int rc = l2d_model_restore(p.m, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "snapshot"), "restore before a snapshot: %s",
           err.msg);

    /* set/get round trip, and the forward sees the new parameters */
    randn(&rng, a, p.np, 0.5);
    rc = l2d_model_set_params_host(p.m, a, &err);
    rc |= l2d_model_get_params_host(p.m, b, &err);
    tap_ok(rc == 0 && !memcmp(a, b, p.np * sizeof *a), "set then get params: the same bits");
    memcpy(p.r->params, a, p.np * sizeof *a);
    randn(&rng, x, 8, 1.0);
    rc = l2d_model_forward(p.m, x, 2, y1, &err);
    rc |= l2d_mlp_forward(p.r, x, 2, y2, &err);
    tap_ok(rc == 0 && !memcmp(y1, y2, sizeof y1), "forward uses the parameters set");

    /* snapshot, train a step away, restore */
    rc = l2d_model_snapshot(p.m, &err);
    randn(&rng, dy, 6, 1.0);
    rc |= l2d_model_optim_init(p.m, L2D_OPT_ADAM, 0.0, &err);
    l2d_model_zero_grad(p.m);
    rc |= l2d_model_backward(p.m, dy, 2, NULL, 1, &err);
    rc |= l2d_model_step(p.m, 0.1, &err);
    l2d_model_get_params_host(p.m, b, &err);
    tap_ok(rc == 0 && memcmp(a, b, p.np * sizeof *a), "a step moves the parameters");
    randn(&rng, c, p.np, 0.5);
    rc = l2d_model_restore(p.m, &err);
    l2d_model_get_params_host(p.m, b, &err);
    tap_ok(rc == 0 && !memcmp(a, b, p.np * sizeof *a), "restore brings back the snapshot");
    l2d_model_set_params_host(p.m, c, &err);
    rc = l2d_model_snapshot(p.m, &err);
    l2d_model_set_params_host(p.m, a, &err);
    rc |= l2d_model_restore(p.m, &err);
    l2d_model_get_params_host(p.m, b, &err);
    tap_ok(rc == 0 && !memcmp(c, b, p.np * sizeof *c), "a later snapshot replaces the first");

    /* the training loop's finiteness checks */
    int fp = 0, fg = 0;
    rc = l2d_model_all_finite(p.m, L2D_MODEL_PARAMS, &fp, &err);
    rc |= l2d_model_all_finite(p.m, L2D_MODEL_GRADS, &fg, &err);
    tap_ok(rc == 0 && fp == 1 && fg == 1, "finite parameters and gradients seen as finite");
    c[p.np - 1] = NAN;
    l2d_model_set_params_host(p.m, c, &err);
    rc = l2d_model_all_finite(p.m, L2D_MODEL_PARAMS, &fp, &err);
    tap_ok(rc == 0 && fp == 0, "a NaN parameter (the last bias) is seen");
    free_pair(&p);
}

/* the context plugins get: forward/backward through the model, the MLP view */
static void plugin_context(void)
{
    const size_t hid[2] = {5, 4};
    struct pair p;
    if (make_pair(&p, 3, hid, 2, 2, 11, "3-5-4-2")) return;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 12);
    float lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    struct l2d_model_ctx ctx;
    struct l2d_mlp_view view;
    l2d_model_ctx_init(&ctx, &view, p.m, lo, hi);
    tap_ok(ctx.self == p.m && ctx.dim == 3 && ctx.n_agents == 2 && ctx.lo == lo && ctx.hi == hi &&
               ctx.device == -1 && ctx.stream == NULL && ctx.mlp == &view,
           "context: sizes, range, host device, the view");
    float params[MAXP];
    l2d_model_get_params_host(p.m, params, &err);
    tap_ok(view.n_layers == 3 && view.dims[0] == 3 && view.dims[1] == 5 && view.dims[2] == 4 &&
               view.dims[3] == 2 && !memcmp(view.params, params, p.np * sizeof *params),
           "view: layers, sizes and parameters");
    float x[4 * 3], y1[4 * 2], y2[4 * 2], dy[4 * 2], dx1[4 * 3], dx2[4 * 3];
    randn(&rng, x, 12, 1.0);
    randn(&rng, dy, 8, 1.0);
    int rc = ctx.forward(ctx.self, x, 4, y1, &err);
    rc |= ctx.backward(ctx.self, x, 4, dy, dx1, 1, &err);
    rc |= l2d_mlp_forward(p.r, x, 4, y2, &err);
    rc |= l2d_mlp_backward(p.r, dy, 4, dx2, 1, &err);
    tap_ok(rc == 0 && !memcmp(y1, y2, sizeof y1) && !memcmp(dx1, dx2, sizeof dx1) &&
               !memcmp(view.grads, p.r->grads, p.np * sizeof *view.grads),
           "context forward/backward = MLP's; the view's gradients are the model's");
    l2d_model_ctx_init(&ctx, NULL, p.m, NULL, NULL);
    tap_ok(ctx.mlp == NULL && ctx.lo == NULL, "context without a view");
    free_pair(&p);
}

static void errors(void)
{
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 1);
    struct l2d_model *m = (struct l2d_model *)&rng; /* must be reset to NULL */
    const size_t hid0[2] = {4, 0};
    struct l2d_arch a = {.kind = L2D_ARCH_MLP, .in = 0, .out = 3, .n_hidden = 0, .hidden = NULL};
    int rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EINVAL && m == NULL && strstr(err.msg, "input (0)"), "input size 0: %s",
           err.msg);
    a = (struct l2d_arch){.kind = L2D_ARCH_MLP, .in = 2, .out = 3, .n_hidden = 2, .hidden = hid0};
    rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "hidden layer 1 has size 0"), "hidden size 0: %s",
           err.msg);
    a = (struct l2d_arch){.kind = L2D_ARCH_MLP, .in = 2, .out = 3, .n_hidden = 2, .hidden = NULL};
    rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "no sizes"), "hidden layers without sizes: %s",
           err.msg);
    a = (struct l2d_arch){.kind = (enum l2d_arch_kind)7, .in = 2, .out = 3, .n_hidden = 0, .hidden = NULL};
    rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && strstr(err.msg, "kind 7"), "unknown architecture: %s",
           err.msg);
    a = (struct l2d_arch){.kind = L2D_ARCH_MLP, .in = (size_t)1 << 31, .out = 3, .n_hidden = 0, .hidden = NULL};
    rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "too large"), "a layer too large: %s", err.msg);
    a = (struct l2d_arch){.kind = L2D_ARCH_MLP, .in = 2, .out = 3, .n_hidden = 0, .hidden = NULL};
    rc = l2d_model_create(&m, &a, -2, &rng, &err);
    tap_ok(rc == L2D_EINVAL && m == NULL, "device -2: %s", err.msg);
    rc = l2d_model_create(&m, &a, 3, &rng, &err);
    if (!l2d_cuda_built())
        tap_ok(rc == L2D_EUNSUPPORTED && m == NULL && strstr(err.msg, "cuda:3") &&
                   strstr(err.msg, "without CUDA"),
               "cuda:3 in a build without CUDA: %s", err.msg);
    else if (l2d_cuda_device_count(NULL) <= 3)
        tap_ok(rc != 0 && m == NULL && strstr(err.msg, "3"), "cuda:3 on a machine without it: %s",
               err.msg);
    else
        tap_ok(1, "# SKIP cuda:3 exists here");
    l2d_model_destroy(m);
    m = NULL;
    rc = l2d_model_create(NULL, &a, -1, &rng, &err);
    tap_ok(rc == L2D_EINVAL, "no model pointer: %s", err.msg);

    rc = l2d_model_create(&m, &a, -1, &rng, &err);
    tap_ok(rc == 0 && l2d_model_in(m) == 2 && l2d_model_out(m) == 3 &&
               l2d_model_n_params(m) == 9 && l2d_model_device(m) == -1 &&
               l2d_model_stream(m) == NULL,
           "a linear model 2 -> 3: 9 parameters, on the CPU, no stream");
    float x[5 * 2] = {0}, y[5 * 3], dy[5 * 3] = {0}, dx[5 * 2];
    rc = l2d_model_backward(m, dy, 1, dx, 1, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "follows a forward on 0 rows"),
           "backward before any forward: %s", err.msg);
    l2d_model_forward(m, x, 5, y, &err);
    rc = l2d_model_backward(m, dy, 3, dx, 1, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "3 rows") && strstr(err.msg, "5 rows"),
           "backward on 3 rows after a forward on 5: %s", err.msg);
    rc = l2d_model_backward(m, dy, 5, dx, 1, &err);
    tap_ok(rc == 0, "backward on the forward's 5 rows");
    rc = l2d_model_step(m, 0.1, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "optim_init"), "step before optim_init: %s",
           err.msg);
    rc = l2d_model_optim_init(m, L2D_OPT_ADAM, -1.0, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "weight_decay"), "negative weight decay: %s",
           err.msg);
    rc = l2d_model_optim_init(m, L2D_OPT_SGD, 0.0, &err);
    rc |= l2d_model_step(m, NAN, &err) != L2D_EINVAL;
    tap_ok(rc == 0, "a NaN learning rate is refused: %s", err.msg);
    x[3] = NAN;
    rc = l2d_model_forward(m, x, 5, y, &err);
    tap_ok(rc == L2D_ENUMERIC, "NaN input: %s", err.msg);
    rc = l2d_model_backward(m, dy, 5, dx, 1, &err);
    tap_ok(rc == L2D_EINVAL, "no backward after a failed forward: %s", err.msg);
    rc = l2d_model_forward(m, NULL, 5, y, &err);
    tap_ok(rc == L2D_EINVAL, "NULL input: %s", err.msg);
    rc = l2d_model_get_params_host(m, NULL, &err);
    tap_ok(rc == L2D_EINVAL, "NULL host buffer: %s", err.msg);
    l2d_model_destroy(m);
    l2d_model_destroy(NULL);
    tap_ok(l2d_model_in(NULL) == 0 && l2d_model_device(NULL) == -1, "accessors on NULL");
}

int main(void)
{
    tap_plan(66); /* declared first: a test that stops early fails */
    const size_t h1[2] = {7, 4}, h2[1] = {300};
    /* small enough for mlp_small.c's AVX2 path where the CPU has it */
    against_mlp("5-7-4-3", 5, h1, 2, 3, 6, 1);
    /* wide enough for the OpenBLAS GEMM path */
    against_mlp("9-300-4", 9, h2, 1, 4, 33, 2);
    against_mlp("linear 6-2", 6, NULL, 0, 2, 1, 3);
    snapshot_and_params();
    plugin_context();
    errors();
    return tap_done();
}
