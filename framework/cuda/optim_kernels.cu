// SGD, Adam and AdamW on the GPU, bit-identical to framework/core/optim.c
// (its twin). The per-element arithmetic is done in double as there, with
// every operation written as a round-to-nearest intrinsic: nvcc would
// otherwise contract a * b + c into one fused multiply-add, which rounds
// once instead of twice and moves the last bit away from the CPU's.
#include "config.h"

#include <cuda_runtime.h>

#include "cuda/kernels.h"
#include "l2d/engine.h"

#define MUL __dmul_rn
#define ADD __dadd_rn
#define SUB __dsub_rn
#define DIV __ddiv_rn

__global__ static void sgd_step(long n, float *p, const float *g, double wd,
                                struct l2d_cuda_step_scalars s,
                                const struct l2d_cuda_step_scalars *ds)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const double lr = ds ? ds->lr : s.lr;
    // p - lr * (g + wd * p)
    double pi = p[i];
    p[i] = (float)SUB(pi, MUL(lr, ADD((double)g[i], MUL(wd, pi))));
}

__global__ static void adam_step(long n, float *p, const float *g, float *m, float *v,
                                 double b1, double b2, double eps, double wd, int decoupled,
                                 struct l2d_cuda_step_scalars s,
                                 const struct l2d_cuda_step_scalars *ds)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const struct l2d_cuda_step_scalars sc = ds ? *ds : s;
    double pi = p[i], gi = g[i];
    if (decoupled)
        pi = MUL(pi, SUB(1.0, MUL(sc.lr, wd)));
    else
        gi = ADD(gi, MUL(wd, pi));
    // m = b1 m + (1 - b1) g;  v = b2 v + ((1 - b2) g) g
    double mi = ADD(MUL(b1, (double)m[i]), MUL(SUB(1.0, b1), gi));
    double vi = ADD(MUL(b2, (double)v[i]), MUL(MUL(SUB(1.0, b2), gi), gi));
    m[i] = (float)mi;
    v[i] = (float)vi;
    // p -= step_size m / (sqrt(v) / bc2_sqrt + eps)
    double den = ADD(DIV(__dsqrt_rn(vi), sc.bc2_sqrt), eps);
    p[i] = (float)SUB(pi, DIV(MUL(sc.step_size, mi), den));
}

extern "C" cudaError_t l2d_cuda_optim_step(int kind, size_t n, float *params, const float *grads,
                                           float *m, float *v, double beta1, double beta2,
                                           double eps, double weight_decay,
                                           struct l2d_cuda_step_scalars s,
                                           const struct l2d_cuda_step_scalars *ds,
                                           cudaStream_t stream)
{
    if (n == 0) return cudaSuccess;
    const unsigned threads = 256, blocks = (unsigned)((n + threads - 1) / threads);
    if (kind == L2D_OPT_SGD)
        sgd_step<<<blocks, threads, 0, stream>>>((long)n, params, grads, weight_decay, s, ds);
    else
        adam_step<<<blocks, threads, 0, stream>>>((long)n, params, grads, m, v, beta1, beta2, eps,
                                                  weight_decay, kind == L2D_OPT_ADAMW, s, ds);
    return cudaGetLastError();
}
