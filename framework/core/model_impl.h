/* Behind l2d/model.h: what a backend provides. model.c holds the handle
 * and dispatches; model_cpu.c (framework/core) and model_cuda.c
 * (framework/cuda) are the backends. Not for plugins. */
#ifndef L2D_CORE_MODEL_IMPL_H
#define L2D_CORE_MODEL_IMPL_H
#include <stddef.h>

#include "l2d/model.h"

/* C linkage for model_cuda.cu too: model.c finds the CUDA backend by its C
 * name, and a C++-mangled one would leave it missing. */
#ifdef __cplusplus
extern "C" {
#endif

struct l2d_model_backend {
    const char *name; /* "cpu", "cuda" */
    /* init parameters: host[n_params] already drawn (struct l2d_mlp_view's layout).
     * On failure create frees what it allocated: destroy is not called. */
    int (*create)(struct l2d_model *m, const float *init, struct l2d_error *err);
    void (*destroy)(struct l2d_model *m);
    int (*forward)(struct l2d_model *m, const float *x, size_t B, float *y, struct l2d_error *err);
    /* L2D_EINVAL unless B is the row count of the last successful forward */
    int (*backward)(struct l2d_model *m, const float *dy, size_t B, float *dx, int accumulate,
                    struct l2d_error *err);
    void (*zero_grad)(struct l2d_model *m);
    int (*optim_init)(struct l2d_model *m, enum l2d_optim_kind kind, double weight_decay,
                      struct l2d_error *err);
    int (*step)(struct l2d_model *m, double lr, struct l2d_error *err);
    int (*snapshot)(struct l2d_model *m, struct l2d_error *err);
    int (*restore)(struct l2d_model *m, struct l2d_error *err);
    int (*get_params_host)(struct l2d_model *m, float *host, struct l2d_error *err);
    int (*set_params_host)(struct l2d_model *m, const float *host, struct l2d_error *err);
    int (*get_grads_host)(struct l2d_model *m, float *host, struct l2d_error *err);
    /* params/grads where the model lives (struct l2d_mlp_view's layout) */
    float *(*params)(struct l2d_model *m);
    float *(*grads)(struct l2d_model *m);
    /* forward on host arrays whatever the device (copies and synchronises
     * on a GPU): for evaluation code that works on host splits */
    int (*forward_host)(struct l2d_model *m, const float *x, size_t B, float *y,
                        struct l2d_error *err);
    /* Added for convolutional models; NULL in a backend without them (an
     * MLP has no mode and no buffers). */
    void (*train_mode)(struct l2d_model *m, int on);
    int (*get_buffers_host)(struct l2d_model *m, float *host, struct l2d_error *err);
    int (*set_buffers_host)(struct l2d_model *m, const float *host, struct l2d_error *err);
};

struct l2d_cnet_plan;

struct l2d_model {
    const struct l2d_model_backend *be;
    int device;             /* -1: CPU */
    size_t in, out, n_params;
    size_t n_layers;        /* MLP: n_hidden + 1 (0 for the other kinds) */
    size_t *dims;           /* MLP: n_layers + 1 (NULL for the other kinds) */
    enum l2d_arch_kind kind;
    struct l2d_cnet_plan *plan; /* CNN, ResNet-4: layers and offsets (core/convnet.h) */
    size_t n_buffers;       /* BatchNorm running statistics (0 for an MLP) */
    int training;           /* l2d_model_train_mode */
    void *stream;           /* cudaStream_t or NULL */
    void *impl;             /* the backend's own state */
};

extern const struct l2d_model_backend l2d_model_backend_cpu;
#ifdef L2D_HAVE_CUDA
extern const struct l2d_model_backend l2d_model_backend_cuda;
#endif

/* The model seen by plugins (struct l2d_model_ctx): forward and backward on
 * the model's memory, and its MLP view. view must outlive ctx; NULL leaves
 * ctx->mlp NULL. */
void l2d_model_ctx_init(struct l2d_model_ctx *ctx, struct l2d_mlp_view *view, struct l2d_model *m,
                        const float *lo, const float *hi);

#ifdef __cplusplus
}
#endif
#endif
