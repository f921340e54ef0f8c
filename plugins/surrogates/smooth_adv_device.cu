/* smooth-adv's train_batch_device: the SARD step of smooth_adv.c on device
 * arrays, in the same order and arithmetic (float scores and gradients,
 * double per-row loss and score gradients), queued on the caller's stream.
 *
 * Two paths for the inner problems sup_{x'_j in B} ||Dbar(x'_j, j) - Dbar(x, j)||_2:
 *  - fused, when the model context shows its MLP (model->mlp) and the attack
 *    describes itself as PGD (describe()): ONE kernel runs every row's whole
 *    attack for every agent, a thread per (agent j, row i), the MLP's
 *    weights in shared memory and the row's forward and input gradient in
 *    registers (the weights are fixed during the inner problem, so the rows
 *    are independent). Then the outer pass at all x'_j is one batch of A B
 *    rows through the context's forward and backward.
 *  - generic: per agent, the attack's perturb_device on a device objective
 *    built from the context's forward and backward, as the host path does.
 * Both end with the clean pass through the context. The context's backward
 * counts its rows as passes; the fused kernel reports its A B T inner
 * passes through model->add_passes, so an epoch still counts
 * n (1 + A (T + 1)), as on the host.
 *
 * Random start in the fused kernel draws pgd's numbers (pgd_core.c's
 * stream for seed + b A + j, jumped ahead to the row), with the batch
 * count b kept on the device so that a captured graph replays with fresh
 * seeds. */
#include <math.h>
#include <string.h>

#include "../attacks/pgd_step.cuh"
#include "../cuda_util.cuh"
#include "l2d/compsum.h"
#include "smooth_adv_device.h"

#define WHO "smooth-adv"

/* ---- device scratch -------------------------------------------------------- */

struct sard_dev {
    void *s0, *sa, *ds, *xa, *dclean, *dcf; /* [B][A], [A][B][A] x2, [A][B][D], [B][A] x2 */
    size_t c_s0, c_sa, c_ds, c_xa, c_dclean, c_dcf;
    unsigned long long *counter;            /* batches run by the fused path */
    uint64_t *tables;                       /* RNG jump tables (random start) */
};

extern "C" void l2d_sard_device_free(void *dev)
{
    struct sard_dev *d = (struct sard_dev *)dev;
    if (!d) return;
    cudaFree(d->s0), cudaFree(d->sa), cudaFree(d->ds), cudaFree(d->xa);
    cudaFree(d->dclean), cudaFree(d->dcf), cudaFree(d->counter), cudaFree(d->tables);
    free(d);
}

static int sard_reserve(struct sard_dev **pd, size_t B, size_t A, size_t D, int tables,
                        struct l2d_error *err)
{
    struct sard_dev *d = *pd;
    if (!d) {
        if (!(d = (struct sard_dev *)calloc(1, sizeof *d)))
            return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
        *pd = d;
        cudaError_t e = cudaMalloc((void **)&d->counter, sizeof *d->counter);
        if (e == cudaSuccess) e = cudaMemset(d->counter, 0, sizeof *d->counter);
        if (e != cudaSuccess) return l2d_cu_fail(e, err, WHO, "batch counter");
    }
    int rc;
    const size_t ba = B * A;
    if ((rc = l2d_cu_reserve(&d->s0, &d->c_s0, ba * sizeof(float), err, WHO)) ||
        (rc = l2d_cu_reserve(&d->sa, &d->c_sa, A * ba * sizeof(float), err, WHO)) ||
        (rc = l2d_cu_reserve(&d->ds, &d->c_ds, A * ba * sizeof(float), err, WHO)) ||
        (rc = l2d_cu_reserve(&d->xa, &d->c_xa, A * B * D * sizeof(float), err, WHO)) ||
        (rc = l2d_cu_reserve(&d->dclean, &d->c_dclean, ba * sizeof(double), err, WHO)) ||
        (rc = l2d_cu_reserve(&d->dcf, &d->c_dcf, ba * sizeof(float), err, WHO)))
        return rc;
    if (tables && !d->tables) {
        uint64_t *t = l2d_xo_tables_build();
        if (!t) return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
        const size_t bytes = L2D_XO_TABLE_WORDS * sizeof *t;
        cudaError_t e = cudaMalloc((void **)&d->tables, bytes);
        if (e == cudaSuccess) e = cudaMemcpy(d->tables, t, bytes, cudaMemcpyHostToDevice);
        free(t);
        if (e != cudaSuccess) {
            cudaFree(d->tables);
            d->tables = NULL;
            return l2d_cu_fail(e, err, WHO, "RNG tables");
        }
    }
    return 0;
}

/* ---- the row arithmetic of smooth_adv.c --------------------------------------- */

/* ||Dbar(x', j) - Dbar(x, j)||_2 from the scores sa at x' and s0 at x and,
 * when ds != NULL, its gradient w.r.t. sa into ds (inner_rows: the
 * subgradient along -(1..1)/sqrt(J) at zero). */
__device__ static __forceinline__ double sard_inner_row(const float *sa, const float *s0, int A,
                                                        int j, float *ds)
{
    const double aj = sa[j], oj = s0[j];
    double n2 = 0.0;
    for (int k = 0; k < A; k++) {
        if (k == j) continue;
        const double d = (aj - sa[k]) - (oj - s0[k]);
        n2 += d * d;
    }
    const double n = sqrt(n2);
    if (ds) {
        const double zdir = -1.0 / sqrt((double)(A - 1));
        double gj = 0.0;
        for (int k = 0; k < A; k++) {
            if (k == j) continue;
            const double uk = n > 0.0 ? ((aj - sa[k]) - (oj - s0[k])) / n : zdir;
            ds[k] = (float)-uk;
            gj += uk;
        }
        ds[j] = (float)gj;
    }
    return n;
}

/* The clean part per row: loss = tau . Phi_01^u(r/rho, .), dclean = its
 * gradient w.r.t. r over B (clean_row, then the batch mean). */
__global__ void sard_clean_kernel(const float *s0, const double *costs, size_t B, int A,
                                  double u, double rho, double invB, double *loss,
                                  double *dclean)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    double r[64], dr[64], v;
    for (int k = 0; k < A; k++) r[k] = (double)s0[i * A + k] / rho;
    if (l2d_compsum_row(r, costs + i * A, (size_t)A, u, -1, &v, dr)) {
        loss[i] = NAN;
        for (int k = 0; k < A; k++) dclean[i * A + k] = NAN;
        return;
    }
    loss[i] = v;
    for (int k = 0; k < A; k++) dclean[i * A + k] = dr[k] / rho * invB;
}

/* The outer terms of agents j0..j1-1 per row, in agent order: loss +=
 * w tau_j n_j, ds (the gradient through r(x'_j), [j - j0][B][A]) and
 * dclean -= the same (through r(x)); smooth_adv.c's delta_norm and
 * delta_grad (no subgradient at zero). */
__global__ void sard_outer_kernel(const float *sa, const float *s0, const double *costs, size_t B,
                                  int A, int j0, int j1, double w, double invB, double *loss,
                                  float *ds, double *dclean)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    const double *c = costs + i * A;
    const float *o = s0 + i * A;
    double li = loss[i];
    for (int j = j0; j < j1; j++) {
        const float *a = sa + ((size_t)(j - j0) * B + i) * A;
        float *g = ds + ((size_t)(j - j0) * B + i) * A;
        double tau = 0.0;
        for (int k = 0; k < A; k++)
            if (k != j) tau += c[k];
        const double n = sard_inner_row(a, o, A, j, NULL);
        li += w * tau * n;
        const double wt = w * tau * invB;
        double gj = 0.0;
        for (int k = 0; k < A; k++) {
            if (k == j) continue;
            const double uk = n > 0.0 ? (((double)a[j] - a[k]) - ((double)o[j] - o[k])) / n : 0.0;
            const double gk = -wt * uk;
            g[k] = (float)gk;
            dclean[i * A + k] -= gk;
            gj += wt * uk;
        }
        g[j] = (float)gj;
        dclean[i * A + j] -= gj;
    }
    loss[i] = li;
}

__global__ void sard_to_float_kernel(const double *a, size_t n, float *f)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n) f[i] = (float)a[i];
}

__global__ void sard_count_kernel(unsigned long long *counter) { *counter += 1; }

/* ---- the generic path: a device objective for the attack ---------------------- */

struct inner_dev {
    struct l2d_objective obj;
    const struct l2d_model_ctx *m;
    const float *s0;
    size_t B, A, j;
    float *s, *ds; /* [B][A] */
};

__global__ void sard_inner_kernel(const float *sa, const float *s0, size_t B, int A, int j,
                                  double *value, float *ds)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    value[i] = sard_inner_row(sa + i * A, s0 + i * A, A, j, ds ? ds + i * A : NULL);
}

static int inner_value_grad(void *self, const float *x, size_t B, double *value, float *grad,
                            struct l2d_error *err)
{
    struct inner_dev *in = (struct inner_dev *)self;
    if (B != in->B)
        return l2d_seterr(err, L2D_EINVAL,
                          WHO ": inner objective called on %zu rows, built for %zu", B, in->B);
    int rc = in->m->forward(in->m->self, x, B, in->s, err);
    if (rc) return rc;
    const unsigned T = 128;
    sard_inner_kernel<<<l2d_cu_blocks(B, T), T, 0, (cudaStream_t)in->obj.stream>>>(
        in->s, in->s0, B, (int)in->A, (int)in->j, value, grad ? in->ds : NULL);
    if ((rc = l2d_cu_launched(err, WHO, "inner objective"))) return rc;
    if (!grad) return 0;
    return in->m->backward(in->m->self, x, B, in->ds, grad, 0, err);
}

/* ---- the fused path: every row's attack for every agent in one kernel -------- */

/* An MLP's shape known at run time (up to SARD_RT_LAYERS layers of width
 * up to SARD_RT_WIDTH: the arrays are in local memory), ... */
#define SARD_RT_LAYERS 6
#define SARD_RT_WIDTH 64
struct RtShape {
    static constexpr int MAXL = SARD_RT_LAYERS, MAXW = SARD_RT_WIDTH;
    static constexpr bool VEC4 = false, SHARED = false;
    int nl, d[SARD_RT_LAYERS + 1], off[SARD_RT_LAYERS];
    __device__ int layers() const { return nl; }
    __device__ int dim(int l) const { return d[l]; }
    __device__ int woff(int l) const { return off[l]; }
};

/* ... or at compile time (3 layers), where every loop unrolls and a row's
 * activations live in registers. */
template <int D0, int D1, int D2, int D3>
struct Shape3 {
    static constexpr int MAXL = 3;
    /* every width a multiple of 4: each weight row and each layer's block
     * starts on 16 bytes, so the weights load from shared memory 4 at a
     * time (the kernel is bound by those loads) */
    static constexpr bool VEC4 = D0 % 4 == 0 && D1 % 4 == 0 && D2 % 4 == 0 && D3 % 4 == 0;
    static constexpr bool SHARED = true; /* its weights always fit */
    static constexpr int MAXW = D0 > D1 ? (D0 > D2 ? (D0 > D3 ? D0 : D3) : (D2 > D3 ? D2 : D3))
                                        : (D1 > D2 ? (D1 > D3 ? D1 : D3) : (D2 > D3 ? D2 : D3));
    __device__ constexpr int layers() const { return 3; }
    __device__ constexpr int dim(int l) const { return l == 0 ? D0 : l == 1 ? D1 : l == 2 ? D2 : D3; }
    __device__ constexpr int woff(int l) const
    {
        return l == 0 ? 0 : l == 1 ? D1 * D0 + D1 : D1 * D0 + D1 + D2 * D1 + D2;
    }
};

/* act[0] = x (set by the caller); act[l + 1] = ReLU(W_l act[l] + b_l), no
 * ReLU after the last layer (l2d_mlp_forward's arithmetic: bias first). */
template <class S>
__device__ static __forceinline__ void row_forward(const S &sh, const float *P,
                                                   float (&act)[S::MAXL + 1][S::MAXW])
{
#pragma unroll
    for (int l = 0; l < sh.layers(); l++) {
        const int K = sh.dim(l), N = sh.dim(l + 1);
        const float *W = P + sh.woff(l), *b = W + N * K;
        const bool relu = l + 1 < sh.layers();
#pragma unroll
        for (int n = 0; n < N; n++) {
            float z = b[n];
            if (S::VEC4) { /* the same sums in the same order */
#pragma unroll
                for (int k = 0; k < K; k += 4) {
                    const float4 w = *(const float4 *)(W + n * K + k);
                    z = fmaf(w.x, act[l][k], z);
                    z = fmaf(w.y, act[l][k + 1], z);
                    z = fmaf(w.z, act[l][k + 2], z);
                    z = fmaf(w.w, act[l][k + 3], z);
                }
            } else {
#pragma unroll
                for (int k = 0; k < K; k++) z = fmaf(W[n * K + k], act[l][k], z);
            }
            act[l + 1][n] = relu && z < 0.0f ? 0.0f : z;
        }
    }
}

/* dx = d(dout . r(x))/dx through the activations of the last row_forward
 * (l2d_mlp_backward's input gradient: ReLU passes where act > 0). */
template <class S>
__device__ static __forceinline__ void row_input_grad(const S &sh, const float *P,
                                                      const float (&act)[S::MAXL + 1][S::MAXW],
                                                      const float *dout, float *dx)
{
    float dl[S::MAXW], dp[S::MAXW];
    const int L = sh.layers();
#pragma unroll
    for (int n = 0; n < sh.dim(L); n++) dl[n] = dout[n];
#pragma unroll
    for (int l = L - 1; l >= 0; l--) {
        const int K = sh.dim(l), N = sh.dim(l + 1);
        const float *W = P + sh.woff(l);
        if (S::VEC4) { /* row by row of W, the same sums in the same order */
#pragma unroll
            for (int k = 0; k < K; k++) dp[k] = 0.0f;
#pragma unroll
            for (int n = 0; n < N; n++) {
#pragma unroll
                for (int k = 0; k < K; k += 4) {
                    const float4 w = *(const float4 *)(W + n * K + k);
                    dp[k] = fmaf(dl[n], w.x, dp[k]);
                    dp[k + 1] = fmaf(dl[n], w.y, dp[k + 1]);
                    dp[k + 2] = fmaf(dl[n], w.z, dp[k + 2]);
                    dp[k + 3] = fmaf(dl[n], w.w, dp[k + 3]);
                }
            }
#pragma unroll
            for (int k = 0; k < K; k++)
                if (l > 0 && !(act[l][k] > 0.0f)) dp[k] = 0.0f;
        } else {
#pragma unroll
            for (int k = 0; k < K; k++) {
                float s = 0.0f;
#pragma unroll
                for (int n = 0; n < N; n++) s = fmaf(dl[n], W[n * K + k], s);
                dp[k] = l == 0 || act[l][k] > 0.0f ? s : 0.0f;
            }
        }
#pragma unroll
        for (int k = 0; k < K; k++) {
            if (l == 0) dx[k] = dp[k];
            else dl[k] = dp[k];
        }
    }
}

/* The inner value at act[0] (forward included) and, when ds != NULL, the
 * input gradient into g. */
template <class S>
__device__ static __forceinline__ double row_inner(const S &sh, const float *P,
                                                   float (&act)[S::MAXL + 1][S::MAXW],
                                                   const float *o, int j, float *g)
{
    row_forward(sh, P, act);
    const int L = sh.layers(), A = sh.dim(L);
    const float *sa = act[L];
    /* sard_inner_row with agent j picked by selection, not by indexing:
     * a run-time index would move the row's arrays out of registers */
    float aj = 0.0f, oj = 0.0f;
#pragma unroll
    for (int k = 0; k < A; k++)
        if (k == j) aj = sa[k], oj = o[k];
    double n2 = 0.0;
#pragma unroll
    for (int k = 0; k < A; k++) {
        const double d = ((double)aj - sa[k]) - ((double)oj - o[k]);
        if (k != j) n2 += d * d;
    }
    const double n = sqrt(n2);
    if (!g) return n;
    float ds[S::MAXW];
    const double zdir = -1.0 / sqrt((double)(A - 1));
    double gj = 0.0;
#pragma unroll
    for (int k = 0; k < A; k++) {
        const double uk = n > 0.0 ? (((double)aj - sa[k]) - ((double)oj - o[k])) / n : zdir;
        ds[k] = (float)-uk;
        if (k != j) gj += uk;
    }
#pragma unroll
    for (int k = 0; k < A; k++)
        if (k == j) ds[k] = (float)gj;
    /* reload the weights for the backward: kept from the forward they
     * would take every register and spill */
    asm volatile("" ::: "memory");
    row_input_grad(sh, P, act, ds, g);
    return n;
}

/* The random start of row i for the attack seeded with seed, out of line:
 * its loops do not unroll, and arrays they index must not be the kernel's
 * register-resident ones. */
__device__ static __noinline__ void fused_random_start(const struct l2d_pgd_spec sp,
                                                       uint64_t seed, uint64_t key, uint64_t i,
                                                       const uint64_t *tables, const float *x0,
                                                       int D, const float *lo, const float *hi,
                                                       float *v)
{
    uint64_t s[4];
    l2d_xo_seed(s, l2d_xo_seed_mix(seed, key));
    l2d_xo_jump(s, i * l2d_pgd_start_stride(sp, D), tables);
    l2d_pgd_random_start_row(sp, s, v, x0, D, lo, hi);
}

template <class S>
__global__ void __launch_bounds__(64)
sard_fused_kernel(S sh, const float *params, int n_params, int use_shared, const float *x,
                  const float *s0, int B, struct l2d_pgd_spec sp, const float *lo,
                  const float *hi, uint64_t seed, uint64_t key,
                  const unsigned long long *counter, const uint64_t *tables, float *xa)
{
    extern __shared__ float4 shp4[]; /* float4: 16-byte aligned */
    float *shp = (float *)shp4;
    const float *P = params;
    if (S::SHARED || use_shared) {
        for (int q = threadIdx.x; q < n_params; q += blockDim.x) shp[q] = params[q];
        __syncthreads();
        /* a compile-time choice lets the compiler see shared memory (and
         * its alignment) behind P */
        P = S::SHARED ? (const float *)shp4 : shp;
    }
    const int L = sh.layers(), D = sh.dim(0), A = sh.dim(L);
    const size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (t >= (size_t)A * B) return;
    const int j = (int)(t / B), i = (int)(t % B);
    float x0[S::MAXW], xb[S::MAXW], o[S::MAXW], g[S::MAXW];
    float act[S::MAXL + 1][S::MAXW];
#pragma unroll
    for (int k = 0; k < D; k++) xb[k] = x0[k] = x[(size_t)i * D + k];
    float *out = xa + ((size_t)j * B + i) * D;
    if (sp.eps == 0.0) { /* the ball is the point x */
#pragma unroll
        for (int k = 0; k < D; k++) out[k] = x0[k];
        return;
    }
#pragma unroll
    for (int k = 0; k < A; k++) o[k] = s0[(size_t)i * A + k];
    double best = -INFINITY;
    int bad = 0;
    if (sp.random_start) {
        /* the clean point competes too */
#pragma unroll
        for (int k = 0; k < D; k++) act[0][k] = x0[k];
        const double v = row_inner(sh, P, act, o, j, NULL);
        bad |= !isfinite(v);
        if (v > best) best = v;
        float rs[S::MAXW];
        fused_random_start(sp, seed + (uint64_t)*counter * (uint64_t)A + (uint64_t)j, key,
                           (uint64_t)i, tables, x + (size_t)i * D, D, lo, hi, rs);
#pragma unroll
        for (int k = 0; k < D; k++) act[0][k] = rs[k];
    } else {
#pragma unroll
        for (int k = 0; k < D; k++) act[0][k] = x0[k];
    }
    /* act[0] is the iterate: row_forward reads it and leaves it alone */
    for (int it = 0; it <= sp.steps; it++) {
        /* a compiler barrier: without it the weights' shared-memory loads
         * are hoisted out of the loop into registers, which spill */
        asm volatile("" ::: "memory");
        const int last = it == sp.steps;
        const double v = row_inner(sh, P, act, o, j, last ? NULL : g);
        bad |= !isfinite(v);
        if (v > best) {
            best = v;
#pragma unroll
            for (int k = 0; k < D; k++) xb[k] = act[0][k];
        }
        if (last) break;
        if (sp.norm == L2D_NORM_LINF)
            bad |= !l2d_pgd_linf_step_row(sp.alpha, sp.eps, act[0], g, x0, D, lo, hi);
        else
            bad |= !l2d_pgd_l2_step_row(sp, 1.0, act[0], g, x0, D, lo, hi);
    }
#pragma unroll
    for (int k = 0; k < D; k++) out[k] = bad ? NAN : xb[k];
}

template <class S>
static int launch_fused(const S &sh, const struct l2d_mlp_view *mv, size_t n_params,
                        const float *x, const float *s0, size_t B, size_t A,
                        const struct l2d_pgd_spec &sp, const float *lo, const float *hi,
                        uint64_t seed, const struct sard_dev *d, cudaStream_t st,
                        struct l2d_error *err)
{
    /* 64 threads a block: a benchmark-sized batch (A B = 32k threads, a
     * quarter of what the chip holds at 128 registers a thread) spreads
     * more evenly over the multiprocessors */
    const unsigned T = 64;
    const size_t shmem = n_params * sizeof(float);
    const int use_shared = S::SHARED || shmem <= 48 * 1024;
    sard_fused_kernel<S><<<l2d_cu_blocks(A * B, T), T, use_shared ? shmem : 0, st>>>(
        sh, mv->params, (int)n_params, use_shared, x, s0, (int)B, sp, lo, hi, seed,
        l2d_xo_tag_key("pgd-random-start"), d->counter, d->tables, (float *)d->xa);
    return l2d_cu_launched(err, WHO, "fused attack kernel");
}

/* Whether the fused kernel takes this MLP, and its shape. */
static int fused_shape(const struct l2d_mlp_view *mv, size_t D, size_t A, RtShape *rs,
                       size_t *n_params)
{
    if (!mv || !mv->params || !mv->dims || mv->n_layers < 1 || mv->n_layers > SARD_RT_LAYERS)
        return 0;
    if (mv->dims[0] != D || mv->dims[mv->n_layers] != A) return 0;
    size_t off = 0;
    rs->nl = (int)mv->n_layers;
    for (size_t l = 0; l <= mv->n_layers; l++) {
        if (mv->dims[l] < 1 || mv->dims[l] > SARD_RT_WIDTH) return 0;
        rs->d[l] = (int)mv->dims[l];
    }
    for (size_t l = 0; l < mv->n_layers; l++) {
        rs->off[l] = (int)off;
        off += mv->dims[l + 1] * (mv->dims[l] + 1);
    }
    *n_params = off;
    return 1;
}

/* ---- the step ------------------------------------------------------------------ */

extern "C" int l2d_sard_device_replayable(const struct l2d_sard_params *p,
                                          const struct l2d_model_ctx *model,
                                          const struct l2d_attack_handle *attack)
{
    if (!model || model->device < 0) return 0;
    const size_t A = model->n_agents, D = model->dim;
    if (!(p->adv_weight > 0.0 && A >= 2)) return 1;
    if (!attack || !attack->ops) return 0;
    const struct l2d_attack_ops *ao = attack->ops;
    struct l2d_pgd_spec sp;
    memset(&sp, 0, sizeof sp);
    RtShape rs;
    size_t n_params = 0;
    return L2D_OPS_HAS(ao, struct l2d_attack_ops, describe) && ao->describe &&
           ao->describe(attack->state, &sp) == 0 && sp.steps >= 1 && sp.eps >= 0 &&
           fused_shape(model->mlp, D, A, &rs, &n_params);
}

extern "C" int l2d_sard_train_batch_device(void **dev, const struct l2d_sard_params *p,
                                           const struct l2d_model_ctx *model,
                                           const struct l2d_attack_handle *attack,
                                           const float *x, const double *costs, size_t B,
                                           double *loss, void *stream, struct l2d_error *err)
{
    if (!model || !model->forward || !model->backward || !x || !costs || !loss)
        return l2d_seterr(err, L2D_EINVAL, WHO ": train_batch_device needs a model, x, costs");
    if (model->device < 0)
        return l2d_seterr(err, L2D_EINVAL, WHO ": train_batch_device needs a device model");
    const size_t A = model->n_agents, D = model->dim;
    if (A == 0 || D == 0) return l2d_seterr(err, L2D_EINVAL, WHO ": empty model");
    if (A > 64)
        return l2d_seterr(err, L2D_EUNSUPPORTED, WHO ": the device step takes at most 64 agents, got %zu", A);
    if (B == 0) return 0;
    const int smooth = p->adv_weight > 0.0 && A >= 2;
    struct l2d_pgd_spec sp;
    memset(&sp, 0, sizeof sp);
    RtShape rs;
    size_t n_params = 0;
    int fused = 0;
    if (smooth) {
        if (!attack || !attack->ops)
            return l2d_seterr(err, L2D_EINVAL,
                              WHO ": adv_weight = %g needs an attack plugin ([attack] section)",
                              p->adv_weight);
        const struct l2d_attack_ops *ao = attack->ops;
        fused = L2D_OPS_HAS(ao, struct l2d_attack_ops, describe) && ao->describe &&
                ao->describe(attack->state, &sp) == 0 && sp.steps >= 1 && sp.eps >= 0 &&
                fused_shape(model->mlp, D, A, &rs, &n_params);
        if (!fused && !(L2D_OPS_HAS(ao, struct l2d_attack_ops, perturb_device) &&
                        ao->perturb_device))
            return l2d_seterr(err, L2D_EUNSUPPORTED,
                              WHO ": the attack has no device op (perturb_device) and cannot be "
                              "fused (no describe() or no MLP view of the model)");
    }
    struct sard_dev *d = (struct sard_dev *)*dev;
    int rc = sard_reserve(&d, B, A, D, fused && sp.random_start, err);
    *dev = d;
    if (rc) return rc;
    cudaStream_t st = (cudaStream_t)stream;
    const unsigned T = 128;
    const unsigned gb = l2d_cu_blocks(B, T);
    const double invB = 1.0 / (double)B;
    float *s0 = (float *)d->s0, *sa = (float *)d->sa, *ds = (float *)d->ds, *xa = (float *)d->xa;
    double *dclean = (double *)d->dclean;

    /* the clean part, and the clean scores the inner problems hold fixed */
    if ((rc = model->forward(model->self, x, B, s0, err))) return rc;
    sard_clean_kernel<<<gb, T, 0, st>>>(s0, costs, B, (int)A, p->u, p->rho, invB, loss, dclean);
    if ((rc = l2d_cu_launched(err, WHO, "clean part"))) return rc;

    if (smooth && fused) {
        const float *lo = sp.clamp ? model->lo : NULL, *hi = sp.clamp ? model->hi : NULL;
        const struct l2d_mlp_view *mv = model->mlp;
        const size_t *dm = mv->dims;
        if (mv->n_layers == 3 && dm[0] == 8 && dm[1] == 8 && dm[2] == 16 && dm[3] == 4)
            rc = launch_fused(Shape3<8, 8, 16, 4>(), mv, n_params, x, s0, B, A, sp, lo, hi,
                              p->seed, d, st, err);
        else
            rc = launch_fused(rs, mv, n_params, x, s0, B, A, sp, lo, hi, p->seed, d, st, err);
        if (rc) return rc;
        /* the kernel's inner passes (none when the ball is a point, as on
         * the host, whose attack then returns x at once) */
        if (model->add_passes && sp.eps > 0)
            model->add_passes(model->self, A * B * (size_t)sp.steps);
        /* the outer pass at every x'_j (constants), one batch of A B rows */
        if ((rc = model->forward(model->self, xa, A * B, sa, err))) return rc;
        sard_outer_kernel<<<gb, T, 0, st>>>(sa, s0, costs, B, (int)A, 0, (int)A, p->adv_weight,
                                            invB, loss, ds, dclean);
        if ((rc = l2d_cu_launched(err, WHO, "outer terms"))) return rc;
        if ((rc = model->backward(model->self, xa, A * B, ds, NULL, 1, err))) return rc;
        sard_count_kernel<<<1, 1, 0, st>>>(d->counter);
        if ((rc = l2d_cu_launched(err, WHO, "batch count"))) return rc;
    } else if (smooth) {
        struct inner_dev in;
        memset(&in, 0, sizeof in);
        in.obj.self = &in;
        in.obj.dim = D;
        in.obj.maximise = 1;
        in.obj.value_grad = inner_value_grad;
        in.obj.lo = model->lo;
        in.obj.hi = model->hi;
        in.obj.device = model->device;
        in.obj.stream = stream;
        in.m = model, in.s0 = s0, in.B = B, in.A = A, in.s = sa, in.ds = ds;
        for (size_t j = 0; j < A; j++) {
            in.j = j;
            float *xj = xa + j * B * D;
            const uint64_t seed = p->seed + p->batches * (uint64_t)A + j;
            if ((rc = attack->ops->perturb_device(attack->state, &in.obj, x, B, xj, seed, stream,
                                                  err)))
                return rc;
            /* the outer pass at x'_j: through r(x'_j) here, through r(x)
             * into dclean */
            if ((rc = model->forward(model->self, xj, B, sa, err))) return rc;
            sard_outer_kernel<<<gb, T, 0, st>>>(sa, s0, costs, B, (int)A, (int)j, (int)j + 1,
                                                p->adv_weight, invB, loss, ds, dclean);
            if ((rc = l2d_cu_launched(err, WHO, "outer terms"))) return rc;
            if ((rc = model->backward(model->self, xj, B, ds, NULL, 1, err))) return rc;
        }
    }
    /* the clean pass last: forward again, the attack moved the activations */
    if ((rc = model->forward(model->self, x, B, sa, err))) return rc;
    sard_to_float_kernel<<<l2d_cu_blocks(B * A, T), T, 0, st>>>(dclean, B * A, (float *)d->dcf);
    if ((rc = l2d_cu_launched(err, WHO, "clean gradient"))) return rc;
    return model->backward(model->self, x, B, (const float *)d->dcf, NULL, 1, err);
}
