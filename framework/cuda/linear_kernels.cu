// Linear layers on the GPU: forward with bias and ReLU fused, and the two
// halves of backward (parameter gradient, input gradient). CPU twin:
// framework/core/mlp.c.
//
// One tiled kernel does all three products. Each thread owns one output
// element and sums its terms in index order, 16 at a time from shared
// memory: no split of a sum across threads or blocks, no atomics, so a
// result does not depend on scheduling and repeats bit for bit.
#include "config.h"

#include <cuda_runtime.h>

#include "cuda/kernels.h"

#define TILE 16

enum epilogue {
    EPI_STORE = 0,     // C = acc
    EPI_BIAS = 1,      // C = acc + bias[n]
    EPI_BIAS_RELU = 2, // C = max(acc + bias[n], 0), NaN kept (as mlp.c: it is caught later)
    EPI_ADD = 3,       // C = (float)((Acc)C + acc): gradients accumulate
    EPI_MASK = 4       // C = mask[m][n] > 0 ? acc : 0 (ReLU's derivative)
};

// C[M][N] (row stride ldc) from sum over k of A(m, k) B(k, n), where
// A(m, k) = A[m * sam + k * sak] and B(k, n) = B[k * sbk + n * sbn], so one
// kernel covers every transpose. Acc is the type the sum runs in. M tiles
// go on grid.x (up to 2^31 - 1 of them: rows can be many), N tiles on
// grid.y.
template <typename Acc, int EPI>
__global__ static void gemm_tile(int M, int N, int K, const float *__restrict__ A, long sam,
                                 long sak, const float *__restrict__ Bm, long sbk, long sbn,
                                 float *C, long ldc, const float *__restrict__ bias,
                                 const float *__restrict__ mask)
{
    __shared__ float As[TILE][TILE + 1], Bs[TILE][TILE + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const long m = (long)blockIdx.x * TILE + ty;
    const long n = (long)blockIdx.y * TILE + tx;
    const long bm_row = (long)blockIdx.x * TILE + tx; // row of A loaded when A is m-major
    Acc acc = 0;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        // Each tile is loaded so that threads along x walk the operand's
        // unit stride when it has one (coalesced reads); the layout in
        // shared memory is the same either way.
        if (sak == 1) {
            long kk = k0 + tx;
            As[ty][tx] = (m < M && kk < K) ? A[m * sam + kk] : 0.0f;
        } else {
            long kk = k0 + ty;
            As[tx][ty] = (bm_row < M && kk < K) ? A[bm_row * sam + kk * sak] : 0.0f;
        }
        if (sbk == 1) {
            long kk = k0 + tx, nn = (long)blockIdx.y * TILE + ty;
            Bs[tx][ty] = (nn < N && kk < K) ? Bm[kk + nn * sbn] : 0.0f;
        } else {
            long kk = k0 + ty;
            Bs[ty][tx] = (n < N && kk < K) ? Bm[kk * sbk + n * sbn] : 0.0f;
        }
        __syncthreads();
        const int kmax = K - k0 < TILE ? K - k0 : TILE;
        for (int kk = 0; kk < kmax; kk++) acc += (Acc)As[ty][kk] * (Acc)Bs[kk][tx];
        __syncthreads();
    }
    if (m >= M || n >= N) return;
    float *c = C + m * ldc + n;
    if (EPI == EPI_STORE) {
        *c = (float)acc;
    } else if (EPI == EPI_BIAS || EPI == EPI_BIAS_RELU) {
        float z = (float)acc + bias[n];
        if (EPI == EPI_BIAS_RELU && z < 0.0f) z = 0.0f;
        *c = z;
    } else if (EPI == EPI_ADD) {
        *c = (float)((Acc)*c + acc);
    } else {
        *c = mask[m * ldc + n] > 0.0f ? (float)acc : 0.0f;
    }
}

// The parameter gradient sums over the batch's rows (thousands; A times more
// in SARD's outer pass) into few outputs (a small layer's N x K): one thread
// per output walking every row serially left the GPU idle. So the rows are
// cut into at most MAX_CHUNKS fixed chunks: stage 1 gives each (chunk,
// output) its own thread and partial sum in double, stage 2 adds a
// column's partials in chunk order. Both orders are fixed, so the result
// repeats bit for bit. Outputs column n = N*K of gW then the N of gb.
#define MIN_ROWS_PER_CHUNK 64
#define MAX_CHUNKS 128 // stage 2 adds at most this many partials per output
#define SPLIT_MAX_OUT 65536 // beyond: enough outputs to fill the GPU with the tiled kernel

__global__ static void grad_partial(int B, int N, int K, int rows, const float *__restrict__ dy,
                                    const float *__restrict__ x, double *part)
{
    const int NK = N * K, W = NK + N;
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= W) return;
    const int r0 = blockIdx.y * rows, r1 = min(B, r0 + rows);
    double s = 0.0;
    if (e < NK) {
        const int n = e / K, k = e - n * K;
        for (int r = r0; r < r1; r++) s += (double)dy[(long)r * N + n] * (double)x[(long)r * K + k];
    } else {
        const int n = e - NK;
        for (int r = r0; r < r1; r++) s += (double)dy[(long)r * N + n];
    }
    part[(long)blockIdx.y * W + e] = s;
}

__global__ static void grad_reduce(int chunks, int N, int K, const double *part, float *gW,
                                   float *gb)
{
    const int NK = N * K, W = NK + N;
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= W) return;
    double s = 0.0;
    for (int c = 0; c < chunks; c++) s += part[(long)c * W + e];
    float *g = e < NK ? gW + e : gb + (e - NK);
    *g = (float)((double)*g + s);
}

// gb[n] += sum over rows r = 0..B-1 of dy[r][n], in double, in row order
// (the tiled path, for layers with many outputs).
__global__ static void colsum_add(int B, int N, const float *__restrict__ dy, float *gb)
{
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    double s = 0.0;
    for (int r = 0; r < B; r++) s += (double)dy[(long)r * N + n];
    gb[n] = (float)((double)gb[n] + s);
}

static dim3 grid_for(size_t M, size_t N)
{
    return dim3((unsigned)((M + TILE - 1) / TILE), (unsigned)((N + TILE - 1) / TILE));
}

static cudaError_t launched(void) { return cudaGetLastError(); }

extern "C" cudaError_t l2d_cuda_linear_forward(const float *x, const float *W, const float *b,
                                               float *y, size_t B, size_t K, size_t N, int relu,
                                               cudaStream_t stream)
{
    if (B == 0 || N == 0) return cudaSuccess;
    dim3 blk(TILE, TILE);
    // A(m = r, k) = x[r][k]; B(k, n) = W[n][k]
    if (relu)
        gemm_tile<float, EPI_BIAS_RELU><<<grid_for(B, N), blk, 0, stream>>>(
            (int)B, (int)N, (int)K, x, (long)K, 1, W, 1, (long)K, y, (long)N, b, NULL);
    else
        gemm_tile<float, EPI_BIAS><<<grid_for(B, N), blk, 0, stream>>>(
            (int)B, (int)N, (int)K, x, (long)K, 1, W, 1, (long)K, y, (long)N, b, NULL);
    return launched();
}

static size_t grad_rows_per_chunk(size_t B)
{
    size_t rows = (B + MAX_CHUNKS - 1) / MAX_CHUNKS;
    return rows < MIN_ROWS_PER_CHUNK ? MIN_ROWS_PER_CHUNK : rows;
}

static int grad_split(size_t B, size_t K, size_t N)
{
    return N * K + N <= SPLIT_MAX_OUT && B > MIN_ROWS_PER_CHUNK;
}

extern "C" size_t l2d_cuda_grad_scratch_doubles(size_t B, size_t K, size_t N)
{
    if (!grad_split(B, K, N)) return 0;
    const size_t rows = grad_rows_per_chunk(B);
    return ((B + rows - 1) / rows) * (N * K + N);
}

extern "C" cudaError_t l2d_cuda_linear_backward_params(const float *dy, const float *x,
                                                       float *gW, float *gb, size_t B, size_t K,
                                                       size_t N, double *scratch,
                                                       size_t scratch_n, cudaStream_t stream)
{
    if (B == 0 || N == 0) return cudaSuccess;
    const size_t W = N * K + N;
    if (grad_split(B, K, N)) {
        // split over row chunks (a function of B alone: the same sums in
        // the same order every time); the partials go to the caller's
        // scratch, else to the stream-ordered pool (which also works
        // inside a graph capture, as a memory node)
        const size_t rows = grad_rows_per_chunk(B);
        const unsigned chunks = (unsigned)((B + rows - 1) / rows);
        const size_t need = (size_t)chunks * W;
        double *part = scratch;
        cudaError_t e = cudaSuccess;
        const int own = !scratch || scratch_n < need;
        if (own) e = cudaMallocAsync((void **)&part, need * sizeof(double), stream);
        if (e != cudaSuccess) return e;
        dim3 g1((unsigned)((W + 127) / 128), chunks);
        grad_partial<<<g1, 128, 0, stream>>>((int)B, (int)N, (int)K, (int)rows, dy, x, part);
        e = launched();
        if (e == cudaSuccess) {
            grad_reduce<<<(unsigned)((W + 127) / 128), 128, 0, stream>>>((int)chunks, (int)N,
                                                                         (int)K, part, gW, gb);
            e = launched();
        }
        cudaError_t f = own ? cudaFreeAsync(part, stream) : cudaSuccess;
        return e != cudaSuccess ? e : f;
    }
    dim3 blk(TILE, TILE);
    // gW[N][K]: A(m = n, k = r) = dy[r][n]; B(k = r, n = kk) = x[r][kk]
    if (K > 0)
        gemm_tile<double, EPI_ADD><<<grid_for(N, K), blk, 0, stream>>>(
            (int)N, (int)K, (int)B, dy, 1, (long)N, x, (long)K, 1, gW, (long)K, NULL, NULL);
    cudaError_t e = launched();
    if (e != cudaSuccess) return e;
    colsum_add<<<(unsigned)((N + 127) / 128), 128, 0, stream>>>((int)B, (int)N, dy, gb);
    return launched();
}

extern "C" cudaError_t l2d_cuda_linear_backward_input(const float *dy, const float *W,
                                                      const float *mask, float *dx, size_t B,
                                                      size_t K, size_t N, cudaStream_t stream)
{
    if (B == 0 || K == 0) return cudaSuccess;
    dim3 blk(TILE, TILE);
    // dx[B][K]: A(m = r, k = n) = dy[r][n]; B(k = n, n = kk) = W[n][kk]
    if (mask)
        gemm_tile<float, EPI_MASK><<<grid_for(B, K), blk, 0, stream>>>(
            (int)B, (int)K, (int)N, dy, (long)N, 1, W, (long)K, 1, dx, (long)K, NULL, mask);
    else
        gemm_tile<float, EPI_STORE><<<grid_for(B, K), blk, 0, stream>>>(
            (int)B, (int)K, (int)N, dy, (long)N, 1, W, (long)K, 1, dx, (long)K, NULL, NULL);
    return launched();
}
