// The toy surrogate of t/cuda_toy_surrogate.h: one formula, on the host and
// on the device, so a GPU run can be compared with a CPU one.
#include "config.h"

#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>

#include "cuda_toy_surrogate.h"

__host__ __device__ static double toy_row(const double *s, const double *c, size_t A, double *g,
                                          double scale)
{
    double mx = s[0];
    for (size_t k = 1; k < A; k++) mx = s[k] > mx ? s[k] : mx;
    double z = 0, total = 0;
    for (size_t k = 0; k < A; k++) {
        z += exp(s[k] - mx);
        total += c[k];
    }
    const double lse = mx + log(z);
    double loss = 0, tsum = 0;
    for (size_t j = 0; j < A; j++) {
        double tau = total - c[j];
        loss += tau * (lse - s[j]);
        tsum += tau;
    }
    // d/ds_k = tsum softmax_k - tau_k
    if (g)
        for (size_t k = 0; k < A; k++) g[k] = scale * (tsum * exp(s[k] - lse) - (total - c[k]));
    return loss;
}

static int toy_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                    double *loss, double *grad, struct l2d_error *err)
{
    (void)state;
    (void)err;
    for (size_t i = 0; i < B; i++)
        loss[i] = toy_row(scores + i * A, costs + i * A, A, grad ? grad + i * A : NULL, 1.0);
    return 0;
}

#define AMAX 16

__global__ static void toy_kernel(const float *s, const double *c, long B, long A, double scale,
                                  double *loss, float *grad)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B) return;
    double sd[AMAX], g[AMAX];
    for (long k = 0; k < A; k++) sd[k] = s[i * A + k];
    loss[i] = toy_row(sd, c + i * A, (size_t)A, g, scale);
    if (grad)
        for (long k = 0; k < A; k++) grad[i * A + k] = (float)g[k];
}

static int toy_loss_device(void *state, const float *scores, const double *costs, size_t B,
                           size_t A, double scale, double *loss, float *grad, void *stream,
                           struct l2d_error *err)
{
    (void)state;
    if (A > AMAX) return l2d_seterr(err, L2D_EINVAL, "toy: at most %d agents", AMAX);
    if (B == 0) return 0;
    toy_kernel<<<(unsigned)((B + 63) / 64), 64, 0, (cudaStream_t)stream>>>(
        scores, costs, (long)B, (long)A, scale, loss, grad);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : l2d_seterr(err, L2D_EINTERNAL, "toy: %s", cudaGetErrorString(e));
}

struct toy_state {
    float *scores, *grad; // device scratch, B x A
    size_t cap;
    double *hs, *hc, *hg;  // host scratch
    float *hsf;
    size_t hcap;
};

extern "C" void *toy_state_new(void) { return calloc(1, sizeof(struct toy_state)); }
extern "C" void toy_state_free(void *state)
{
    struct toy_state *t = (struct toy_state *)state;
    if (!t) return;
    cudaFree(t->scores);
    cudaFree(t->grad);
    free(t->hs);
    free(t->hc);
    free(t->hg);
    free(t->hsf);
    free(t);
}

// Through the model context, on the device: forward, loss with scale 1/B,
// backward. Scratch grows on a call with a larger B (the first call is the
// largest, outside any capture).
static int toy_train_batch_device(void *state, const struct l2d_model_ctx *model,
                                  const struct l2d_attack_handle *attack, const float *x,
                                  const double *costs, size_t B, double *loss, void *stream,
                                  struct l2d_error *err)
{
    (void)attack;
    struct toy_state *t = (struct toy_state *)state;
    const size_t A = model->n_agents;
    if (model->device < 0) return l2d_seterr(err, L2D_EINVAL, "toy: not a device context");
    if (B > t->cap) {
        cudaFree(t->scores);
        cudaFree(t->grad);
        t->scores = t->grad = NULL;
        t->cap = 0;
        if (cudaMalloc((void **)&t->scores, B * A * sizeof(float)) != cudaSuccess ||
            cudaMalloc((void **)&t->grad, B * A * sizeof(float)) != cudaSuccess)
            return l2d_seterr(err, L2D_ENOMEM, "toy: no device memory");
        t->cap = B;
    }
    int rc = model->forward(model->self, x, B, t->scores, err);
    if (!rc) rc = toy_loss_device(state, t->scores, costs, B, A, 1.0 / (double)B, loss, t->grad,
                                  stream, err);
    if (!rc) rc = model->backward(model->self, x, B, t->grad, NULL, 1, err);
    return rc;
}

// The same on the host (the slow path of a GPU run; a CPU run uses it too).
static int toy_train_batch(void *state, const struct l2d_model_ctx *model,
                           const struct l2d_attack_handle *attack, const float *x,
                           const double *costs, size_t B, double *loss, struct l2d_error *err)
{
    (void)attack;
    struct toy_state *t = (struct toy_state *)state;
    const size_t A = model->n_agents;
    if (B * A > t->hcap) {
        free(t->hs);
        free(t->hg);
        free(t->hsf);
        t->hs = (double *)malloc(B * A * sizeof(double));
        t->hg = (double *)malloc(B * A * sizeof(double));
        t->hsf = (float *)malloc(B * A * sizeof(float));
        t->hcap = t->hs && t->hg && t->hsf ? B * A : 0;
        if (!t->hcap) return l2d_seterr(err, L2D_ENOMEM, "toy: out of memory");
    }
    int rc = model->forward(model->self, x, B, t->hsf, err);
    if (rc) return rc;
    for (size_t k = 0; k < B * A; k++) t->hs[k] = t->hsf[k];
    for (size_t i = 0; i < B; i++)
        loss[i] = toy_row(t->hs + i * A, costs + i * A, A, t->hg + i * A, 1.0 / (double)B);
    for (size_t k = 0; k < B * A; k++) t->hsf[k] = (float)t->hg[k];
    return model->backward(model->self, x, B, t->hsf, NULL, 1, err);
}

static void toy_destroy(void *state) { (void)state; }

extern "C" const struct l2d_surrogate_ops toy_ops_host = {
    offsetof(struct l2d_surrogate_ops, loss_device), NULL, toy_loss, NULL, NULL, toy_destroy,
    NULL, NULL};
extern "C" const struct l2d_surrogate_ops toy_ops_device = {
    sizeof(struct l2d_surrogate_ops), NULL, toy_loss, NULL, NULL, toy_destroy, toy_loss_device,
    NULL};
extern "C" const struct l2d_surrogate_ops toy_ops_device_batch = {
    sizeof(struct l2d_surrogate_ops), NULL, toy_loss, NULL, NULL, toy_destroy, toy_loss_device,
    toy_train_batch_device};
extern "C" const struct l2d_surrogate_ops toy_ops_host_batch = {
    offsetof(struct l2d_surrogate_ops, loss_device), NULL, toy_loss, NULL, toy_train_batch,
    toy_destroy, NULL, NULL};
