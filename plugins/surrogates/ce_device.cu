/* ce's loss_device: the comp-sum family of l2d/compsum.h, one thread per
 * row, the very arithmetic of the host op (double inside; float scores in
 * and float gradient out, as the device model keeps them). */
#include <math.h>

#include "../cuda_util.cuh"
#include "l2d/compsum.h"
#include "surrogates_device.h"

__global__ void ce_loss_kernel(const float *scores, const double *costs, size_t B, int A,
                               double nu, double scale, double *loss, float *grad)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    double r[L2D_SURROGATE_DEVICE_MAX_A], g[L2D_SURROGATE_DEVICE_MAX_A];
    for (int k = 0; k < A; k++) r[k] = scores[i * A + k];
    double v;
    if (l2d_compsum_row(r, costs + i * A, (size_t)A, nu, -1, &v, grad ? g : NULL)) {
        loss[i] = NAN;
        if (grad)
            for (int k = 0; k < A; k++) grad[i * A + k] = NAN;
        return;
    }
    loss[i] = v;
    if (grad)
        for (int k = 0; k < A; k++) grad[i * A + k] = (float)(scale * g[k]);
}

extern "C" int l2d_ce_loss_device(double nu, const float *scores, const double *costs, size_t B,
                                  size_t A, double scale, double *loss, float *grad, void *stream,
                                  struct l2d_error *err)
{
    if (A < 2) return l2d_seterr(err, L2D_EINVAL, "ce: need at least 2 agents, got %zu", A);
    if (A > L2D_SURROGATE_DEVICE_MAX_A)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "ce: loss_device takes at most %d agents, got %zu",
                          L2D_SURROGATE_DEVICE_MAX_A, A);
    if (B == 0) return 0;
    const unsigned T = 128;
    ce_loss_kernel<<<l2d_cu_blocks(B, T), T, 0, (cudaStream_t)stream>>>(scores, costs, B, (int)A,
                                                                         nu, scale, loss, grad);
    return l2d_cu_launched(err, "ce", "loss kernel");
}
