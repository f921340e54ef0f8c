// A kernel that proves the library's device code loads and runs: y = a x + y
// on a few thousand floats, checked against the same sum on the host.
#include "config.h"

#include <cuda_runtime.h>
#include <math.h>

#include "l2d/device.h"

__global__ static void axpy(int n, float a, const float *x, float *y)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}

#define CK(call)                                                                           \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess) {                                                           \
            rc = l2d_seterr(err, L2D_EINTERNAL, "cuda:%d selftest: %s: %s", dev, #call,    \
                            cudaGetErrorString(e_));                                       \
            goto out;                                                                      \
        }                                                                                  \
    } while (0)

extern "C" int l2d_cuda_selftest(int dev, struct l2d_error *err)
{
    enum { N = 4099 };
    static float hx[N], hy[N];
    float *dx = NULL, *dy = NULL;
    int rc = 0;
    for (int i = 0; i < N; i++) {
        hx[i] = (float)(i % 97) * 0.25f;
        hy[i] = (float)(i % 13) - 6.0f;
    }
    CK(cudaSetDevice(dev));
    CK(cudaMalloc(&dx, N * sizeof(float)));
    CK(cudaMalloc(&dy, N * sizeof(float)));
    CK(cudaMemcpy(dx, hx, sizeof hx, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dy, hy, sizeof hy, cudaMemcpyHostToDevice));
    axpy<<<(N + 255) / 256, 256>>>(N, 3.0f, dx, dy);
    CK(cudaGetLastError());
    CK(cudaMemcpy(hy, dy, sizeof hy, cudaMemcpyDeviceToHost));
    for (int i = 0; i < N; i++) {
        float want = 3.0f * ((float)(i % 97) * 0.25f) + ((float)(i % 13) - 6.0f);
        if (hy[i] != want) {
            rc = l2d_seterr(err, L2D_EINTERNAL, "cuda:%d selftest: y[%d] = %g, expected %g", dev,
                            i, hy[i], want);
            break;
        }
    }
out:
    cudaFree(dx);
    cudaFree(dy);
    return rc;
}
