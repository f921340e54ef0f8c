/* Helpers for the GPU tests (t/test_cuda_*.c): a CUDA model filled by
 * hand through the backend table, device buffers, random data and the
 * norm-wise relative error the tests compare with. */
#ifndef L2D_T_CUDA_TEST_UTIL_H
#define L2D_T_CUDA_TEST_UTIL_H
#include "config.h" /* L2D_HAVE_CUDA, for the backend table */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "core/mlp.h"
#include "core/model_impl.h"
#include "l2d/device.h"
#include "l2d/engine.h"
#include "tap.h"

/* Skip the whole test unless there is a CUDA device. */
static void cuda_test_require_device(void)
{
    const char *why = NULL;
    if (l2d_cuda_device_count(&why) == 0) tap_skip_all("no CUDA device");
}

/* A CUDA model on device 0 (through l2d_model_create, as the host makes
 * one) with the layers and parameters of the CPU twin mlp. */
static __attribute__((unused)) struct l2d_model *cuda_test_model(const struct l2d_mlp *mlp,
                                                                 struct l2d_error *err)
{
    struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = mlp->in, .out = mlp->out, .n_hidden = mlp->n_layers - 1, .hidden = mlp->dims + 1};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 1);
    struct l2d_model *m = NULL;
    if (l2d_model_create(&m, &arch, 0, &rng, err)) return NULL;
    if (l2d_model_set_params_host(m, mlp->params, err)) {
        l2d_model_destroy(m);
        return NULL;
    }
    return m;
}

static __attribute__((unused)) void cuda_test_model_free(struct l2d_model *m)
{
    l2d_model_destroy(m);
}

/* Device copy of n floats (or doubles) of host memory; NULL on failure. */
static __attribute__((unused)) void *cuda_test_upload(const void *host, size_t bytes)
{
    void *d = NULL;
    if (cudaMalloc(&d, bytes ? bytes : 1) != cudaSuccess) return NULL;
    /* a copy from pageable memory may still be in flight when cudaMemcpy
     * returns, and the models work on non-blocking streams: wait for it */
    if (bytes && (cudaMemcpy(d, host, bytes, cudaMemcpyHostToDevice) != cudaSuccess ||
                  cudaDeviceSynchronize() != cudaSuccess)) {
        cudaFree(d);
        return NULL;
    }
    return d;
}

static __attribute__((unused)) int cuda_test_download(void *host, const void *dev, size_t bytes)
{
    return cudaDeviceSynchronize() == cudaSuccess &&
           cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
}

static __attribute__((unused)) void cuda_test_randn(struct l2d_rng *r, float *v, size_t n,
                                                    double scale)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)(scale * l2d_rng_normal(r));
}

/* ||got - want||_2 / ||want||_2 (the absolute norm when want is 0); inf
 * when got holds a non-finite value. */
static __attribute__((unused)) double cuda_test_relerr_f(const float *got, const float *want,
                                                         size_t n)
{
    double d = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) return INFINITY;
        double e = (double)got[i] - (double)want[i];
        d += e * e;
        w += (double)want[i] * want[i];
    }
    return w > 0 ? sqrt(d / w) : sqrt(d);
}

static __attribute__((unused)) double cuda_test_relerr_d(const double *got, const double *want,
                                                         size_t n)
{
    double d = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) return INFINITY;
        double e = got[i] - want[i];
        d += e * e;
        w += want[i] * want[i];
    }
    return w > 0 ? sqrt(d / w) : sqrt(d);
}

/* Host bytes into device memory that a model's (non-blocking) stream may
 * still be using: wait for every stream first, and for the copy after. */
static __attribute__((unused)) int cuda_test_write(void *dev, const void *host, size_t bytes)
{
    return cudaDeviceSynchronize() == cudaSuccess &&
           cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice) == cudaSuccess &&
           cudaDeviceSynchronize() == cudaSuccess;
}
#endif
