/* What the CUDA training loop needs of a CUDA model beyond the backend
 * table (framework/core/model_impl.h): optimiser steps whose scalars come
 * from device memory, so an epoch of steps can be captured once into a CUDA
 * graph and replayed with new learning rates. Not for plugins. */
#ifndef L2D_CUDA_MODEL_CUDA_H
#define L2D_CUDA_MODEL_CUDA_H
#include <stdint.h>

#include "core/model_impl.h"
#include "cuda/kernels.h"

/* The scalars of optimiser step number t (1-based, as optim.c counts) at
 * learning rate lr, computed on the host as optim.c computes them. Fails
 * unless m is a CUDA model with its optimiser initialised. */
int l2d_cuda_model_step_scalars(struct l2d_model *m, double lr, int64_t t,
                                struct l2d_cuda_step_scalars *s, struct l2d_error *err);

/* One optimiser step reading its scalars from device memory ds (filled by
 * the caller from l2d_cuda_model_step_scalars before the step runs). It
 * does not count the step (a captured step runs each time its graph is
 * replayed): the caller says how many were taken with _set_steps, so a
 * later l2d_model_step continues from there. */
int l2d_cuda_model_step_dev(struct l2d_model *m, const struct l2d_cuda_step_scalars *ds,
                            struct l2d_error *err);
int l2d_cuda_model_set_steps(struct l2d_model *m, int64_t t, struct l2d_error *err);

/* Make m's device current for this thread (kernels launch on it). */
int l2d_cuda_model_use(struct l2d_model *m, struct l2d_error *err);
#endif
