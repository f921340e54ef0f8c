/* A small MLP on a CUDA device, for the tests of the plugins' device ops
 * (test-only: the real CUDA model backend lives in framework/cuda/). Naive
 * kernels over the ABI's struct l2d_mlp_view layout, a thread per row for
 * the forward and backward passes and a block per parameter, summing rows
 * in a fixed order in double, for the parameter gradient: repeatable to
 * the bit. */
#ifndef L2D_T_CUDA_TEST_MLP_H
#define L2D_T_CUDA_TEST_MLP_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tmlp;

/* dims[n_layers + 1]; params (host, the view's layout) copied to the device.
 * Work goes on stream (a cudaStream_t). max_rows: rows a pass may take
 * (buffers are allocated here, so that passes never allocate). */
int tmlp_create(struct tmlp **m, size_t n_layers, const size_t *dims, const float *params,
                size_t max_rows, void *stream, struct l2d_error *err);
void tmlp_destroy(struct tmlp *m);

/* A device model context over m (device 0); with_view: ctx->mlp is set.
 * lo/hi: device arrays or NULL. */
void tmlp_ctx(struct tmlp *m, struct l2d_model_ctx *ctx, const float *lo, const float *hi,
              int with_view);

size_t tmlp_n_params(const struct tmlp *m);
/* The device's parameter gradient into g[n_params] (synchronises). */
int tmlp_get_grads(struct tmlp *m, float *g, struct l2d_error *err);
int tmlp_zero_grads(struct tmlp *m, struct l2d_error *err);
/* Rows taken through backward, and rows reported through add_passes. */
uint64_t tmlp_backward_rows(const struct tmlp *m);
uint64_t tmlp_added_rows(const struct tmlp *m);
void tmlp_reset_counts(struct tmlp *m);

#ifdef __cplusplus
}
#endif
#endif
