/* The MLP for small models (every width <= SMALL_DIM, e.g. a rejector
 * 8 -> 8 -> 16 -> 4) on CPUs with AVX2 and FMA: row by row through all
 * layers with short vector loops, since there OpenBLAS's per-call overhead
 * and its separate passes for bias, ReLU and masks cost more than the
 * arithmetic.
 *
 * Rows are split across the engine's threads (core/pool.h) in fixed chunks;
 * forward and input gradients are per row, and the parameter gradient is
 * summed in fixed blocks of rows (float within a block, double across
 * blocks, in block order), so the bits do not depend on the thread count. */
#include "config.h"

#include "core/mlp_impl.h"

#include <stdlib.h>
#include <string.h>

#include "core/cpu_path.h"
#include "core/pool.h"

/* Taken where the CPU has AVX2 and FMA and the CPU path allows it
 * (core/cpu_path.c; the GEMM path serves the rest), for models no wider
 * than SMALL_DIM. */
#define SMALL_DIM 64       /* widest layer */
#define SMALL_LAYERS 16    /* most layers */
#define SMALL_PARAMS 8192  /* most parameters (stack scratch) */
#define SMALL_BLOCK 256    /* rows per float partial sum of the gradient */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SMALL_TARGET __attribute__((target("avx2,fma")))
#define SMALL_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* Unaligned, aliasing-safe float vectors. */
typedef float v8f __attribute__((vector_size(32), aligned(4), may_alias));
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));
typedef int v8i __attribute__((vector_size(32), aligned(4), may_alias));
typedef int v4i __attribute__((vector_size(16), aligned(4), may_alias));

/* Per-call view of the layers: no offset walks per row. */
struct small_net {
    size_t L, K[SMALL_LAYERS], N[SMALL_LAYERS], goff[SMALL_LAYERS];
    const float *W[SMALL_LAYERS], *b[SMALL_LAYERS], *Wt[SMALL_LAYERS];
    float *act[SMALL_LAYERS + 1];
};

int l2d_mlp_small_fits(const struct l2d_mlp *m)
{
    return m->n_layers <= SMALL_LAYERS && l2d_mlp_max_dim(m) <= SMALL_DIM &&
           m->n_params <= SMALL_PARAMS && l2d_cpu_mlp_small();
}

static void small_net_init(struct small_net *s, struct l2d_mlp *m)
{
    s->L = m->n_layers;
    for (size_t l = 0; l < s->L; l++) {
        s->K[l] = m->dims[l];
        s->N[l] = m->dims[l + 1];
        s->goff[l] = l2d_mlp_layer_offset(m, l);
        s->W[l] = m->params + s->goff[l];
        s->b[l] = s->W[l] + s->K[l] * s->N[l];
        s->Wt[l] = NULL;
    }
    for (size_t l = 0; l <= s->L; l++) s->act[l] = m->act[l];
}

/* z[N] = b + sum_k a[k] Wt[k][.], then ReLU when relu != 0 (z < 0 -> 0, so
 * a NaN passes through to the finiteness check). */
SMALL_INLINE void small_affine(const float *a, size_t K, const float *Wt, const float *b,
                               size_t N, int relu, float *z)
{
    size_t n = 0;
    for (; n + 8 <= N; n += 8) {
        v8f acc = *(const v8f *)(b + n);
        for (size_t k = 0; k < K; k++) acc += a[k] * *(const v8f *)(Wt + k * N + n);
        if (relu) acc = (v8f)((v8i)acc & ~(acc < 0.0f));
        *(v8f *)(z + n) = acc;
    }
    for (; n + 4 <= N; n += 4) {
        v4f acc = *(const v4f *)(b + n);
        for (size_t k = 0; k < K; k++) acc += a[k] * *(const v4f *)(Wt + k * N + n);
        if (relu) acc = (v4f)((v4i)acc & ~(acc < 0.0f));
        *(v4f *)(z + n) = acc;
    }
    for (; n < N; n++) {
        float acc = b[n];
        for (size_t k = 0; k < K; k++) acc += a[k] * Wt[k * N + n];
        if (relu && acc < 0.0f) acc = 0.0f;
        z[n] = acc;
    }
}

/* dst[K] = sum_n d[n] W[n][.]; with mask, entries where !(mask > 0) are 0
 * (ReLU' of the layer below). */
SMALL_INLINE void small_back(const float *d, size_t N, const float *W, size_t K,
                             const float *mask, float *dst)
{
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
        v8f acc = {0};
        for (size_t n = 0; n < N; n++) acc += d[n] * *(const v8f *)(W + n * K + k);
        if (mask) acc = (v8f)((v8i)acc & (*(const v8f *)(mask + k) > 0.0f));
        *(v8f *)(dst + k) = acc;
    }
    for (; k + 4 <= K; k += 4) {
        v4f acc = {0};
        for (size_t n = 0; n < N; n++) acc += d[n] * *(const v4f *)(W + n * K + k);
        if (mask) acc = (v4f)((v4i)acc & (*(const v4f *)(mask + k) > 0.0f));
        *(v4f *)(dst + k) = acc;
    }
    for (; k < K; k++) {
        float acc = 0.0f;
        for (size_t n = 0; n < N; n++) acc += d[n] * W[n * K + k];
        dst[k] = mask && !(mask[k] > 0.0f) ? 0.0f : acc;
    }
}

/* gW[N][K] += d[n] a[.], gb[N] += d */
SMALL_INLINE void small_outer(const float *d, size_t N, const float *a, size_t K, float *gW,
                              float *gb)
{
    for (size_t n = 0; n < N; n++) {
        const float dn = d[n];
        float *g = gW + n * K;
        size_t k = 0;
        for (; k + 8 <= K; k += 8) *(v8f *)(g + k) += dn * *(const v8f *)(a + k);
        for (; k + 4 <= K; k += 4) *(v4f *)(g + k) += dn * *(const v4f *)(a + k);
        for (; k < K; k++) g[k] += dn * a[k];
        gb[n] += dn;
    }
}

/* small_affine on SMALL_R rows at once (rows a + i K -> z + i N): the same
 * arithmetic per row, interleaved so the rows' FMA chains overlap. */
#define SMALL_R 8
SMALL_INLINE void small_affine_r(const float *a, size_t K, const float *Wt, const float *b,
                                 size_t N, int relu, float *z)
{
    size_t n = 0;
    for (; n + 8 <= N; n += 8) {
        v8f acc[SMALL_R];
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) acc[i] = *(const v8f *)(b + n);
        for (size_t k = 0; k < K; k++) {
            const v8f w = *(const v8f *)(Wt + k * N + n);
#pragma GCC unroll 8
            for (int i = 0; i < SMALL_R; i++) acc[i] += a[i * K + k] * w;
        }
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) {
            if (relu) acc[i] = (v8f)((v8i)acc[i] & ~(acc[i] < 0.0f));
            *(v8f *)(z + i * N + n) = acc[i];
        }
    }
    for (; n + 4 <= N; n += 4) {
        v4f acc[SMALL_R];
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) acc[i] = *(const v4f *)(b + n);
        for (size_t k = 0; k < K; k++) {
            const v4f w = *(const v4f *)(Wt + k * N + n);
#pragma GCC unroll 8
            for (int i = 0; i < SMALL_R; i++) acc[i] += a[i * K + k] * w;
        }
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) {
            if (relu) acc[i] = (v4f)((v4i)acc[i] & ~(acc[i] < 0.0f));
            *(v4f *)(z + i * N + n) = acc[i];
        }
    }
    if (n < N)
        for (int i = 0; i < SMALL_R; i++) {
            for (size_t j = n; j < N; j++) {
                float acc = b[j];
                for (size_t k = 0; k < K; k++) acc += a[i * K + k] * Wt[k * N + j];
                if (relu && acc < 0.0f) acc = 0.0f;
                z[i * N + j] = acc;
            }
        }
}

/* small_back on SMALL_R rows at once (d + i N, mask + i K -> dst + i K). */
SMALL_INLINE void small_back_r(const float *d, size_t N, const float *W, size_t K,
                               const float *mask, float *dst)
{
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
        v8f acc[SMALL_R];
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) acc[i] = (v8f){0};
        for (size_t n = 0; n < N; n++) {
            const v8f w = *(const v8f *)(W + n * K + k);
#pragma GCC unroll 8
            for (int i = 0; i < SMALL_R; i++) acc[i] += d[i * N + n] * w;
        }
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) {
            if (mask) acc[i] = (v8f)((v8i)acc[i] & (*(const v8f *)(mask + i * K + k) > 0.0f));
            *(v8f *)(dst + i * K + k) = acc[i];
        }
    }
    for (; k + 4 <= K; k += 4) {
        v4f acc[SMALL_R];
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) acc[i] = (v4f){0};
        for (size_t n = 0; n < N; n++) {
            const v4f w = *(const v4f *)(W + n * K + k);
#pragma GCC unroll 8
            for (int i = 0; i < SMALL_R; i++) acc[i] += d[i * N + n] * w;
        }
#pragma GCC unroll 8
        for (int i = 0; i < SMALL_R; i++) {
            if (mask) acc[i] = (v4f)((v4i)acc[i] & (*(const v4f *)(mask + i * K + k) > 0.0f));
            *(v4f *)(dst + i * K + k) = acc[i];
        }
    }
    if (k < K)
        for (int i = 0; i < SMALL_R; i++)
            for (size_t j = k; j < K; j++) {
                float acc = 0.0f;
                for (size_t n = 0; n < N; n++) acc += d[i * N + n] * W[n * K + j];
                dst[i * K + j] = mask && !(mask[i * K + j] > 0.0f) ? 0.0f : acc;
            }
}

/* Forward of rows [r0, r1); act[0] already holds x. */
SMALL_TARGET static void small_forward_rows(const struct small_net *s, size_t r0, size_t r1)
{
    const size_t L = s->L;
    size_t r = r0;
    for (; r + SMALL_R <= r1; r += SMALL_R)
        for (size_t l = 0; l < L; l++)
            small_affine_r(s->act[l] + r * s->K[l], s->K[l], s->Wt[l], s->b[l], s->N[l],
                           l + 1 < L, s->act[l + 1] + r * s->N[l]);
    for (; r < r1; r++)
        for (size_t l = 0; l < L; l++)
            small_affine(s->act[l] + r * s->K[l], s->K[l], s->Wt[l], s->b[l], s->N[l], l + 1 < L,
                         s->act[l + 1] + r * s->N[l]);
}

struct fwd_job {
    const struct small_net *s;
    size_t B;
};

static void fwd_job_run(void *arg, int t, int nt)
{
    const struct fwd_job *j = arg;
    size_t r0, r1;
    l2d_pool_share(j->B, SMALL_R, t, nt, &r0, &r1);
    small_forward_rows(j->s, r0, r1);
}

void l2d_mlp_small_forward(struct l2d_mlp *m, size_t B)
{
    struct small_net s;
    float Wt[SMALL_PARAMS];
    small_net_init(&s, m);
    float *wt = Wt;
    for (size_t l = 0; l < s.L; l++) {
        const size_t K = s.K[l], N = s.N[l];
        for (size_t n = 0; n < N; n++)
            for (size_t k = 0; k < K; k++) wt[k * N + n] = s.W[l][n * K + k];
        s.Wt[l] = wt;
        wt += K * N;
    }
    struct fwd_job job = {&s, B};
    l2d_pool_run(fwd_job_run, &job, l2d_pool_threads_for(B));
}

/* Backward of rows [r0, r1) (one gradient block when g != NULL: g gets the
 * block's float sums, zeroed here first, added row after row in order). */
SMALL_TARGET static void small_backward_rows(const struct small_net *s, size_t np,
                                             const float *dy, size_t r0, size_t r1, float *dx,
                                             float *g)
{
    const size_t L = s->L, out = s->N[L - 1];
    float buf[2][SMALL_R * SMALL_DIM];
    if (g) memset(g, 0, np * sizeof *g);
    size_t r = r0;
    for (; r + SMALL_R <= r1; r += SMALL_R) {
        const float *d = dy + r * out;
        float *nxt = buf[0];
        for (size_t l = L; l-- > 0;) {
            const size_t K = s->K[l], N = s->N[l];
            const float *a = s->act[l] + r * K;
            if (g)
                for (int i = 0; i < SMALL_R; i++)
                    small_outer(d + i * N, N, a + i * K, K, g + s->goff[l],
                                g + s->goff[l] + N * K);
            if (l == 0) {
                if (dx) small_back_r(d, N, s->W[0], K, NULL, dx + r * K);
                break;
            }
            small_back_r(d, N, s->W[l], K, a, nxt);
            d = nxt;
            nxt = nxt == buf[0] ? buf[1] : buf[0];
        }
    }
    for (; r < r1; r++) {
        const float *d = dy + r * out;
        float *nxt = buf[0];
        for (size_t l = L; l-- > 0;) {
            const size_t K = s->K[l], N = s->N[l];
            const float *a = s->act[l] + r * K;
            if (g) small_outer(d, N, a, K, g + s->goff[l], g + s->goff[l] + N * K);
            if (l == 0) {
                if (dx) small_back(d, N, s->W[0], K, NULL, dx + r * K);
                break;
            }
            small_back(d, N, s->W[l], K, a, nxt);
            d = nxt;
            nxt = nxt == buf[0] ? buf[1] : buf[0];
        }
    }
}

struct bwd_job {
    const struct small_net *s;
    size_t np, B;
    const float *dy;
    float *dx;
    float *g; /* [blocks][np] partial sums, or NULL: no parameter gradient */
};

static void bwd_job_run(void *arg, int t, int nt)
{
    const struct bwd_job *j = arg;
    size_t r0, r1;
    l2d_pool_share(j->B, SMALL_BLOCK, t, nt, &r0, &r1);
    if (!j->g) {
        small_backward_rows(j->s, j->np, j->dy, r0, r1, j->dx, NULL);
        return;
    }
    for (size_t b0 = r0; b0 < r1; b0 += SMALL_BLOCK) {
        size_t b1 = r1 - b0 < SMALL_BLOCK ? r1 : b0 + SMALL_BLOCK;
        small_backward_rows(j->s, j->np, j->dy, b0, b1, j->dx, j->g + b0 / SMALL_BLOCK * j->np);
    }
}

int l2d_mlp_small_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx,
                           int accumulate, struct l2d_error *err)
{
    struct small_net s;
    small_net_init(&s, m);
    const size_t np = m->n_params, nblk = (B + SMALL_BLOCK - 1) / SMALL_BLOCK;
    struct bwd_job job = {&s, np, B, dy, dx, NULL};
    if (accumulate) {
        job.g = malloc(nblk * np * sizeof *job.g);
        if (!job.g)
            return l2d_seterr(err, L2D_ENOMEM, "mlp backward: cannot allocate gradient blocks");
    }
    l2d_pool_run(bwd_job_run, &job, l2d_pool_threads_for(B));
    if (!accumulate) return 0;
    double acc[SMALL_PARAMS];
    memset(acc, 0, np * sizeof *acc);
    for (size_t b = 0; b < nblk; b++)
        for (size_t i = 0; i < np; i++) acc[i] += job.g[b * np + i];
    for (size_t i = 0; i < np; i++) m->grads[i] = (float)((double)m->grads[i] + acc[i]);
    free(job.g);
    return 0;
}
#else
int l2d_mlp_small_fits(const struct l2d_mlp *m)
{
    (void)m;
    return 0;
}
void l2d_mlp_small_forward(struct l2d_mlp *m, size_t B) { (void)m, (void)B; }
int l2d_mlp_small_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx,
                           int accumulate, struct l2d_error *err)
{
    (void)m, (void)dy, (void)B, (void)dx, (void)accumulate, (void)err;
    return 0;
}
#endif
