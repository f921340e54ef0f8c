/* A toy surrogate for the GPU training tests: the comp-sum loss with
 * nu = 1, loss_i = sum_j tau_ij (-log softmax(s_i)_j), tau_ij = sum_{k != j}
 * c_ik, in double; as host ops (loss, and train_batch through the model
 * context) and as device ops (loss_device, train_batch_device). Built from
 * t/cuda_toy_surrogate.cu into a test-only library. */
#ifndef L2D_T_CUDA_TOY_SURROGATE_H
#define L2D_T_CUDA_TOY_SURROGATE_H
#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif
/* host: loss only (the slow path of a GPU run) */
extern const struct l2d_surrogate_ops toy_ops_host;
/* device: loss and loss_device */
extern const struct l2d_surrogate_ops toy_ops_device;
/* device: loss (validation) and train_batch_device through the context */
extern const struct l2d_surrogate_ops toy_ops_device_batch;
/* host: train_batch through the context (slow path) */
extern const struct l2d_surrogate_ops toy_ops_host_batch;
/* state for the *_batch ops: frees device scratch */
void *toy_state_new(void);
void toy_state_free(void *state);
#ifdef __cplusplus
}
#endif
#endif
