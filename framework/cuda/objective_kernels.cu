// The attack objectives of docs/math.md §5 on the GPU, one thread per
// row, in double as their twin l2d_rej_objective_score (framework/core/
// objectives.c), whose steps this follows one for one: softmax by
// log-sum-exp, tau_j summed explicitly, the zero-weight rule of the
// targeted objective.
#include "config.h"

#include <cuda_runtime.h>
#include <math.h>

#include "kernels.h"

__device__ static void fail(int *st, int code, int batch, long row)
{
    // a flag, not a sum: the first failing row to get here is reported
    if (st && atomicCAS(&st[0], 0, -1) == 0) {
        st[1] = batch;
        st[2] = (int)row;
        __threadfence();
        st[0] = code;
    }
}

__global__ static void rej_objective(const float *s, const double *c, long B, long A, double nu,
                                     int target, double *value, float *ds, int *st, int batch)
{
    const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B) return;
    const float *r = s + i * A;
    const double *ci = c + i * A;
    double mx = -INFINITY;
    for (long k = 0; k < A; k++) {
        if (!isfinite((double)r[k]) || !isfinite(ci[k])) {
            value[i] = NAN;
            fail(st, L2D_CUDA_FAIL_SCORE, batch, i);
            return;
        }
        if ((double)r[k] > mx) mx = r[k];
    }
    double z = 0.0;
    for (long k = 0; k < A; k++) z += exp((double)r[k] - mx);
    const double lse = mx + log(z);
    double v = 0.0, wsum = 0.0;
    if (ds)
        for (long k = 0; k < A; k++) ds[i * A + k] = 0.0f;
    const long j0 = target < 0 ? 0 : target, j1 = target < 0 ? A : j0 + 1;
    double dj_target = 0.0; // the delta_jk term when one j is summed
    for (long j = j0; j < j1; j++) {
        double tau = 0.0;
        for (long q = 0; q < A; q++)
            if (q != j) tau += ci[q];
        if (target >= 0 && tau == 0.0) tau = 1.0;
        const double ls = (double)r[j] - lse;
        v += tau * (nu == 1.0 ? -ls : expm1((nu - 1.0) * ls) / (1.0 - nu));
        const double g = tau * -exp((nu - 1.0) * ls);
        wsum += g;
        if (target >= 0) dj_target = g;
    }
    if (!isfinite(v) || !isfinite(wsum)) {
        value[i] = v;
        fail(st, L2D_CUDA_FAIL_LOSS, batch, i);
        return;
    }
    value[i] = v;
    if (!ds) return;
    // dr[k] = [delta term] - s_k * wsum; the delta term of the untargeted
    // sum is its own g_k, recomputed here rather than stored (A is small)
    for (long k = 0; k < A; k++) {
        double dk;
        if (target >= 0) {
            dk = k == target ? dj_target : 0.0;
        } else {
            double tau = 0.0;
            for (long q = 0; q < A; q++)
                if (q != k) tau += ci[q];
            dk = tau * -exp((nu - 1.0) * ((double)r[k] - lse));
        }
        dk -= exp((double)r[k] - lse) * wsum;
        ds[i * A + k] = (float)dk;
    }
}

extern "C" cudaError_t l2d_cuda_rej_objective(const float *s, const double *c, size_t B, size_t A,
                                              double nu, int target, double *value, float *ds,
                                              int *st, int batch, cudaStream_t stream)
{
    if (B == 0) return cudaSuccess;
    rej_objective<<<(unsigned)((B + 127) / 128), 128, 0, stream>>>(s, c, (long)B, (long)A, nu,
                                                                   target, value, ds, st, batch);
    return cudaGetLastError();
}
