/* Convolutional models through the model API on the CPU (L2D_ARCH_CNN,
 * L2D_ARCH_RESNET4): the whole models' gradients against central
 * differences on tiny shapes in both modes, the initialisation (PyTorch's
 * bounds, the draws used), train vs eval mode, buffers in snapshot/restore
 * and get/set, the optimiser leaving buffers alone, the plugin context,
 * the errors, and the CUDA backend's refusal. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/convnet.h"
#include "core/model_impl.h"
/* A smaller step than the layers' (fdcheck.h): a weight moves every
 * activation of its channel, so with h = 1e-2 some ReLU or max-pool kink
 * is crossed and that difference is off by O(1); at 1e-3 none is here, and
 * float rounding in L (about 1e-7 |L| / h = 1e-4 relative) stays well
 * inside the 2e-3 tolerance. */
#define FD_H 1e-3
#include "fdcheck.h"
#include "l2d/model.h"
#include "tap.h"

static void randn(struct l2d_rng *r, float *v, size_t n, double scale)
{
    for (size_t k = 0; k < n; k++) v[k] = (float)(scale * l2d_rng_normal(r));
}

static struct l2d_arch cnn(size_t c, size_t h, size_t w, size_t out, size_t nch,
                           const size_t *ch)
{
    return (struct l2d_arch){.kind = L2D_ARCH_CNN, .out = out, .in_c = c, .in_h = h, .in_w = w,
                             .n_channels = nch, .channels = ch};
}

static struct l2d_arch resnet(size_t c, size_t h, size_t w, size_t out, size_t width)
{
    return (struct l2d_arch){.kind = L2D_ARCH_RESNET4, .out = out, .in_c = c, .in_h = h,
                             .in_w = w, .width = width};
}

struct fd_model {
    struct l2d_model *m;
    float *x, *y, *r, *p;
    size_t B, np, in, out;
};

static double model_loss(void *ctx)
{
    struct fd_model *f = ctx;
    struct l2d_error err;
    /* p is perturbed in place: hand it to the model first */
    l2d_model_set_params_host(f->m, f->p, &err);
    if (l2d_model_forward(f->m, f->x, f->B, f->y, &err)) return NAN;
    return fd_dot(f->r, f->y, f->B * f->out);
}

static void model_grad(const char *what, const struct l2d_arch *a, size_t B, int train,
                       uint64_t seed)
{
    struct fd_model f = {0};
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    if (!tap_ok(l2d_model_create(&f.m, a, -1, &rng, &err) == 0, "%s: created %s", what, err.msg))
        return;
    f.B = B;
    f.np = l2d_model_n_params(f.m);
    f.in = l2d_model_in(f.m);
    f.out = l2d_model_out(f.m);
    f.x = malloc(B * f.in * sizeof *f.x);
    f.y = malloc(B * f.out * sizeof *f.y);
    f.r = malloc(B * f.out * sizeof *f.r);
    f.p = malloc(f.np * sizeof *f.p);
    float *gp = malloc(f.np * sizeof *gp), *gx = malloc(B * f.in * sizeof *gx);
    randn(&rng, f.x, B * f.in, 1.0);
    randn(&rng, f.r, B * f.out, 1.0);
    /* BatchNorm away from the identity: random weights, biases and
     * running statistics, so evaluation mode is not a plain copy */
    l2d_model_get_params_host(f.m, f.p, &err);
    const struct l2d_cnet_plan *pl = f.m->plan;
    size_t nb = l2d_model_n_buffers(f.m);
    float *bufs = malloc(nb * sizeof *bufs);
    for (size_t i = 0; i < pl->n_nodes; i++) {
        const struct l2d_node *d = &pl->nodes[i];
        if (d->kind != L2D_NODE_BN) continue;
        for (size_t c = 0; c < d->c; c++) {
            f.p[d->p_off + c] = (float)(1.0 + 0.3 * l2d_rng_normal(&rng));
            f.p[d->p_off + d->c + c] = (float)(0.2 * l2d_rng_normal(&rng));
            bufs[d->b_off + c] = (float)(0.2 * l2d_rng_normal(&rng));
            bufs[d->b_off + d->c + c] = (float)(0.5 + l2d_rng_uniform(&rng));
        }
    }
    l2d_model_set_buffers_host(f.m, bufs, &err);
    l2d_model_train_mode(f.m, train, &err);
    int rc = model_loss(&f) != model_loss(&f) ? -1 : 0; /* not NaN */
    l2d_model_zero_grad(f.m);
    rc |= l2d_model_backward(f.m, f.r, B, gx, 1, &err);
    rc |= l2d_model_get_grads_host(f.m, gp, &err);
    if (tap_ok(rc == 0, "%s (%s mode): forward and backward %s", what, train ? "training" : "evaluation",
               err.msg)) {
        char w2[160];
        snprintf(w2, sizeof w2, "%s (%s mode), input", what, train ? "training" : "evaluation");
        fd_check(w2, f.x, gx, B * f.in, model_loss, &f);
        snprintf(w2, sizeof w2, "%s (%s mode), parameters", what, train ? "training" : "evaluation");
        fd_check(w2, f.p, gp, f.np, model_loss, &f);
    }
    free(bufs), free(f.x), free(f.y), free(f.r), free(f.p), free(gp), free(gx);
    l2d_model_destroy(f.m);
}

/* PyTorch's default initialisation: Conv2d and Linear weights (and Linear
 * biases) uniform within 1/sqrt(fan_in), BatchNorm 1 and 0, buffers 0 and 1;
 * draws in node order, one per drawn parameter. */
static void init_stats(void)
{
    struct l2d_arch a = resnet(3, 8, 8, 5, 16);
    struct l2d_model *m = NULL, *m2 = NULL;
    struct l2d_error err = {0, ""};
    struct l2d_rng r1, r2, r3;
    l2d_rng_seed(&r1, 42);
    l2d_rng_seed(&r2, 42);
    l2d_rng_seed(&r3, 42);
    int rc = l2d_model_create(&m, &a, -1, &r1, &err) | l2d_model_create(&m2, &a, -1, &r2, &err);
    if (!tap_ok(rc == 0, "init: ResNet-4 3x8x8 -> 5, width 16 %s", err.msg)) return;
    size_t np = l2d_model_n_params(m), nb = l2d_model_n_buffers(m);
    /* stem 16*3*9, BN 32, conv 16*16*9 twice, BN 32 twice, head 5*16 + 5 */
    tap_ok(np == 432 + 32 + 2 * 2304 + 64 + 85 && nb == 96, "ResNet-4: %zu parameters, %zu buffers",
           np, nb);
    float *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q), *b = malloc(nb * sizeof *b);
    l2d_model_get_params_host(m, p, &err);
    l2d_model_get_params_host(m2, q, &err);
    l2d_model_get_buffers_host(m, b, &err);
    tap_ok(!memcmp(p, q, np * sizeof *p), "init: one seed, the same parameters");
    size_t draws = 0;
    const struct l2d_cnet_plan *pl = m->plan;
    for (size_t i = 0; i < pl->n_nodes; i++) {
        const struct l2d_node *d = &pl->nodes[i];
        const float *w = p + d->p_off;
        if (d->kind == L2D_NODE_CONV || d->kind == L2D_NODE_LINEAR) {
            size_t fan = d->kind == L2D_NODE_CONV ? d->conv.ci * 9 : l2d_cnet_act_size(pl, d->src);
            double bound = 1.0 / sqrt((double)fan), mx = 0, mean = 0, sq = 0;
            for (size_t k = 0; k < d->n_p; k++) {
                mx = fmax(mx, fabs(w[k]));
                mean += w[k];
                sq += (double)w[k] * w[k];
            }
            mean /= (double)d->n_p;
            sq /= (double)d->n_p;
            /* uniform(-b, b): variance b^2 / 3; the sample's within 20% for
             * these counts (85 to 2304 values) */
            tap_ok(mx <= bound && mx > 0.8 * bound && fabs(mean) < 0.25 * bound &&
                       fabs(sq / (bound * bound / 3.0) - 1.0) < 0.3,
                   "init: layer %zu (%s) within +-1/sqrt(%zu) = %.4f: max %.4f, mean %.4f, "
                   "var/(b^2/3) %.3f",
                   i, d->kind == L2D_NODE_CONV ? "conv" : "linear", fan, bound, mx, mean,
                   sq / (bound * bound / 3.0));
            draws += d->n_p;
        } else if (d->kind == L2D_NODE_BN) {
            int ok = 1;
            for (size_t c = 0; c < d->c; c++)
                ok &= w[c] == 1.0f && w[d->c + c] == 0.0f && b[d->b_off + c] == 0.0f &&
                      b[d->b_off + d->c + c] == 1.0f;
            tap_ok(ok, "init: batch norm %zu weight 1, bias 0, running mean 0, var 1", i);
        }
    }
    for (size_t k = 0; k < draws; k++) l2d_rng_uniform(&r3);
    tap_ok(l2d_rng_u64(&r1) == l2d_rng_u64(&r3),
           "init: %zu draws from the caller's rng, one per conv/linear parameter", draws);
    free(p), free(q), free(b);
    l2d_model_destroy(m);
    l2d_model_destroy(m2);
}

/* Training vs evaluation mode; buffers through snapshot/restore, get/set
 * and an optimiser step. */
static void modes_and_buffers(void)
{
    const size_t ch[2] = {3, 4}, B = 4;
    struct l2d_arch a = cnn(2, 6, 5, 3, 2, ch);
    struct l2d_model *m = NULL;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 7);
    if (!tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == 0, "CNN 2x6x5, channels 3, 4 %s",
                err.msg))
        return;
    /* 6x5 -> 3x2 -> 1x1; head 4 -> 3 */
    size_t np = l2d_model_n_params(m), nb = l2d_model_n_buffers(m), in = l2d_model_in(m);
    tap_ok(in == 60 && np == 54 + 6 + 108 + 8 + 15 && nb == 14,
           "CNN: in %zu, %zu parameters, %zu buffers", in, np, nb);
    tap_ok(!l2d_model_is_training(m), "a new model is in evaluation mode");
    float x[4 * 60], y1[12], y2[12], y3[12], b0[14], b1[14], b2[14];
    float p0[200], p1[200];
    randn(&rng, x, B * in, 1.0);
    l2d_model_get_buffers_host(m, b0, &err);
    int rc = l2d_model_forward(m, x, B, y1, &err) | l2d_model_forward(m, x, B, y2, &err);
    l2d_model_get_buffers_host(m, b1, &err);
    tap_ok(rc == 0 && !memcmp(y1, y2, sizeof y1) && !memcmp(b0, b1, sizeof b0),
           "evaluation mode: the same output twice, buffers untouched");
    /* evaluation mode: a row's score does not depend on the batch */
    rc = l2d_model_forward(m, x, 1, y3, &err);
    tap_ok(rc == 0 && !memcmp(y3, y1, 3 * sizeof *y3), "evaluation mode: row 0 alone = in a batch");

    l2d_model_train_mode(m, 1, &err);
    tap_ok(l2d_model_is_training(m), "training mode on");
    rc = l2d_model_forward(m, x, B, y2, &err);
    l2d_model_get_buffers_host(m, b1, &err);
    int moved = 0;
    for (size_t i = 0; i < nb; i++) moved += b1[i] != b0[i];
    tap_ok(rc == 0 && memcmp(y1, y2, sizeof y1) && moved == (int)nb,
           "training mode: batch statistics (other scores), every running statistic moved (%d)",
           moved);
    rc = l2d_model_forward(m, x, 2, y3, &err);
    tap_ok(rc == 0 && memcmp(y3, y2, 3 * sizeof *y3),
           "training mode: row 0's score depends on the batch");

    /* snapshot covers the buffers */
    l2d_model_get_params_host(m, p0, &err);
    l2d_model_get_buffers_host(m, b1, &err);
    rc = l2d_model_snapshot(m, &err);
    rc |= l2d_model_optim_init(m, L2D_OPT_ADAM, 0.0, &err);
    float dy[12];
    randn(&rng, dy, 12, 1.0);
    rc |= l2d_model_forward(m, x, B, y2, &err);
    l2d_model_zero_grad(m);
    rc |= l2d_model_backward(m, dy, B, NULL, 1, &err);
    l2d_model_get_buffers_host(m, b2, &err);
    rc |= l2d_model_step(m, 0.01, &err);
    l2d_model_get_params_host(m, p1, &err);
    l2d_model_get_buffers_host(m, b0, &err);
    tap_ok(rc == 0 && memcmp(p0, p1, np * sizeof *p0) && !memcmp(b0, b2, sizeof b0),
           "an optimiser step moves parameters, not buffers");
    rc = l2d_model_restore(m, &err);
    l2d_model_get_params_host(m, p1, &err);
    l2d_model_get_buffers_host(m, b0, &err);
    tap_ok(rc == 0 && !memcmp(p0, p1, np * sizeof *p0) && !memcmp(b0, b1, sizeof b0),
           "restore puts back parameters and running statistics");
    /* set/get buffers */
    for (size_t i = 0; i < nb; i++) b2[i] = (float)(i % 2 ? 2.0 + i : 0.1 * i);
    rc = l2d_model_set_buffers_host(m, b2, &err);
    l2d_model_get_buffers_host(m, b0, &err);
    tap_ok(rc == 0 && !memcmp(b0, b2, sizeof b0), "buffers to and from the host");
    l2d_model_train_mode(m, 0, &err);
    rc = l2d_model_forward(m, x, B, y2, &err);
    tap_ok(rc == 0 && memcmp(y1, y2, sizeof y1), "evaluation mode reads the running statistics set");
    /* the plugin context: no MLP view of a CNN */
    struct l2d_model_ctx ctx;
    struct l2d_mlp_view view;
    l2d_model_ctx_init(&ctx, &view, m, NULL, NULL);
    tap_ok(ctx.mlp == NULL && ctx.dim == in && ctx.n_agents == 3,
           "plugin context: dim %zu, no MLP view of a CNN", ctx.dim);
    l2d_model_destroy(m);
}

static void mlp_unchanged(void)
{
    const size_t hid[1] = {5};
    struct l2d_arch a = {.kind = L2D_ARCH_MLP, .in = 4, .out = 2, .n_hidden = 1, .hidden = hid};
    struct l2d_model *m = NULL;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 3);
    if (l2d_model_create(&m, &a, -1, &rng, &err)) return;
    float x[12], y1[6], y2[6], b;
    randn(&rng, x, 12, 1.0);
    int rc = l2d_model_forward(m, x, 3, y1, &err);
    rc |= l2d_model_train_mode(m, 1, &err);
    rc |= l2d_model_forward(m, x, 3, y2, &err);
    tap_ok(rc == 0 && !memcmp(y1, y2, sizeof y1) && l2d_model_n_buffers(m) == 0 &&
               l2d_model_get_buffers_host(m, &b, &err) == 0,
           "MLP: no buffers, training mode changes no bit");
    l2d_model_destroy(m);
}

static void errors(void)
{
    struct l2d_model *m = NULL;
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 1);
    const size_t ch3[3] = {2, 2, 2}, ch0[1] = {0};
    struct l2d_arch a = cnn(1, 4, 4, 2, 3, ch3);
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL && !m,
           "CNN: 4x4 too small for 3 halvings: %s", err.msg);
    a = cnn(1, 4, 4, 2, 1, ch0);
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL, "CNN: 0 channels: %s", err.msg);
    a = cnn(1, 4, 4, 2, 0, NULL);
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL, "CNN: no stages: %s", err.msg);
    a = resnet(0, 4, 4, 2, 3);
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL, "ResNet-4: no channels in: %s",
           err.msg);
    a = resnet(1, 4, 4, 2, 0);
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL, "ResNet-4: width 0: %s", err.msg);
    a = resnet(1, 4, 4, 2, 3);
    a.in = 15;
    tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == L2D_EINVAL, "in != c*h*w: %s", err.msg);
    a = resnet(1, 1, 1, 2, 3);
    float x[1] = {1}, y[2];
    if (tap_ok(l2d_model_create(&m, &a, -1, &rng, &err) == 0, "ResNet-4 on 1x1 images")) {
        l2d_model_train_mode(m, 1, &err);
        tap_ok(l2d_model_forward(m, x, 1, y, &err) == L2D_EINVAL,
               "training mode, one value per channel: %s", err.msg);
        l2d_model_train_mode(m, 0, &err);
        tap_ok(l2d_model_forward(m, x, 1, y, &err) == 0, "evaluation mode takes one row");
        l2d_model_destroy(m);
        m = NULL;
    }
#ifdef L2D_HAVE_CUDA
    /* refused before any device is touched, so this runs without a GPU */
    a = resnet(1, 4, 4, 2, 3);
    int rc = l2d_model_create(&m, &a, 0, &rng, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && !m && strstr(err.msg, "not on the GPU yet"),
           "cuda:0 refuses a ResNet-4: %s", err.msg);
#else
    a = resnet(1, 4, 4, 2, 3);
    int rc = l2d_model_create(&m, &a, 0, &rng, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && !m, "cuda:0 in a build without CUDA: %s", err.msg);
#endif
}

int main(void)
{
    const size_t ch[2] = {2, 3};
    struct l2d_arch c = cnn(2, 5, 4, 3, 2, ch); /* 5x4 -> 2x2 -> 1x1 */
    struct l2d_arch r = resnet(2, 4, 3, 2, 3);
    model_grad("CNN 2x5x4, channels 2, 3 -> 3", &c, 3, 1, 21);
    model_grad("CNN 2x5x4, channels 2, 3 -> 3", &c, 3, 0, 22);
    model_grad("ResNet-4 2x4x3, width 3 -> 2", &r, 3, 1, 23);
    model_grad("ResNet-4 2x4x3, width 3 -> 2", &r, 3, 0, 24);
    init_stats();
    modes_and_buffers();
    mlp_unchanged();
    errors();
    tap_plan(tap_n);
    return tap_done();
}
