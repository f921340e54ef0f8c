/* A device objective for the attacks' tests, with its host twin computing
 * the very same numbers: value_i = sum_k (q_k x_ik^2 / 2 + b_ik x_ik),
 * grad_ik = q_k x_ik + b_ik (double inside, without fused multiply-adds,
 * float gradient), so that host and device PGD follow the same path. */
#ifndef L2D_T_CUDA_TEST_OBJECTIVE_H
#define L2D_T_CUDA_TEST_OBJECTIVE_H
#include <stddef.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tobj {
    struct l2d_objective obj; /* first: &t->obj is what an attack gets */
    size_t B;
    const double *q, *b;      /* q[D], b[B][D]: device arrays (host arrays for the twin) */
    int calls;                /* value_grad calls */
};

/* obj.self = t; dim, maximise, lo, hi, device, stream set by the caller. */
void tobj_init_device(struct tobj *t);
void tobj_init_host(struct tobj *t);

#ifdef __cplusplus
}
#endif
#endif
