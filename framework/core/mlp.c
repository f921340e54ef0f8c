/* Multi-layer perceptron on the CPU: Linear layers with ReLU between them,
 * GEMMs through OpenBLAS, or for small models (every width <= SMALL_DIM,
 * e.g. a rejector 8 -> 8 -> 16 -> 4) on CPUs with AVX2 and FMA, row by row
 * through all layers with short vector loops: there OpenBLAS's per-call
 * overhead and its separate passes for bias, ReLU and masks cost more than
 * the arithmetic.
 *
 * Repeatability: every reduction is either a GEMM or a serial loop, so a
 * given seed gives the same bits run after run as long as OpenBLAS uses the
 * same number of threads (its GEMM partitioning depends on it). Threading is
 * left to the caller (OPENBLAS_NUM_THREADS or openblas_set_num_threads()).
 * The small path's parameter gradient is summed in fixed blocks of rows
 * (float within a block, double across blocks, in block order), so its bits
 * do not depend on the thread count.
 *
 * Parameter layout, per layer l: W[dims[l+1]][dims[l]] row-major, then
 * b[dims[l+1]]. Activations act[l] hold layer inputs after ReLU, which is
 * all backward needs (ReLU'(z) = [relu(z) > 0]). */
#include "config.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"

static size_t layer_offset(const struct l2d_mlp *m, size_t l)
{
    size_t off = 0;
    for (size_t i = 0; i < l; i++) off += m->dims[i + 1] * m->dims[i] + m->dims[i + 1];
    return off;
}

float *l2d_mlp_weight(struct l2d_mlp *m, size_t l) { return m->params + layer_offset(m, l); }

float *l2d_mlp_bias(struct l2d_mlp *m, size_t l)
{
    return m->params + layer_offset(m, l) + m->dims[l + 1] * m->dims[l];
}

static size_t max_dim(const struct l2d_mlp *m)
{
    size_t d = 0;
    for (size_t l = 0; l <= m->n_layers; l++)
        if (m->dims[l] > d) d = m->dims[l];
    return d;
}

void l2d_mlp_destroy(struct l2d_mlp *m)
{
    if (!m) return;
    if (m->act)
        for (size_t l = 0; l <= m->n_layers; l++) free(m->act[l]);
    free(m->act);
    free(m->dbuf[0]);
    free(m->dbuf[1]);
    free(m->params);
    free(m->grads);
    free(m->dims);
    free(m);
}

int l2d_mlp_create(struct l2d_mlp **out_m, size_t in, const size_t *hidden, size_t nh, size_t out,
                   struct l2d_rng *rng, struct l2d_error *err)
{
    if (!out_m || !rng) return l2d_seterr(err, L2D_EINVAL, "mlp: NULL model pointer or rng");
    *out_m = NULL;
    if (in == 0 || out == 0)
        return l2d_seterr(err, L2D_EINVAL, "mlp: input (%zu) and output (%zu) sizes must be > 0", in,
                          out);
    if (nh > 0 && !hidden) return l2d_seterr(err, L2D_EINVAL, "mlp: %zu hidden layers but no sizes", nh);
    if (nh > 1024) return l2d_seterr(err, L2D_EINVAL, "mlp: too many hidden layers (%zu)", nh);
    for (size_t i = 0; i < nh; i++)
        if (hidden[i] == 0) return l2d_seterr(err, L2D_EINVAL, "mlp: hidden layer %zu has size 0", i);

    struct l2d_mlp *m = calloc(1, sizeof *m);
    if (!m) return l2d_seterr(err, L2D_ENOMEM, "mlp: cannot allocate model");
    m->in = in;
    m->out = out;
    m->n_layers = nh + 1;
    m->dims = malloc((m->n_layers + 1) * sizeof *m->dims);
    m->act = calloc(m->n_layers + 1, sizeof *m->act);
    if (!m->dims || !m->act) {
        l2d_mlp_destroy(m);
        return l2d_seterr(err, L2D_ENOMEM, "mlp: cannot allocate layer tables");
    }
    m->dims[0] = in;
    for (size_t i = 0; i < nh; i++) m->dims[i + 1] = hidden[i];
    m->dims[m->n_layers] = out;

    size_t n = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t a = m->dims[l], b = m->dims[l + 1];
        /* cblas takes int sizes; also guards the products below */
        if (a > INT_MAX || b > INT_MAX || a > (SIZE_MAX / 4 - n) / b - 1) {
            l2d_mlp_destroy(m);
            return l2d_seterr(err, L2D_EINVAL, "mlp: layer %zu (%zu x %zu) is too large", l, b, a);
        }
        n += b * a + b;
    }
    m->n_params = n;
    m->params = malloc(n * sizeof *m->params);
    m->grads = calloc(n, sizeof *m->grads);
    if (!m->params || !m->grads) {
        l2d_mlp_destroy(m);
        return l2d_seterr(err, L2D_ENOMEM, "mlp: cannot allocate %zu parameters", n);
    }
    /* PyTorch nn.Linear: kaiming_uniform_(a=sqrt(5)) gives bound
     * 1/sqrt(fan_in) for W, and b uses the same bound. */
    float *p = m->params;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t fan_in = m->dims[l], cnt = m->dims[l + 1] * (fan_in + 1);
        double bound = 1.0 / sqrt((double)fan_in);
        for (size_t i = 0; i < cnt; i++) *p++ = (float)((2.0 * l2d_rng_uniform(rng) - 1.0) * bound);
    }
    *out_m = m;
    return 0;
}

static int grow(struct l2d_mlp *m, size_t B, struct l2d_error *err)
{
    if (B <= m->cap) return 0;
    size_t md = max_dim(m);
    if (B > INT_MAX || B > SIZE_MAX / sizeof(float) / md)
        return l2d_seterr(err, L2D_EINVAL, "mlp: batch of %zu rows is too large", B);
    /* cap only moves once every buffer is big enough; a failed realloc
     * leaves the old (still valid) buffer in place */
    for (size_t l = 0; l <= m->n_layers; l++) {
        float *q = realloc(m->act[l], B * m->dims[l] * sizeof *q);
        if (!q) return l2d_seterr(err, L2D_ENOMEM, "mlp: cannot allocate activations for %zu rows", B);
        m->act[l] = q;
    }
    for (int i = 0; i < 2; i++) {
        float *q = realloc(m->dbuf[i], B * md * sizeof *q);
        if (!q) return l2d_seterr(err, L2D_ENOMEM, "mlp: cannot allocate gradients for %zu rows", B);
        m->dbuf[i] = q;
    }
    m->cap = B;
    return 0;
}

/* ---- small models: row by row, all layers at once ------------------------ */

/* Taken where the CPU has AVX2 and FMA (checked once at run time; the GEMM
 * path serves the rest), for models no wider than SMALL_DIM. */
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

static int small_cpu(void)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return have;
}

static int is_small(const struct l2d_mlp *m)
{
    return m->n_layers <= SMALL_LAYERS && max_dim(m) <= SMALL_DIM &&
           m->n_params <= SMALL_PARAMS && small_cpu();
}

static void small_net_init(struct small_net *s, struct l2d_mlp *m)
{
    s->L = m->n_layers;
    for (size_t l = 0; l < s->L; l++) {
        s->K[l] = m->dims[l];
        s->N[l] = m->dims[l + 1];
        s->goff[l] = layer_offset(m, l);
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

/* ---- a small thread pool for the small path ------------------------------
 * Rows are split across threads in fixed chunks; forward and input
 * gradients are per row, and the parameter gradient is summed per fixed
 * block of rows and then across blocks in order, so the bits do not depend
 * on the thread count. The count is OpenBLAS's (l2d_set_threads() sets it),
 * so the engine has one thread setting. Workers poll briefly between jobs
 * (a SARD step is a few hundred microseconds; waking a sleeping thread costs
 * tens), yielding often so that a CPU shared with the caller or another
 * program is not taken from it, then sleep. A caller that finds the pool busy (another thread of
 * the program in the engine) does the whole job itself. */
#define POOL_MAX 16          /* threads at most, the caller included */
#define POOL_SPIN 4096       /* idle polls (16 pauses each, a yield every
                                16th) before a worker sleeps: about 1 ms */
#define POOL_MIN_ROWS 512    /* rows per thread below which one thread does it */

typedef void (*pool_fn)(void *arg, int t, int nt);

static struct {
    pthread_mutex_t mu;      /* held by the caller for a whole job */
    pthread_mutex_t sleep_mu;
    pthread_cond_t wake;
    int workers;             /* started */
    int sleeping;
    atomic_ulong gen;        /* job number */
    atomic_int pending;      /* workers yet to check in for the current job */
    pool_fn fn;
    void *arg;
    int nt;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .sleep_mu = PTHREAD_MUTEX_INITIALIZER,
        .wake = PTHREAD_COND_INITIALIZER};

/* The job number when worker t was started: jobs up to it are not its own
 * (written before pthread_create, which orders it before the worker). */
static unsigned long pool_start_gen[POOL_MAX];

static void *pool_worker(void *p)
{
    const int t = (int)(intptr_t)p;
    unsigned long seen = pool_start_gen[t];
    for (;;) {
        unsigned long g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.gen, memory_order_acquire)) == seen) {
            if (++spins < POOL_SPIN) {
                /* yield often: on a CPU shared with the caller (or anyone)
                 * a pure spin would take half of its time */
                if (spins % 16 == 0) sched_yield();
#if defined(__x86_64__) || defined(__i386__)
                for (int q = 0; q < 16; q++) __builtin_ia32_pause();
#endif
                continue;
            }
            pthread_mutex_lock(&pool.sleep_mu);
            pool.sleeping++;
            while (atomic_load_explicit(&pool.gen, memory_order_acquire) == seen)
                pthread_cond_wait(&pool.wake, &pool.sleep_mu);
            pool.sleeping--;
            pthread_mutex_unlock(&pool.sleep_mu);
            spins = 0;
        }
        seen = g;
        /* every worker checks in, those beyond nt without work: the caller
         * then knows none is still reading this job when it posts the next */
        if (t < pool.nt) pool.fn(pool.arg, t, pool.nt);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

/* A child of fork() has none of the workers: it starts its own. */
static void pool_atfork_child(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_mutex_init(&pool.sleep_mu, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.workers = 0;
    pool.sleeping = 0;
}

static void pool_once_init(void) { pthread_atfork(NULL, NULL, pool_atfork_child); }

static int engine_threads(void)
{
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : n;
}

/* fn(arg, t, nt) for t = 0 .. nt-1, t = 0 on the calling thread. */
static void pool_run(pool_fn fn, void *arg, int nt)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (nt > 1) pthread_once(&once, pool_once_init);
    if (nt > 1 && pthread_mutex_trylock(&pool.mu) != 0) nt = 1;
    if (nt <= 1) {
        fn(arg, 0, 1);
        return;
    }
    while (pool.workers < nt - 1) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pool_start_gen[pool.workers + 1] = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        int ok = pthread_create(&th, &at, pool_worker, (void *)(intptr_t)(pool.workers + 1)) == 0;
        pthread_attr_destroy(&at);
        if (!ok) break;
        pool.workers++;
    }
    if (nt > pool.workers + 1) nt = pool.workers + 1;
    pool.fn = fn;
    pool.arg = arg;
    pool.nt = nt;
    atomic_store_explicit(&pool.pending, pool.workers, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
    pthread_mutex_lock(&pool.sleep_mu);
    if (pool.sleeping) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleep_mu);
    fn(arg, 0, nt);
    /* a worker that lost its CPU to another process needs it back */
    for (int spins = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; spins++) {
        if (spins > 256) {
            sched_yield();
            continue;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_unlock(&pool.mu);
}

/* Threads for B rows of work: at least POOL_MIN_ROWS rows each. */
static int threads_for(size_t B)
{
    int nt = engine_threads();
    while (nt > 1 && B / (size_t)nt < POOL_MIN_ROWS) nt--;
    return nt;
}

/* Rows [*r0, *r1) of thread t of nt, cut on multiples of `unit`. */
static void share(size_t B, size_t unit, int t, int nt, size_t *r0, size_t *r1)
{
    size_t units = (B + unit - 1) / unit;
    size_t u0 = units * (size_t)t / (size_t)nt, u1 = units * (size_t)(t + 1) / (size_t)nt;
    *r0 = u0 * unit < B ? u0 * unit : B;
    *r1 = u1 * unit < B ? u1 * unit : B;
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
    share(j->B, SMALL_R, t, nt, &r0, &r1);
    small_forward_rows(j->s, r0, r1);
}

static void small_forward(struct l2d_mlp *m, size_t B)
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
    pool_run(fwd_job_run, &job, threads_for(B));
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
    share(j->B, SMALL_BLOCK, t, nt, &r0, &r1);
    if (!j->g) {
        small_backward_rows(j->s, j->np, j->dy, r0, r1, j->dx, NULL);
        return;
    }
    for (size_t b0 = r0; b0 < r1; b0 += SMALL_BLOCK) {
        size_t b1 = r1 - b0 < SMALL_BLOCK ? r1 : b0 + SMALL_BLOCK;
        small_backward_rows(j->s, j->np, j->dy, b0, b1, j->dx, j->g + b0 / SMALL_BLOCK * j->np);
    }
}

static int small_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx,
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
    pool_run(bwd_job_run, &job, threads_for(B));
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
static int is_small(const struct l2d_mlp *m)
{
    (void)m;
    return 0;
}
static void small_forward(struct l2d_mlp *m, size_t B) { (void)m, (void)B; }
static int small_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx,
                          int accumulate, struct l2d_error *err)
{
    (void)m, (void)dy, (void)B, (void)dx, (void)accumulate, (void)err;
    return 0;
}
#endif

int l2d_mlp_forward(struct l2d_mlp *m, const float *x, size_t B, float *y, struct l2d_error *err)
{
    if (!m || !x || !y) return l2d_seterr(err, L2D_EINVAL, "mlp forward: NULL argument");
    if (B == 0) return 0;
    int rc = grow(m, B, err);
    if (rc) return rc;
    memcpy(m->act[0], x, B * m->in * sizeof *x);
    const int small = is_small(m);
    if (small) small_forward(m, B);
    for (size_t l = 0; !small && l < m->n_layers; l++) {
        const int K = (int)m->dims[l], N = (int)m->dims[l + 1];
        const float *W = l2d_mlp_weight(m, l), *b = l2d_mlp_bias(m, l);
        float *z = m->act[l + 1];
        for (size_t r = 0; r < B; r++) memcpy(z + r * (size_t)N, b, (size_t)N * sizeof *b);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, N, K, 1.0f, m->act[l], K, W, K,
                    1.0f, z, N);
        if (l + 1 < m->n_layers)
            for (size_t i = 0; i < B * (size_t)N; i++)
                if (z[i] < 0.0f) z[i] = 0.0f; /* NaN passes through, to be caught below */
    }
    const float *o = m->act[m->n_layers];
    for (size_t i = 0; i < B * m->out; i++)
        if (!isfinite(o[i]))
            return l2d_seterr(err, L2D_ENUMERIC, "mlp forward: non-finite output at row %zu, column %zu",
                              i / m->out, i % m->out);
    memcpy(y, o, B * m->out * sizeof *y);
    return 0;
}

int l2d_mlp_backward(struct l2d_mlp *m, const float *dy, size_t B, float *dx, int accumulate,
                     struct l2d_error *err)
{
    if (!m || !dy) return l2d_seterr(err, L2D_EINVAL, "mlp backward: NULL argument");
    if (B == 0) return 0;
    if (B > m->cap)
        return l2d_seterr(err, L2D_EINVAL,
                          "mlp backward: batch of %zu rows but the last forward kept at most %zu", B,
                          m->cap);
    if (is_small(m)) return small_backward(m, dy, B, dx, accumulate, err);
    float *delta = m->dbuf[0], *prev = m->dbuf[1];
    memcpy(delta, dy, B * m->out * sizeof *dy);
    for (size_t l = m->n_layers; l-- > 0;) {
        const int K = (int)m->dims[l], N = (int)m->dims[l + 1];
        if (accumulate) {
            size_t off = layer_offset(m, l);
            float *gW = m->grads + off, *gb = gW + (size_t)N * (size_t)K;
            /* gW[N][K] += delta^T[N][B] act[l][B][K] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, (int)B, 1.0f, delta, N,
                        m->act[l], K, 1.0f, gW, K);
            for (int j = 0; j < N; j++) {
                double s = 0.0;
                for (size_t r = 0; r < B; r++) s += delta[r * (size_t)N + (size_t)j];
                gb[j] = (float)((double)gb[j] + s);
            }
        }
        if (l == 0 && !dx) break;
        float *dst = l == 0 ? dx : prev;
        /* dst[B][K] = delta[B][N] W[N][K] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, K, N, 1.0f, delta, N,
                    l2d_mlp_weight(m, l), K, 0.0f, dst, K);
        if (l == 0) break;
        const float *a = m->act[l];
        for (size_t i = 0; i < B * (size_t)K; i++)
            if (!(a[i] > 0.0f)) prev[i] = 0.0f;
        float *t = delta;
        delta = prev;
        prev = t;
    }
    return 0;
}

void l2d_mlp_zero_grad(struct l2d_mlp *m) { memset(m->grads, 0, m->n_params * sizeof *m->grads); }

int l2d_mlp_copy_params(struct l2d_mlp *dst, const struct l2d_mlp *src)
{
    if (!dst || !src || dst->n_layers != src->n_layers) return L2D_EINVAL;
    for (size_t l = 0; l <= src->n_layers; l++)
        if (dst->dims[l] != src->dims[l]) return L2D_EINVAL;
    memcpy(dst->params, src->params, src->n_params * sizeof *src->params);
    return 0;
}
