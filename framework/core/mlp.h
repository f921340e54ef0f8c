/* The CPU backend's MLP and optimiser state, behind l2d/model.h: only
 * framework/core (mlp.c, mlp_small.c, optim.c, model_cpu.c) and the tests
 * of those internals see these layouts. Everyone else holds a struct
 * l2d_model. */
#ifndef L2D_CORE_MLP_H
#define L2D_CORE_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/engine.h"
#include "l2d/plugin.h"

/* ---- MLP: Linear (+ReLU) layers ------------------------------------------ */
/* in -> hidden[0] -> ... -> hidden[nh-1] -> out, ReLU after each hidden
 * layer, none after the last; nh = 0 is a linear model. Parameters live in
 * one contiguous float buffer (params, grads) so optimisers see one vector.
 * Weights: He-uniform (Kaiming, as PyTorch's nn.Linear), biases uniform
 * +-1/sqrt(fan_in). */
struct l2d_mlp {
    size_t in, out, n_layers;  /* n_layers = nh + 1 */
    size_t *dims;              /* n_layers + 1 entries */
    size_t n_params;
    float *params, *grads;
    /* activations of the last forward, kept for backward */
    size_t cap;                /* rows the buffers hold */
    float **act;               /* act[l][cap][dims[l]], l = 0..n_layers */
    float *dbuf[2];            /* scratch for backward */
};

int l2d_mlp_create(struct l2d_mlp **m, size_t in, const size_t *hidden, size_t nh, size_t out,
                   struct l2d_rng *rng, struct l2d_error *err);
void l2d_mlp_destroy(struct l2d_mlp *m);
/* Weight of layer l (rows = dims[l+1], cols = dims[l]) and its bias. */
float *l2d_mlp_weight(struct l2d_mlp *m, size_t l);
float *l2d_mlp_bias(struct l2d_mlp *m, size_t l);
/* y[B][out] = f(x[B][in]); keeps activations for backward. */
int l2d_mlp_forward(struct l2d_mlp *m, const float *x, size_t B, float *y, struct l2d_error *err);
/* Given dy[B][out] for the last forward: grads += dL/dparams when
 * accumulate != 0; dx[B][in] = dL/dx when dx != NULL. */
int l2d_mlp_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx, int accumulate,
                     struct l2d_error *err);
void l2d_mlp_zero_grad(struct l2d_mlp *m);
int l2d_mlp_copy_params(struct l2d_mlp *dst, const struct l2d_mlp *src); /* same shape */

/* ---- optimisers ----------------------------------------------------------- */
struct l2d_optim {
    enum l2d_optim_kind kind;
    double beta1, beta2, eps, weight_decay; /* Adam: L2 added to grad; AdamW: decoupled */
    size_t n;
    float *m, *v;
    int64_t t;
};
int l2d_optim_init(struct l2d_optim *o, enum l2d_optim_kind kind, size_t n, double weight_decay,
                   struct l2d_error *err);
void l2d_optim_free(struct l2d_optim *o);
/* One step at learning rate lr; the PyTorch update rules exactly. */
void l2d_optim_step(struct l2d_optim *o, float *params, const float *grads, double lr);

#endif
