/* One model API over the compute backends.
 *
 * A model is an opaque handle built from an architecture on a device
 * (-1: the CPU; N >= 0: cuda:N). Training, validation, metrics, attacks and
 * evaluation see only these calls; the backends (framework/core for the
 * CPU, framework/cuda for CUDA) live behind them.
 *
 * Memory: every array argument below lives where the model does: host
 * memory for a CPU model, device memory of its GPU for a CUDA model (the
 * *_host calls are the exception, as their names say). A CUDA model
 * queues work on its stream (l2d_model_stream) and does not synchronise
 * unless a call says it does, so a sequence of calls can be captured into
 * a CUDA graph.
 *
 * Initialisation is drawn on the host from the caller's RNG, so a model
 * created from the same seed has the same parameters on every backend. */
#ifndef L2D_MODEL_H
#define L2D_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/engine.h"
#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

enum l2d_arch_kind {
    L2D_ARCH_MLP = 1 /* Linear (+ReLU) layers; convolutional kinds come next */
};

struct l2d_arch {
    enum l2d_arch_kind kind;
    size_t in, out;          /* features in, scores out */
    size_t n_hidden;         /* MLP: hidden layer count (0: linear model) */
    const size_t *hidden;    /* MLP: n_hidden sizes */
};

struct l2d_model;

/* Weights He-uniform as PyTorch's nn.Linear, biases +-1/sqrt(fan_in), drawn
 * from rng in layer order (W then b), whatever the device. */
int l2d_model_create(struct l2d_model **m, const struct l2d_arch *arch, int device,
                     struct l2d_rng *rng, struct l2d_error *err);
void l2d_model_destroy(struct l2d_model *m);

size_t l2d_model_in(const struct l2d_model *m);
size_t l2d_model_out(const struct l2d_model *m);
size_t l2d_model_n_params(const struct l2d_model *m);
int l2d_model_device(const struct l2d_model *m);     /* -1: CPU */
void *l2d_model_stream(const struct l2d_model *m);   /* cudaStream_t, or NULL on the CPU */

/* y[B][out] = f(x[B][in]); keeps what backward needs. */
int l2d_model_forward(struct l2d_model *m, const float *x, size_t B, float *y,
                      struct l2d_error *err);
/* The same on host arrays x[B][in], y[B][out], whatever the device (a GPU
 * model copies them over and back, and synchronises): for code that
 * evaluates a model on a split held in host memory. It overwrites what
 * backward would need. */
int l2d_model_forward_host(struct l2d_model *m, const float *x, size_t B, float *y,
                           struct l2d_error *err);
/* Given dy[B][out] for the last forward's B rows: with accumulate,
 * grads += dL/dparams; dx[B][in] = dL/dx when dx != NULL. */
int l2d_model_backward(struct l2d_model *m, const float *dy, size_t B, float *dx,
                       int accumulate, struct l2d_error *err);
void l2d_model_zero_grad(struct l2d_model *m);

/* The optimiser state lives with the model. step: one update at lr with the
 * gradient accumulated since zero_grad (PyTorch's update rules). */
int l2d_model_optim_init(struct l2d_model *m, enum l2d_optim_kind kind, double weight_decay,
                         struct l2d_error *err);
int l2d_model_step(struct l2d_model *m, double lr, struct l2d_error *err);

/* Keep a copy of the parameters (the best epoch so far), and put it back. */
int l2d_model_snapshot(struct l2d_model *m, struct l2d_error *err);
int l2d_model_restore(struct l2d_model *m, struct l2d_error *err);

/* Parameters and gradients to and from host memory (n_params floats in the
 * layout of plugin.h's struct l2d_mlp_view: per layer W[out][in] row-major,
 * then b). These synchronise. */
int l2d_model_get_params_host(struct l2d_model *m, float *host, struct l2d_error *err);
int l2d_model_set_params_host(struct l2d_model *m, const float *host, struct l2d_error *err);
int l2d_model_get_grads_host(struct l2d_model *m, float *host, struct l2d_error *err);

#ifdef __cplusplus
}
#endif
#endif
