/* rho-margin's loss_device: rho_margin_row.h, one thread per row, the very
 * arithmetic of the host op (double inside, float scores and gradient). */
#include <math.h>

#include "../cuda_util.cuh"
#include "rho_margin_row.h"
#include "surrogates_device.h"

__global__ void rm_loss_kernel(const float *scores, const double *costs, size_t B, int A,
                               double rho, double u, double scale, double *loss, float *grad)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    double r[L2D_SURROGATE_DEVICE_MAX_A], g[L2D_SURROGATE_DEVICE_MAX_A];
    int bad = 0;
    const double *c = costs + i * A;
    for (int k = 0; k < A; k++) {
        r[k] = scores[i * A + k];
        bad |= !isfinite(r[k]) || !(c[k] >= 0.0) || !isfinite(c[k]);
    }
    const double l = bad ? NAN : l2d_rm_row(r, c, (size_t)A, rho, u, grad ? g : NULL);
    loss[i] = isfinite(l) ? l : NAN;
    if (grad)
        for (int k = 0; k < A; k++) grad[i * A + k] = bad ? NAN : (float)(scale * g[k]);
}

extern "C" int l2d_rm_loss_device(double rho, double u, const float *scores, const double *costs,
                                  size_t B, size_t A, double scale, double *loss, float *grad,
                                  void *stream, struct l2d_error *err)
{
    if (A > L2D_SURROGATE_DEVICE_MAX_A)
        return l2d_seterr(err, L2D_EUNSUPPORTED,
                          "rho-margin: loss_device takes at most %d agents, got %zu",
                          L2D_SURROGATE_DEVICE_MAX_A, A);
    if (B == 0 || A == 0) return 0;
    const unsigned T = 128;
    rm_loss_kernel<<<l2d_cu_blocks(B, T), T, 0, (cudaStream_t)stream>>>(scores, costs, B, (int)A,
                                                                         rho, u, scale, loss, grad);
    return l2d_cu_launched(err, "rho-margin", "loss kernel");
}
