/* Evaluation of a GPU model on host arrays (see eval_cuda.c). */
#ifndef L2D_CUDA_EVAL_CUDA_H
#define L2D_CUDA_EVAL_CUDA_H
#include <stddef.h>
#include <stdint.h>

#include "core/model_impl.h"
#include "l2d/plugin.h"

/* l2d_rej_attack for a CUDA model m: x[B][dim], c[B][A], lo/hi (may be
 * NULL) and x_adv are host arrays; the attack runs on the device. *slow
 * (may be NULL) is set when the attack had no perturb_device. */
int l2d_cuda_rej_attack_host(const struct l2d_attack_handle *atk, struct l2d_model *m,
                             const float *x, const double *c, size_t B, double nu, int target,
                             const float *lo, const float *hi, uint64_t seed, float *x_adv,
                             int *slow, struct l2d_error *err);
#endif
