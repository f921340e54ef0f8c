/* Layers of the CPU backend's convolutional models (framework/core/layer_*.c),
 * on host arrays of B samples in NCHW order (a sample is C planes of H x W
 * floats, as the data sets' channel-planar rows).
 *
 * Conventions, for every layer:
 *  - forward writes y;
 *  - backward ADDS the input gradient into dx (dx may be NULL: not wanted),
 *    so a tensor read by two layers (a residual skip) gathers both
 *    gradients; the caller zeroes dx first;
 *  - parameter gradients are added into dW, db, ... (NULL: not wanted);
 *  - float32 storage and products, double for the sums over the batch and
 *    over a plane (bias, BatchNorm, pooling statistics).
 * Not for plugins. */
#ifndef L2D_CORE_LAYERS_H
#define L2D_CORE_LAYERS_H
#include <stddef.h>
#include <stdint.h>

/* ---- Conv2d (layer_conv.c): im2col + OpenBLAS sgemm -------------------- */
struct l2d_conv_shape {
    size_t ci, h, w;      /* input */
    size_t co, k;         /* output channels, square kernel */
    size_t stride, pad;   /* zero padding on every side */
    size_t ho, wo;        /* output: (h + 2 pad - k) / stride + 1 */
};
/* Fills ho, wo; -1 when the kernel does not fit or a size is 0 or too
 * large for the int sizes of cblas. */
int l2d_conv_shape_init(struct l2d_conv_shape *s, size_t ci, size_t h, size_t w, size_t co,
                        size_t k, size_t stride, size_t pad);
/* Floats of the col scratch (one sample's im2col matrix). */
size_t l2d_conv_col_size(const struct l2d_conv_shape *s);
/* y[B][co][ho][wo] = W[co][ci][k][k] * x + b (b may be NULL: no bias). */
void l2d_conv_forward(const struct l2d_conv_shape *s, const float *x, size_t B, const float *W,
                      const float *b, float *y, float *col);
/* dW += dy * x (float sgemm over samples), db += sum dy (double),
 * dx += W^T dy (col2im). */
void l2d_conv_backward(const struct l2d_conv_shape *s, const float *x, size_t B, const float *W,
                       const float *dy, float *dW, float *db, float *dx, float *col);

/* ---- BatchNorm2d (layer_bn.c) ----------------------------------------- */
#define L2D_BN_MOMENTUM 0.1
#define L2D_BN_EPS 1e-5
/* Training mode: normalise with the batch's mean and biased variance over
 * B * HW values per channel, save them (mean[C], invstd[C]) for backward
 * and update the running statistics (momentum 0.1; the variance unbiased,
 * B * HW / (B * HW - 1), as PyTorch). -1 when B * HW < 2 (PyTorch refuses
 * that too: the unbiased variance is undefined). */
int l2d_bn_forward_train(size_t C, size_t HW, size_t B, const float *x, const float *gamma,
                         const float *beta, float *y, float *run_mean, float *run_var,
                         double *mean, double *invstd);
/* Evaluation mode: the running statistics, nothing updated; mean and invstd
 * (when not NULL) get the values used, for backward. */
void l2d_bn_forward_eval(size_t C, size_t HW, size_t B, const float *x, const float *gamma,
                         const float *beta, const float *run_mean, const float *run_var, float *y,
                         double *mean, double *invstd);
/* Backward of either mode, with the forward's mean and invstd; train != 0:
 * through the batch statistics too. */
void l2d_bn_backward(size_t C, size_t HW, size_t B, int train, const float *x, const float *gamma,
                     const double *mean, const double *invstd, const float *dy, float *dgamma,
                     float *dbeta, float *dx);

/* ---- pooling (layer_pool.c) ------------------------------------------- */
/* Max pooling, kernel k, stride s, no padding (PyTorch's default, floor):
 * ho = (h - k) / s + 1. arg[B][C][ho][wo] keeps the index in the plane of
 * the first maximum (a NaN wins, and passes on), for backward. */
int l2d_maxpool_out(size_t h, size_t k, size_t s, size_t *ho);
void l2d_maxpool_forward(size_t C, size_t h, size_t w, size_t k, size_t s, const float *x, size_t B,
                         float *y, uint32_t *arg);
void l2d_maxpool_backward(size_t C, size_t h, size_t w, size_t k, size_t s, size_t B,
                          const uint32_t *arg, const float *dy, float *dx);
/* Global average pooling: y[B][C] = mean over the HW values of a plane. */
void l2d_gap_forward(size_t C, size_t HW, const float *x, size_t B, float *y);
void l2d_gap_backward(size_t C, size_t HW, size_t B, const float *dy, float *dx);

/* ---- element-wise and the head (layer_elem.c, layer_linear.c) ---------- */
/* y = max(x, 0) (a NaN passes on); backward: dx += dy where y > 0. */
void l2d_relu_forward(const float *x, size_t n, float *y);
void l2d_relu_backward(const float *y, size_t n, const float *dy, float *dx);
/* Residual add: y = a + b; backward: da += dy, db += dy. */
void l2d_add_forward(const float *a, const float *b, size_t n, float *y);
void l2d_add_backward(size_t n, const float *dy, float *da, float *db);
/* Flatten: NCHW samples are already c*h*w contiguous floats, so flatten is
 * a copy forward and an add backward. */
void l2d_flatten_forward(const float *x, size_t n, float *y);
void l2d_flatten_backward(size_t n, const float *dy, float *dx);
/* Linear: y[B][out] = x[B][in] W[out][in]^T + b; backward: dW += dy^T x
 * (sgemm), db += sum dy (double), dx += dy W. */
void l2d_linear_forward(size_t in, size_t out, const float *x, size_t B, const float *W,
                        const float *b, float *y);
void l2d_linear_backward(size_t in, size_t out, const float *x, size_t B, const float *W,
                         const float *dy, float *dW, float *db, float *dx);
#endif
