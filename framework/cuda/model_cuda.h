/* What the CUDA training loop needs of a CUDA model beyond the backend
 * table (framework/core/model_impl.h): optimiser steps whose scalars come
 * from device memory, so an epoch of steps can be captured once into a CUDA
 * graph and replayed with new learning rates. Not for plugins. */
#ifndef L2D_CUDA_MODEL_CUDA_H
#define L2D_CUDA_MODEL_CUDA_H
#include <stdint.h>

#include "core/model_impl.h"
#include "cuda/kernels.h"

/* The scalars of the optimiser step `ahead` steps after the next one
 * (ahead = 0: the next step) at learning rate lr, as optim.c computes them.
 * Fails unless m is a CUDA model with its optimiser initialised. */
int l2d_cuda_model_step_scalars(struct l2d_model *m, double lr, int64_t ahead,
                                struct l2d_cuda_step_scalars *s, struct l2d_error *err);

/* One optimiser step reading its scalars from device memory ds (filled by
 * the caller from l2d_cuda_model_step_scalars before the step runs). */
int l2d_cuda_model_step_dev(struct l2d_model *m, const struct l2d_cuda_step_scalars *ds,
                            struct l2d_error *err);

/* Make m's device current for this thread (kernels launch on it). */
int l2d_cuda_model_use(struct l2d_model *m, struct l2d_error *err);
#endif
