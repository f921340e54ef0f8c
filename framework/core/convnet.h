/* Convolutional models (L2D_ARCH_CNN, L2D_ARCH_RESNET4) as a list of nodes
 * over activations: node i reads act[src] (and act[src2] for the residual
 * add) and writes act[i + 1]; act[0] is the input. The plan (shapes,
 * parameter and buffer offsets) is the backends' common description and
 * model.c's for drawing the initial parameters; struct l2d_cnet is the CPU
 * backend's runtime (framework/core/convnet.c). Not for plugins. */
#ifndef L2D_CORE_CONVNET_H
#define L2D_CORE_CONVNET_H
#include <stddef.h>
#include <stdint.h>

#include "core/layers.h"
#include "l2d/model.h"

enum l2d_node_kind {
    L2D_NODE_CONV = 1,
    L2D_NODE_BN,
    L2D_NODE_RELU,
    L2D_NODE_MAXPOOL,
    L2D_NODE_GAP,
    L2D_NODE_ADD,
    L2D_NODE_FLATTEN,
    L2D_NODE_LINEAR
};

struct l2d_node {
    enum l2d_node_kind kind;
    size_t src, src2;      /* activations read (src2: ADD only) */
    size_t c, h, w;        /* output shape per sample (LINEAR, FLATTEN: c = features, h = w = 1) */
    size_t k, stride;      /* MAXPOOL */
    struct l2d_conv_shape conv; /* CONV */
    size_t p_off, n_p;     /* parameters: CONV W; BN gamma, beta; LINEAR W, b */
    size_t b_off;          /* BN: running mean, running var in the buffers */
};

struct l2d_cnet_plan {
    size_t in_c, in_h, in_w, in, out;
    size_t n_nodes;
    struct l2d_node *nodes;
    size_t n_params, n_buffers;
};

/* The plan of a CNN or ResNet-4 arch; L2D_EINVAL with a message on a bad
 * shape. l2d_cnet_plan_free frees the nodes only. */
int l2d_cnet_plan_init(struct l2d_cnet_plan *p, const struct l2d_arch *a, struct l2d_error *err);
void l2d_cnet_plan_free(struct l2d_cnet_plan *p);
/* Activation floats per sample of act[i], i = 0..n_nodes. */
size_t l2d_cnet_act_size(const struct l2d_cnet_plan *p, size_t i);
/* PyTorch's default initialisation, drawn in node order (CONV W; LINEAR W
 * then b; BN: weight 1, bias 0 without draws); buffers: mean 0, var 1. */
void l2d_cnet_draw_init(const struct l2d_cnet_plan *p, struct l2d_rng *rng, float *params);
void l2d_cnet_init_buffers(const struct l2d_cnet_plan *p, float *bufs);

/* ---- the CPU runtime ------------------------------------------------------ */
struct l2d_cnet {
    const struct l2d_cnet_plan *plan; /* not owned */
    float *params, *grads, *bufs;     /* n_params, n_params, n_buffers */
    size_t cap;                       /* rows the activation buffers hold */
    float **act, **dact;              /* n_nodes + 1 each */
    uint32_t **arg;                   /* MAXPOOL nodes' argmax, else NULL */
    double *stat;                     /* per BN node: mean[C], invstd[C], at 2 * b_off */
    float *col;                       /* im2col scratch: the largest conv's */
    int training;                     /* mode for the next forward */
    int fwd_training;                 /* mode of the last forward, for backward */
};

int l2d_cnet_create(struct l2d_cnet **n, const struct l2d_cnet_plan *p, struct l2d_error *err);
void l2d_cnet_destroy(struct l2d_cnet *n);
int l2d_cnet_forward(struct l2d_cnet *n, const float *x, size_t B, float *y,
                     struct l2d_error *err);
/* The last forward's B rows; grads += when accumulate; dx = when not NULL. */
int l2d_cnet_backward(struct l2d_cnet *n, const float *dy, size_t B, float *dx, int accumulate,
                      struct l2d_error *err);
#endif
