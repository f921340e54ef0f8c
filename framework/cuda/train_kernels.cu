// Kernels of the device-resident training loop (framework/cuda/
// train_cuda.c): batch gathering, non-finite checks that write a status
// word instead of synchronising, and the epoch's loss and risk sums. CPU
// twin: the loops of framework/core/train.c.
#include "config.h"

#include <cuda_runtime.h>
#include <math.h>

#include "cuda/kernels.h"

__global__ static void gather(const float *X, const double *C, const uint32_t *perm, long i0,
                              long B, long dim, long A, float *xb, double *cb)
{
    // one block per row: its threads copy the row's features and costs
    const long i = blockIdx.x;
    if (i >= B) return;
    const long r = perm[i0 + i];
    for (long k = threadIdx.x; k < dim; k += blockDim.x) xb[i * dim + k] = X[r * dim + k];
    for (long k = threadIdx.x; k < A; k += blockDim.x) cb[i * A + k] = C[r * A + k];
}

extern "C" cudaError_t l2d_cuda_gather(const float *X, const double *C, const uint32_t *perm,
                                       size_t i0, size_t B, size_t dim, size_t A, float *xb,
                                       double *cb, cudaStream_t stream)
{
    if (B == 0) return cudaSuccess;
    gather<<<(unsigned)B, 128, 0, stream>>>(X, C, perm, (long)i0, (long)B, (long)dim, (long)A, xb,
                                            cb);
    return cudaGetLastError();
}

#define FLAG_THREADS 1024

// One block, so the first bad index is found without atomics: each thread
// keeps the lowest bad index among its elements (no early exit, so its
// independent loads can be in flight together), then a fixed tree takes
// the minimum. 1024 threads: a batch's scores (tens of thousands of
// values) take a few loads per thread, not a hundred dependent ones.
__global__ static void flag_rows(const void *v, int dbl, long n, long width, int code, int batch,
                                 int *st)
{
    __shared__ long first[FLAG_THREADS];
    if (st[0] != 0) return; // an earlier failure is the one reported
    long mine = n;
    if (dbl) {
        const double *d = (const double *)v;
#pragma unroll 4
        for (long i = threadIdx.x; i < n; i += blockDim.x)
            if (!isfinite(d[i]) && i < mine) mine = i;
    } else {
        const float *f = (const float *)v;
#pragma unroll 4
        for (long i = threadIdx.x; i < n; i += blockDim.x)
            if (!isfinite(f[i]) && i < mine) mine = i;
    }
    first[threadIdx.x] = mine;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s && first[threadIdx.x + s] < first[threadIdx.x])
            first[threadIdx.x] = first[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0 && first[0] < n) {
        st[1] = batch;
        st[2] = (int)(first[0] / width);
        st[0] = code;
    }
}

extern "C" cudaError_t l2d_cuda_flag_rows(const void *v, int dbl, size_t n, size_t width,
                                          int code, int batch, int *st, cudaStream_t stream)
{
    if (n == 0) return cudaSuccess;
    flag_rows<<<1, FLAG_THREADS, 0, stream>>>(v, dbl, (long)n, (long)(width ? width : 1), code,
                                              batch, st);
    return cudaGetLastError();
}

__global__ static void flag_any(const float *v, long n, int code, int batch, int *st)
{
    if (st[0] != 0) return;
    int bad = 0;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long)gridDim.x * blockDim.x)
        if (!isfinite(v[i])) bad = 1;
    // a flag, not a sum: which thread wins does not matter, only that one does
    if (__syncthreads_or(bad) && threadIdx.x == 0 && atomicCAS(&st[0], 0, -1) == 0) {
        st[1] = batch;
        st[2] = 0;
        __threadfence();
        st[0] = code;
    }
}

extern "C" cudaError_t l2d_cuda_flag_any(const float *v, size_t n, int code, int batch, int *st,
                                         cudaStream_t stream)
{
    if (n == 0) return cudaSuccess;
    unsigned blocks = (unsigned)((n + 255) / 256);
    if (blocks > 1024) blocks = 1024;
    flag_any<<<blocks, 256, 0, stream>>>(v, (long)n, code, batch, st);
    return cudaGetLastError();
}

#define SUM_THREADS 512

// The batch's loss and risk sums: thread t takes rows t, t + T, ... in
// order, then the T partials are added in a fixed tree; the epoch's running
// sums then add the batch's. A fixed order (no atomics), so a run repeats
// bit for bit; it rounds differently from train.c's row-by-row sum, within
// a few ulps of the epoch mean. One thread walking 8096 rows serially cost
// more than the batch's forward pass.
__global__ static void batch_sums(const double *loss, const float *s, const double *c, long B,
                                  long A, double *acc)
{
    __shared__ double pl[SUM_THREADS], pr[SUM_THREADS];
    double sl = 0.0, sr = 0.0;
    for (long i = threadIdx.x; i < B; i += blockDim.x) {
        const float *si = s + i * A;
        long b = 0;
        for (long k = 1; k < A; k++)
            if (si[k] > si[b]) b = k;
        if (loss) sl += loss[i];
        sr += c[i * A + b];
    }
    pl[threadIdx.x] = sl;
    pr[threadIdx.x] = sr;
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if ((int)threadIdx.x < h) {
            pl[threadIdx.x] += pl[threadIdx.x + h];
            pr[threadIdx.x] += pr[threadIdx.x + h];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        acc[0] += pl[0];
        acc[1] += pr[0];
    }
}

extern "C" cudaError_t l2d_cuda_batch_sums(const double *loss, const float *s, const double *c,
                                           size_t B, size_t A, double *acc, cudaStream_t stream)
{
    if (B == 0) return cudaSuccess;
    batch_sums<<<1, SUM_THREADS, 0, stream>>>(loss, s, c, (long)B, (long)A, acc);
    return cudaGetLastError();
}

// l2d_cuda_batch_check_sums: flag_rows for three arrays and batch_sums in
// one block. The three first-bad indices and the two sums are reduced by
// the same fixed trees as those kernels, so the status and the sums are
// the same as theirs.
__global__ static void batch_check_sums(const float *s, const double *loss, const float *g,
                                        const double *c, long B, long A, int batch, int *st,
                                        double *acc)
{
    __shared__ long fs[SUM_THREADS], fl[SUM_THREADS], fg[SUM_THREADS];
    __shared__ double pl[SUM_THREADS], pr[SUM_THREADS];
    const long n = B * A;
    long ms = n, ml = B, mg = n;
    double sl = 0.0, sr = 0.0;
    for (long i = threadIdx.x; i < B; i += blockDim.x) {
        const float *si = s + i * A;
        long b = 0;
        for (long k = 0; k < A; k++) {
            if (!isfinite(si[k]) && i * A + k < ms) ms = i * A + k;
            if (g && !isfinite(g[i * A + k]) && i * A + k < mg) mg = i * A + k;
            if (k > 0 && si[k] > si[b]) b = k;
        }
        if (loss) {
            if (!isfinite(loss[i]) && i < ml) ml = i;
            sl += loss[i];
        }
        sr += c[i * A + b];
    }
    fs[threadIdx.x] = ms, fl[threadIdx.x] = ml, fg[threadIdx.x] = mg;
    pl[threadIdx.x] = sl, pr[threadIdx.x] = sr;
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if ((int)threadIdx.x < h) {
            const int o = threadIdx.x + h;
            if (fs[o] < fs[threadIdx.x]) fs[threadIdx.x] = fs[o];
            if (fl[o] < fl[threadIdx.x]) fl[threadIdx.x] = fl[o];
            if (fg[o] < fg[threadIdx.x]) fg[threadIdx.x] = fg[o];
            pl[threadIdx.x] += pl[o];
            pr[threadIdx.x] += pr[o];
        }
        __syncthreads();
    }
    if (threadIdx.x != 0) return;
    if (st[0] == 0) {
        int code = 0;
        long row = 0;
        if (fs[0] < n) code = L2D_CUDA_FAIL_SCORE, row = fs[0] / A;
        else if (loss && fl[0] < B) code = L2D_CUDA_FAIL_LOSS, row = fl[0];
        else if (g && fg[0] < n) code = L2D_CUDA_FAIL_GRAD, row = fg[0] / A;
        if (code) {
            st[1] = batch;
            st[2] = (int)row;
            st[0] = code;
        }
    }
    acc[0] += pl[0];
    acc[1] += pr[0];
}

extern "C" cudaError_t l2d_cuda_batch_check_sums(const float *s, const double *loss,
                                                 const float *g, const double *c, size_t B,
                                                 size_t A, int batch, int *st, double *acc,
                                                 cudaStream_t stream)
{
    if (B == 0) return cudaSuccess;
    batch_check_sums<<<1, SUM_THREADS, 0, stream>>>(s, loss, g, c, (long)B, (long)A, batch, st,
                                                    acc);
    return cudaGetLastError();
}

__global__ static void scale_to_float(const double *gd, double scale, long n, float *gf)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) gf[i] = (float)(gd[i] * scale);
}

extern "C" cudaError_t l2d_cuda_scale_to_float(const double *gd, double scale, size_t n,
                                               float *gf, cudaStream_t stream)
{
    if (n == 0) return cudaSuccess;
    scale_to_float<<<(unsigned)((n + 255) / 256), 256, 0, stream>>>(gd, scale, (long)n, gf);
    return cudaGetLastError();
}
