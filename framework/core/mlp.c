/* Multi-layer perceptron on the CPU: Linear layers with ReLU between them,
 * GEMMs through OpenBLAS, or for small models on CPUs with AVX2 and FMA the
 * row-by-row path of mlp_small.c.
 *
 * Repeatability: every reduction is either a GEMM or a serial loop, so a
 * given seed gives the same bits run after run as long as OpenBLAS uses the
 * same number of threads (its GEMM partitioning depends on it). Threading is
 * left to the caller (OPENBLAS_NUM_THREADS or openblas_set_num_threads()).
 *
 * Parameter layout, per layer l: W[dims[l+1]][dims[l]] row-major, then
 * b[dims[l+1]]. Activations act[l] hold layer inputs after ReLU, which is
 * all backward needs (ReLU'(z) = [relu(z) > 0]). */
#include "config.h"

#include "core/mlp_impl.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

float *l2d_mlp_weight(struct l2d_mlp *m, size_t l) { return m->params + l2d_mlp_layer_offset(m, l); }

float *l2d_mlp_bias(struct l2d_mlp *m, size_t l)
{
    return m->params + l2d_mlp_layer_offset(m, l) + m->dims[l + 1] * m->dims[l];
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
    size_t md = l2d_mlp_max_dim(m);
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

int l2d_mlp_forward(struct l2d_mlp *m, const float *x, size_t B, float *y, struct l2d_error *err)
{
    if (!m || !x || !y) return l2d_seterr(err, L2D_EINVAL, "mlp forward: NULL argument");
    if (B == 0) return 0;
    int rc = grow(m, B, err);
    if (rc) return rc;
    memcpy(m->act[0], x, B * m->in * sizeof *x);
    const int small = l2d_mlp_small_fits(m);
    if (small) l2d_mlp_small_forward(m, B);
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
    if (l2d_mlp_small_fits(m)) return l2d_mlp_small_backward(m, dy, B, dx, accumulate, err);
    float *delta = m->dbuf[0], *prev = m->dbuf[1];
    memcpy(delta, dy, B * m->out * sizeof *dy);
    for (size_t l = m->n_layers; l-- > 0;) {
        const int K = (int)m->dims[l], N = (int)m->dims[l + 1];
        if (accumulate) {
            size_t off = l2d_mlp_layer_offset(m, l);
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
