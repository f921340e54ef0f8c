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
    L2D_ARCH_MLP = 1,    /* Linear (+ReLU) layers */
    L2D_ARCH_CNN = 2,    /* per entry of channels: conv3x3 (pad 1) - BN - ReLU - maxpool 2;
                          * then a Linear head on the flattened maps */
    L2D_ARCH_RESNET4 = 3 /* conv3x3 stem c -> width + BN + ReLU; one basic residual block
                          * (two conv3x3 width -> width with BN, identity skip, ReLU);
                          * global average pool; Linear head width -> out */
};

/* The fields after `hidden` were added later, at the end, so positional
 * initialisers of the first five ({L2D_ARCH_MLP, in, out, nh, hidden})
 * keep their meaning (designated initialisers keep -Wextra quiet), and an
 * MLP's creation reads no field past `hidden`: code built against the
 * shorter struct passes one that is still read correctly.
 * Convolutional kinds: a row of x is one image, channel-planar (NCHW:
 * in_c planes of in_h x in_w floats); `in` is 0 or in_c * in_h * in_w.
 * Their convolutions have no bias (each is followed by BatchNorm, whose
 * mean subtraction cancels one, as in PyTorch's ResNets). */
struct l2d_arch {
    enum l2d_arch_kind kind;
    size_t in, out;          /* features in, scores out */
    size_t n_hidden;         /* MLP: hidden layer count (0: linear model) */
    const size_t *hidden;    /* MLP: n_hidden sizes */
    size_t in_c, in_h, in_w; /* CNN, ResNet-4: input channels, height, width */
    size_t n_channels;       /* CNN: stage count (>= 1) */
    const size_t *channels;  /* CNN: n_channels output channels, one per stage */
    size_t width;            /* ResNet-4: channels of the stem and the block */
};

struct l2d_model;

/* Weights He-uniform as PyTorch's nn.Linear and nn.Conv2d
 * (kaiming_uniform(a = sqrt 5): +-1/sqrt(fan_in), fan_in = in or
 * c_in * k * k), biases +-1/sqrt(fan_in), drawn from rng in layer order (W
 * then b), whatever the device. BatchNorm: weight 1, bias 0, running mean
 * 0, running variance 1, no draws. A new model is in evaluation mode. */
int l2d_model_create(struct l2d_model **m, const struct l2d_arch *arch, int device,
                     struct l2d_rng *rng, struct l2d_error *err);
void l2d_model_destroy(struct l2d_model *m);

size_t l2d_model_in(const struct l2d_model *m);
size_t l2d_model_out(const struct l2d_model *m);
size_t l2d_model_n_params(const struct l2d_model *m);
/* Buffers: state that is not trained by the optimiser, the BatchNorm
 * running statistics (0 for an MLP). */
size_t l2d_model_n_buffers(const struct l2d_model *m);
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

/* Training mode (on != 0): BatchNorm normalises with the batch's statistics
 * and updates its running averages (PyTorch's momentum 0.1, unbiased
 * variance) at every forward; evaluation mode (on = 0, the default): it uses
 * the running statistics and changes nothing. Attacks and evaluation run in
 * evaluation mode; the training loop sets training mode around its own
 * training steps only. No effect on an MLP. */
int l2d_model_train_mode(struct l2d_model *m, int on, struct l2d_error *err);
int l2d_model_is_training(const struct l2d_model *m);

/* Keep a copy of the parameters and buffers (the best epoch so far), and
 * put it back. */
int l2d_model_snapshot(struct l2d_model *m, struct l2d_error *err);
int l2d_model_restore(struct l2d_model *m, struct l2d_error *err);

/* Parameters and gradients to and from host memory (n_params floats; an MLP
 * in the layout of plugin.h's struct l2d_mlp_view: per layer W[out][in]
 * row-major, then b; the convolutional kinds below). These synchronise. */
int l2d_model_get_params_host(struct l2d_model *m, float *host, struct l2d_error *err);
int l2d_model_set_params_host(struct l2d_model *m, const float *host, struct l2d_error *err);
int l2d_model_get_grads_host(struct l2d_model *m, float *host, struct l2d_error *err);

/* Convolutional kinds: parameters in layer order, per layer
 *   Conv2d     W[c_out][c_in][k][k] (PyTorch's layout; no bias)
 *   BatchNorm  weight[C], bias[C]
 *   Linear     W[out][in] row-major, b[out] (in: flattened c * h * w)
 * and buffers (n_buffers floats), per BatchNorm in layer order,
 *   running_mean[C], running_var[C].
 * Layer order: CNN per stage conv, BN; then the head. ResNet-4: stem conv,
 * BN, block conv1, BN1, conv2, BN2, head. */
int l2d_model_get_buffers_host(struct l2d_model *m, float *host, struct l2d_error *err);
int l2d_model_set_buffers_host(struct l2d_model *m, const float *host, struct l2d_error *err);

#ifdef __cplusplus
}
#endif
#endif
