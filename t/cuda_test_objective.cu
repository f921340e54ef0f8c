/* The test objective of cuda_test_objective.h, on the device and on the
 * host. */
#include <cuda_runtime.h>
#include <math.h>

#include "cuda_test_objective.h"

__host__ __device__ static inline double tobj_add(double a, double b)
{
#ifdef __CUDA_ARCH__
    return __dadd_rn(a, b);
#else
    return a + b;
#endif
}
__host__ __device__ static inline double tobj_mul(double a, double b)
{
#ifdef __CUDA_ARCH__
    return __dmul_rn(a, b);
#else
    return a * b;
#endif
}

__host__ __device__ static inline void tobj_row(const double *q, const double *b, const float *x,
                                                size_t D, double *value, float *grad)
{
    double v = 0.0;
    for (size_t k = 0; k < D; k++) {
        const double xk = x[k];
        v = tobj_add(v, tobj_add(tobj_mul(tobj_mul(0.5, q[k]), tobj_mul(xk, xk)),
                                 tobj_mul(b[k], xk)));
        if (grad) grad[k] = (float)tobj_add(tobj_mul(q[k], xk), b[k]);
    }
    *value = v;
}

__global__ void tobj_kernel(const double *q, const double *b, const float *x, size_t B, size_t D,
                            double *value, float *grad)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < B) tobj_row(q, b + i * D, x + i * D, D, &value[i], grad ? grad + i * D : NULL);
}

static int tobj_device(void *self, const float *x, size_t B, double *value, float *grad,
                       struct l2d_error *err)
{
    struct tobj *t = (struct tobj *)self;
    t->calls++;
    if (B != t->B) return l2d_seterr(err, L2D_EINVAL, "test objective: %zu rows, not %zu", B, t->B);
    tobj_kernel<<<(unsigned)((B + 127) / 128), 128, 0, (cudaStream_t)t->obj.stream>>>(
        t->q, t->b, x, B, t->obj.dim, value, grad);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : l2d_seterr(err, L2D_EINTERNAL, "test objective: %s",
                                             cudaGetErrorString(e));
}

static int tobj_host(void *self, const float *x, size_t B, double *value, float *grad,
                     struct l2d_error *err)
{
    struct tobj *t = (struct tobj *)self;
    t->calls++;
    if (B != t->B) return l2d_seterr(err, L2D_EINVAL, "test objective: %zu rows, not %zu", B, t->B);
    const size_t D = t->obj.dim;
    for (size_t i = 0; i < B; i++)
        tobj_row(t->q, t->b + i * D, x + i * D, D, &value[i], grad ? grad + i * D : NULL);
    return 0;
}

extern "C" void tobj_init_device(struct tobj *t)
{
    t->obj.self = t;
    t->obj.value_grad = tobj_device;
}

extern "C" void tobj_init_host(struct tobj *t)
{
    t->obj.self = t;
    t->obj.value_grad = tobj_host;
}
