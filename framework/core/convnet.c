/* Convolutional models: the plan of a CNN or ResNet-4 arch (shared with
 * model.c, which draws the initial parameters from it) and the CPU runtime
 * that runs it through the layers of layers.h.
 *
 * Every node writes its own activation (no in-place ReLU), so backward has
 * each layer's input and output at hand; the gradient of every activation
 * is zeroed and gathered (layers add into dx), which is what a tensor read
 * twice, the residual skip, needs. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/convnet.h"

#define MAX_STAGES 64
#define MAX_CHANNELS 65536

static struct l2d_node *push(struct l2d_cnet_plan *p, enum l2d_node_kind kind, size_t src)
{
    struct l2d_node *n = &p->nodes[p->n_nodes++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->src = src;
    /* shape-preserving kinds keep their input's shape; the others set theirs */
    const struct l2d_node *in = src ? &p->nodes[src - 1] : NULL;
    n->c = in ? in->c : p->in_c;
    n->h = in ? in->h : p->in_h;
    n->w = in ? in->w : p->in_w;
    return n;
}

static int add_conv(struct l2d_cnet_plan *p, size_t co, struct l2d_error *err)
{
    size_t src = p->n_nodes;
    struct l2d_node *n = push(p, L2D_NODE_CONV, src);
    if (l2d_conv_shape_init(&n->conv, n->c, n->h, n->w, co, 3, 1, 1))
        return l2d_seterr(err, L2D_EINVAL, "model: conv layer %zu (%zu -> %zu channels, %zu x %zu) is too large",
                          p->n_nodes, n->c, co, n->h, n->w);
    n->c = co;
    n->h = n->conv.ho;
    n->w = n->conv.wo;
    n->p_off = p->n_params;
    n->n_p = co * n->conv.ci * 9;
    p->n_params += n->n_p;
    return 0;
}

static void add_bn(struct l2d_cnet_plan *p)
{
    struct l2d_node *n = push(p, L2D_NODE_BN, p->n_nodes);
    n->p_off = p->n_params;
    n->n_p = 2 * n->c;
    p->n_params += n->n_p;
    n->b_off = p->n_buffers;
    p->n_buffers += 2 * n->c;
}

static void add_linear(struct l2d_cnet_plan *p, size_t out)
{
    struct l2d_node *n = push(p, L2D_NODE_LINEAR, p->n_nodes);
    size_t in = n->c * n->h * n->w;
    n->c = out;
    n->h = n->w = 1;
    n->p_off = p->n_params;
    n->n_p = out * in + out;
    p->n_params += n->n_p;
}

size_t l2d_cnet_act_size(const struct l2d_cnet_plan *p, size_t i)
{
    if (i == 0) return p->in;
    const struct l2d_node *n = &p->nodes[i - 1];
    return n->c * n->h * n->w;
}

int l2d_cnet_plan_init(struct l2d_cnet_plan *p, const struct l2d_arch *a, struct l2d_error *err)
{
    memset(p, 0, sizeof *p);
    if (!a->in_c || !a->in_h || !a->in_w || !a->out)
        return l2d_seterr(err, L2D_EINVAL,
                          "model: input shape %zu x %zu x %zu and output %zu must be > 0", a->in_c,
                          a->in_h, a->in_w, a->out);
    if (a->in_c > MAX_CHANNELS || a->in_h > 65536 || a->in_w > 65536 ||
        a->in_c * a->in_h > INT_MAX / a->in_w || a->out > INT_MAX)
        return l2d_seterr(err, L2D_EINVAL, "model: input %zu x %zu x %zu or output %zu is too large",
                          a->in_c, a->in_h, a->in_w, a->out);
    p->in_c = a->in_c, p->in_h = a->in_h, p->in_w = a->in_w, p->out = a->out;
    p->in = a->in_c * a->in_h * a->in_w;
    if (a->in && a->in != p->in)
        return l2d_seterr(err, L2D_EINVAL, "model: in = %zu but the input is %zu x %zu x %zu", a->in,
                          a->in_c, a->in_h, a->in_w);
    size_t cap;
    if (a->kind == L2D_ARCH_CNN) {
        if (a->n_channels == 0 || a->n_channels > MAX_STAGES || !a->channels)
            return l2d_seterr(err, L2D_EINVAL, "model: a CNN needs 1 to %d channel counts, got %zu",
                              MAX_STAGES, a->n_channels);
        for (size_t s = 0; s < a->n_channels; s++)
            if (a->channels[s] == 0 || a->channels[s] > MAX_CHANNELS)
                return l2d_seterr(err, L2D_EINVAL, "model: CNN stage %zu has %zu channels", s + 1,
                                  a->channels[s]);
        cap = 4 * a->n_channels + 2;
    } else {
        if (a->width == 0 || a->width > MAX_CHANNELS)
            return l2d_seterr(err, L2D_EINVAL, "model: ResNet-4 width %zu", a->width);
        cap = 12;
    }
    p->nodes = calloc(cap, sizeof *p->nodes);
    if (!p->nodes) return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the layer list");
    int rc = 0;
    if (a->kind == L2D_ARCH_CNN) {
        for (size_t s = 0; s < a->n_channels && !rc; s++) {
            if ((rc = add_conv(p, a->channels[s], err))) break;
            add_bn(p);
            push(p, L2D_NODE_RELU, p->n_nodes);
            struct l2d_node *n = push(p, L2D_NODE_MAXPOOL, p->n_nodes);
            n->k = n->stride = 2;
            if (l2d_maxpool_out(n->h, 2, 2, &n->h) || l2d_maxpool_out(n->w, 2, 2, &n->w))
                rc = l2d_seterr(err, L2D_EINVAL,
                                "model: a %zu x %zu input is too small for %zu CNN stages "
                                "(each halves it)", a->in_h, a->in_w, a->n_channels);
        }
        if (!rc) {
            struct l2d_node *n = push(p, L2D_NODE_FLATTEN, p->n_nodes);
            n->c = n->c * n->h * n->w;
            n->h = n->w = 1;
            add_linear(p, a->out);
        }
    } else {
        if (!(rc = add_conv(p, a->width, err))) {
            add_bn(p);
            size_t skip = p->n_nodes + 1; /* the stem's ReLU output */
            push(p, L2D_NODE_RELU, p->n_nodes);
            if (!(rc = add_conv(p, a->width, err))) {
                add_bn(p);
                push(p, L2D_NODE_RELU, p->n_nodes);
                rc = add_conv(p, a->width, err);
            }
            if (!rc) {
                add_bn(p);
                push(p, L2D_NODE_ADD, p->n_nodes)->src2 = skip;
                push(p, L2D_NODE_RELU, p->n_nodes);
                struct l2d_node *n = push(p, L2D_NODE_GAP, p->n_nodes);
                n->h = n->w = 1;
                add_linear(p, a->out);
            }
        }
    }
    /* 4-byte parameters, and int sizes for the head's GEMM */
    if (!rc && (p->n_params > SIZE_MAX / 8 / sizeof(float) ||
                l2d_cnet_act_size(p, p->n_nodes - 1) > INT_MAX))
        rc = l2d_seterr(err, L2D_EINVAL, "model: %zu parameters is too many", p->n_params);
    if (rc) l2d_cnet_plan_free(p);
    return rc;
}

void l2d_cnet_plan_free(struct l2d_cnet_plan *p)
{
    free(p->nodes);
    p->nodes = NULL;
    p->n_nodes = 0;
}

static void draw(struct l2d_rng *rng, float *p, size_t n, size_t fan_in)
{
    const double bound = 1.0 / sqrt((double)fan_in);
    for (size_t i = 0; i < n; i++) p[i] = (float)((2.0 * l2d_rng_uniform(rng) - 1.0) * bound);
}

void l2d_cnet_draw_init(const struct l2d_cnet_plan *p, struct l2d_rng *rng, float *params)
{
    for (size_t i = 0; i < p->n_nodes; i++) {
        const struct l2d_node *n = &p->nodes[i];
        float *q = params + n->p_off;
        if (n->kind == L2D_NODE_CONV) {
            draw(rng, q, n->n_p, n->conv.ci * n->conv.k * n->conv.k);
        } else if (n->kind == L2D_NODE_LINEAR) {
            /* W and b share the bound and are drawn in one run, as mlp.c's */
            draw(rng, q, n->n_p, l2d_cnet_act_size(p, n->src));
        } else if (n->kind == L2D_NODE_BN) {
            for (size_t c = 0; c < n->c; c++) {
                q[c] = 1.0f;
                q[n->c + c] = 0.0f;
            }
        }
    }
}

void l2d_cnet_init_buffers(const struct l2d_cnet_plan *p, float *bufs)
{
    for (size_t i = 0; i < p->n_nodes; i++) {
        const struct l2d_node *n = &p->nodes[i];
        if (n->kind != L2D_NODE_BN) continue;
        for (size_t c = 0; c < n->c; c++) {
            bufs[n->b_off + c] = 0.0f;
            bufs[n->b_off + n->c + c] = 1.0f;
        }
    }
}

/* ---- the CPU runtime ------------------------------------------------------ */

void l2d_cnet_destroy(struct l2d_cnet *n)
{
    if (!n) return;
    const size_t N = n->plan->n_nodes;
    for (size_t i = 0; i <= N; i++) {
        if (n->act) free(n->act[i]);
        if (n->dact) free(n->dact[i]);
        if (n->arg && i < N) free(n->arg[i]);
    }
    free(n->act);
    free(n->dact);
    free(n->arg);
    free(n->stat);
    free(n->col);
    free(n->params);
    free(n->grads);
    free(n->bufs);
    free(n);
}

int l2d_cnet_create(struct l2d_cnet **out, const struct l2d_cnet_plan *p, struct l2d_error *err)
{
    *out = NULL;
    struct l2d_cnet *n = calloc(1, sizeof *n);
    if (!n) return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the network");
    n->plan = p;
    size_t col = 1;
    for (size_t i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].kind == L2D_NODE_CONV && l2d_conv_col_size(&p->nodes[i].conv) > col)
            col = l2d_conv_col_size(&p->nodes[i].conv);
    n->act = calloc(p->n_nodes + 1, sizeof *n->act);
    n->dact = calloc(p->n_nodes + 1, sizeof *n->dact);
    n->arg = calloc(p->n_nodes, sizeof *n->arg);
    n->stat = calloc(p->n_buffers ? p->n_buffers : 1, sizeof *n->stat);
    n->col = malloc(col * sizeof *n->col);
    n->params = malloc(p->n_params * sizeof *n->params);
    n->grads = calloc(p->n_params, sizeof *n->grads);
    n->bufs = malloc((p->n_buffers ? p->n_buffers : 1) * sizeof *n->bufs);
    if (!n->act || !n->dact || !n->arg || !n->stat || !n->col || !n->params || !n->grads ||
        !n->bufs) {
        l2d_cnet_destroy(n);
        return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the network's %zu parameters",
                          p->n_params);
    }
    l2d_cnet_init_buffers(p, n->bufs);
    *out = n;
    return 0;
}

static int grow(struct l2d_cnet *n, size_t B, struct l2d_error *err)
{
    if (B <= n->cap) return 0;
    const struct l2d_cnet_plan *p = n->plan;
    if (B > INT_MAX) return l2d_seterr(err, L2D_EINVAL, "model: batch of %zu rows is too large", B);
    /* cap moves only once every buffer is big enough; a failed realloc
     * leaves the old, still valid, buffer in place */
    for (size_t i = 0; i <= p->n_nodes; i++) {
        size_t sz = l2d_cnet_act_size(p, i);
        if (sz > SIZE_MAX / sizeof(float) / B)
            return l2d_seterr(err, L2D_EINVAL, "model: batch of %zu rows is too large", B);
        float *q = realloc(n->act[i], B * sz * sizeof *q);
        if (!q) goto oom;
        n->act[i] = q;
        q = realloc(n->dact[i], B * sz * sizeof *q);
        if (!q) goto oom;
        n->dact[i] = q;
        if (i < p->n_nodes && p->nodes[i].kind == L2D_NODE_MAXPOOL) {
            uint32_t *a = realloc(n->arg[i], B * l2d_cnet_act_size(p, i + 1) * sizeof *a);
            if (!a) goto oom;
            n->arg[i] = a;
        }
    }
    n->cap = B;
    return 0;
oom:
    return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate activations for %zu rows", B);
}

int l2d_cnet_forward(struct l2d_cnet *n, const float *x, size_t B, float *y, struct l2d_error *err)
{
    const struct l2d_cnet_plan *p = n->plan;
    if (B == 0) return 0;
    int rc = grow(n, B, err);
    if (rc) return rc;
    memcpy(n->act[0], x, B * p->in * sizeof *x);
    for (size_t i = 0; i < p->n_nodes; i++) {
        const struct l2d_node *d = &p->nodes[i];
        const float *in = n->act[d->src], *P = n->params + d->p_off;
        float *o = n->act[i + 1];
        const size_t insz = l2d_cnet_act_size(p, d->src), osz = l2d_cnet_act_size(p, i + 1);
        switch (d->kind) {
        case L2D_NODE_CONV: l2d_conv_forward(&d->conv, in, B, P, NULL, o, n->col); break;
        case L2D_NODE_BN: {
            const size_t C = d->c, HW = d->h * d->w;
            float *rm = n->bufs + d->b_off, *rv = rm + C;
            double *mean = n->stat + d->b_off, *invstd = mean + C;
            if (!n->training)
                l2d_bn_forward_eval(C, HW, B, in, P, P + C, rm, rv, o, mean, invstd);
            else if (l2d_bn_forward_train(C, HW, B, in, P, P + C, o, rm, rv, mean, invstd))
                return l2d_seterr(err, L2D_EINVAL,
                                  "model forward: batch norm in training mode needs more than "
                                  "one value per channel (%zu rows of %zu x %zu)", B, d->h, d->w);
            break;
        }
        case L2D_NODE_RELU: l2d_relu_forward(in, B * osz, o); break;
        case L2D_NODE_MAXPOOL: {
            const struct l2d_node *s = d->src ? &p->nodes[d->src - 1] : NULL;
            size_t h = s ? s->h : p->in_h, w = s ? s->w : p->in_w;
            l2d_maxpool_forward(d->c, h, w, d->k, d->stride, in, B, o, n->arg[i]);
            break;
        }
        case L2D_NODE_GAP: l2d_gap_forward(d->c, insz / d->c, in, B, o); break;
        case L2D_NODE_ADD: l2d_add_forward(in, n->act[d->src2], B * osz, o); break;
        case L2D_NODE_FLATTEN: l2d_flatten_forward(in, B * osz, o); break;
        case L2D_NODE_LINEAR: l2d_linear_forward(insz, osz, in, B, P, P + osz * insz, o); break;
        }
    }
    n->fwd_training = n->training;
    const float *o = n->act[p->n_nodes];
    for (size_t i = 0; i < B * p->out; i++)
        if (!isfinite(o[i]))
            return l2d_seterr(err, L2D_ENUMERIC,
                              "model forward: non-finite output at row %zu, column %zu",
                              i / p->out, i % p->out);
    memcpy(y, o, B * p->out * sizeof *y);
    return 0;
}

int l2d_cnet_backward(struct l2d_cnet *n, const float *dy, size_t B, float *dx, int accumulate,
                      struct l2d_error *err)
{
    (void)err;
    const struct l2d_cnet_plan *p = n->plan;
    if (B == 0) return 0;
    for (size_t i = 0; i < p->n_nodes; i++)
        memset(n->dact[i], 0, B * l2d_cnet_act_size(p, i) * sizeof(float));
    memcpy(n->dact[p->n_nodes], dy, B * p->out * sizeof *dy);
    for (size_t i = p->n_nodes; i-- > 0;) {
        const struct l2d_node *d = &p->nodes[i];
        const float *in = n->act[d->src], *P = n->params + d->p_off, *g = n->dact[i + 1];
        float *G = accumulate && d->n_p ? n->grads + d->p_off : NULL;
        /* the input's gradient is wanted unless it is the model's input and
         * the caller asked for none */
        float *gin = d->src == 0 && !dx ? NULL : n->dact[d->src];
        const size_t insz = l2d_cnet_act_size(p, d->src), osz = l2d_cnet_act_size(p, i + 1);
        switch (d->kind) {
        case L2D_NODE_CONV: l2d_conv_backward(&d->conv, in, B, P, g, G, NULL, gin, n->col); break;
        case L2D_NODE_BN: {
            const size_t C = d->c;
            const double *mean = n->stat + d->b_off, *invstd = mean + C;
            l2d_bn_backward(C, d->h * d->w, B, n->fwd_training, in, P, mean, invstd, g, G,
                            G ? G + C : NULL, gin);
            break;
        }
        case L2D_NODE_RELU:
            if (gin) l2d_relu_backward(n->act[i + 1], B * osz, g, gin);
            break;
        case L2D_NODE_MAXPOOL: {
            const struct l2d_node *s = d->src ? &p->nodes[d->src - 1] : NULL;
            size_t h = s ? s->h : p->in_h, w = s ? s->w : p->in_w;
            if (gin) l2d_maxpool_backward(d->c, h, w, d->k, d->stride, B, n->arg[i], g, gin);
            break;
        }
        case L2D_NODE_GAP:
            if (gin) l2d_gap_backward(d->c, insz / d->c, B, g, gin);
            break;
        case L2D_NODE_ADD: l2d_add_backward(B * osz, g, gin, n->dact[d->src2]); break;
        case L2D_NODE_FLATTEN:
            if (gin) l2d_flatten_backward(B * osz, g, gin);
            break;
        case L2D_NODE_LINEAR:
            l2d_linear_backward(insz, osz, in, B, P, g, G, G ? G + osz * insz : NULL, gin);
            break;
        }
    }
    if (dx) memcpy(dx, n->dact[0], B * p->in * sizeof *dx);
    return 0;
}
