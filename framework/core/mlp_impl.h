/* Internals of the MLP shared by mlp.c (layers, GEMM path) and mlp_small.c
 * (the small-model path); not for other users. */
#ifndef L2D_CORE_MLP_IMPL_H
#define L2D_CORE_MLP_IMPL_H
#include <stddef.h>

#include "core/mlp.h"

/* Where layer l's W starts in params (its b follows W). */
static inline size_t l2d_mlp_layer_offset(const struct l2d_mlp *m, size_t l)
{
    size_t off = 0;
    for (size_t i = 0; i < l; i++) off += m->dims[i + 1] * m->dims[i] + m->dims[i + 1];
    return off;
}

/* The widest layer (inputs and outputs included). */
static inline size_t l2d_mlp_max_dim(const struct l2d_mlp *m)
{
    size_t d = 0;
    for (size_t l = 0; l <= m->n_layers; l++)
        if (m->dims[l] > d) d = m->dims[l];
    return d;
}

/* Whether m takes the small path (small enough, the CPU has AVX2 and FMA,
 * and the CPU path is auto or small); when it does, forward and backward go through the two below. */
int l2d_mlp_small_fits(const struct l2d_mlp *m);
/* act[1..] of B rows; act[0] already holds the input. */
void l2d_mlp_small_forward(struct l2d_mlp *m, size_t B);
/* dx (when not NULL) and, with accumulate, grads += the parameter gradient
 * of the last forward's B rows given dy. */
int l2d_mlp_small_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx,
                           int accumulate, struct l2d_error *err);
#endif
