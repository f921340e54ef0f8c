/* The test-only device MLP of cuda_test_mlp.h. */
#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_test_mlp.h"

#define TMLP_MAX_LAYERS 8
#define TMLP_MAX_WIDTH 128

struct tmlp_dims {
    int nl, d[TMLP_MAX_LAYERS + 1];
    size_t off[TMLP_MAX_LAYERS];
};

struct tmlp {
    struct tmlp_dims dm;
    size_t host_dims[TMLP_MAX_LAYERS + 1];
    struct l2d_mlp_view view;
    size_t n_params, max_rows, last_rows;
    float *params, *grads;
    float *act[TMLP_MAX_LAYERS + 1]; /* layer inputs after ReLU; act[nl]: output */
    float *dz[TMLP_MAX_LAYERS];      /* d loss / d (layer l's output before ReLU) */
    cudaStream_t stream;
    uint64_t bw_rows, added_rows;
};

static int cu_err(cudaError_t e, struct l2d_error *err, const char *what)
{
    return l2d_seterr(err, L2D_EINTERNAL, "test mlp: %s: %s", what, cudaGetErrorString(e));
}

__global__ void tmlp_forward_kernel(struct tmlp_dims dm, const float *P, size_t B, float **actp)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    for (int l = 0; l < dm.nl; l++) {
        const int K = dm.d[l], N = dm.d[l + 1];
        const float *W = P + dm.off[l], *b = W + (size_t)N * K;
        const float *a = actp[l] + i * K;
        float *z = actp[l + 1] + i * N;
        for (int n = 0; n < N; n++) {
            float s = b[n];
            for (int k = 0; k < K; k++) s = fmaf(W[n * K + k], a[k], s);
            z[n] = l + 1 < dm.nl && s < 0.0f ? 0.0f : s;
        }
    }
}

/* dz per layer and, when dx != NULL, dx */
__global__ void tmlp_backward_kernel(struct tmlp_dims dm, const float *P, size_t B,
                                     float *const *actp, float *const *dzp, const float *dy,
                                     float *dx)
{
    const size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= B) return;
    const int L = dm.nl;
    float *top = dzp[L - 1] + i * dm.d[L];
    for (int n = 0; n < dm.d[L]; n++) top[n] = dy[i * dm.d[L] + n];
    for (int l = L - 1; l >= 0; l--) {
        const int K = dm.d[l], N = dm.d[l + 1];
        if (l == 0 && !dx) break;
        const float *W = P + dm.off[l], *d = dzp[l] + i * N;
        float *dst = l == 0 ? dx + i * K : dzp[l - 1] + i * K;
        const float *a = actp[l] + i * K;
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int n = 0; n < N; n++) s = fmaf(d[n], W[n * K + k], s);
            dst[k] = l == 0 || a[k] > 0.0f ? s : 0.0f;
        }
    }
}

/* grads[q] += sum over rows, one block per parameter, rows strided over the
 * threads then a fixed tree: the same order every run. */
__global__ void tmlp_grad_kernel(struct tmlp_dims dm, size_t B, float *const *actp,
                                 float *const *dzp, float *grads)
{
    __shared__ double part[256];
    const size_t q = blockIdx.x;
    int l = 0;
    while (l + 1 < dm.nl && q >= dm.off[l + 1]) l++;
    const int K = dm.d[l], N = dm.d[l + 1];
    const size_t r = q - dm.off[l];
    const int bias = r >= (size_t)N * K;
    const int n = bias ? (int)(r - (size_t)N * K) : (int)(r / K), k = bias ? 0 : (int)(r % K);
    double s = 0.0;
    for (size_t i = threadIdx.x; i < B; i += blockDim.x) {
        const double d = dzp[l][i * N + n];
        s += bias ? d : d * actp[l][i * K + k];
    }
    part[threadIdx.x] = s;
    __syncthreads();
    for (unsigned h = blockDim.x / 2; h > 0; h /= 2) {
        if (threadIdx.x < h) part[threadIdx.x] += part[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) grads[q] = (float)((double)grads[q] + part[0]);
}

static float **dev_ptr_array(float *const *h, int n)
{
    float **d = NULL;
    if (cudaMalloc((void **)&d, n * sizeof *d) != cudaSuccess) return NULL;
    if (cudaMemcpy(d, h, n * sizeof *d, cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        return NULL;
    }
    return d;
}

/* m first, so that a struct tmlp * is the whole */
struct tmlp_full {
    struct tmlp m;
    float **act_d, **dz_d; /* device copies of m.act and m.dz */
};

static int tm_forward(void *self, const float *x, size_t B, float *scores, struct l2d_error *err)
{
    struct tmlp_full *f = (struct tmlp_full *)self;
    struct tmlp *m = &f->m;
    if (B > m->max_rows) return l2d_seterr(err, L2D_EINVAL, "test mlp: %zu rows > %zu", B, m->max_rows);
    if (B == 0) return 0;
    cudaError_t e = cudaMemcpyAsync(m->act[0], x, B * m->dm.d[0] * sizeof(float),
                                    cudaMemcpyDeviceToDevice, m->stream);
    if (e != cudaSuccess) return cu_err(e, err, "copy x");
    tmlp_forward_kernel<<<(unsigned)((B + 127) / 128), 128, 0, m->stream>>>(m->dm, m->params, B,
                                                                          f->act_d);
    const int L = m->dm.nl;
    e = cudaMemcpyAsync(scores, m->act[L], B * m->dm.d[L] * sizeof(float),
                        cudaMemcpyDeviceToDevice, m->stream);
    if (e != cudaSuccess) return cu_err(e, err, "copy scores");
    m->last_rows = B;
    return 0;
}

static int tm_backward(void *self, const float *x, size_t B, const float *dscores, float *dx,
                       int accumulate, struct l2d_error *err)
{
    struct tmlp_full *f = (struct tmlp_full *)self;
    struct tmlp *m = &f->m;
    (void)x; /* the activations of the forward on x */
    if (B != m->last_rows)
        return l2d_seterr(err, L2D_EINVAL, "test mlp: backward on %zu rows after a forward on %zu",
                          B, m->last_rows);
    if (B == 0) return 0;
    m->bw_rows += B;
    tmlp_backward_kernel<<<(unsigned)((B + 127) / 128), 128, 0, m->stream>>>(
        m->dm, m->params, B, f->act_d, f->dz_d, dscores, dx);
    if (accumulate)
        tmlp_grad_kernel<<<(unsigned)m->n_params, 256, 0, m->stream>>>(m->dm, B, f->act_d, f->dz_d,
                                                                      m->grads);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : cu_err(e, err, "backward kernels");
}

static void tm_add_passes(void *self, size_t rows) { ((struct tmlp_full *)self)->m.added_rows += rows; }

extern "C" void tmlp_destroy(struct tmlp *m)
{
    if (!m) return;
    struct tmlp_full *f = (struct tmlp_full *)m;
    cudaFree(m->params), cudaFree(m->grads);
    for (int l = 0; l <= TMLP_MAX_LAYERS; l++) cudaFree(m->act[l]);
    for (int l = 0; l < TMLP_MAX_LAYERS; l++) cudaFree(m->dz[l]);
    cudaFree(f->act_d), cudaFree(f->dz_d);
    free(f);
}

extern "C" int tmlp_create(struct tmlp **out, size_t n_layers, const size_t *dims,
                           const float *params, size_t max_rows, void *stream,
                           struct l2d_error *err)
{
    if (n_layers < 1 || n_layers > TMLP_MAX_LAYERS)
        return l2d_seterr(err, L2D_EINVAL, "test mlp: %zu layers", n_layers);
    struct tmlp_full *f = (struct tmlp_full *)calloc(1, sizeof *f);
    if (!f) return l2d_seterr(err, L2D_ENOMEM, "test mlp: out of memory");
    struct tmlp *m = &f->m;
    m->dm.nl = (int)n_layers;
    size_t off = 0;
    for (size_t l = 0; l <= n_layers; l++) {
        m->dm.d[l] = (int)dims[l];
        m->host_dims[l] = dims[l];
    }
    for (size_t l = 0; l < n_layers; l++) {
        m->dm.off[l] = off;
        off += dims[l + 1] * (dims[l] + 1);
    }
    m->n_params = off;
    m->max_rows = max_rows;
    m->stream = (cudaStream_t)stream;
    cudaError_t e = cudaMalloc((void **)&m->params, off * sizeof(float));
    if (e == cudaSuccess) e = cudaMalloc((void **)&m->grads, off * sizeof(float));
    if (e == cudaSuccess) e = cudaMemcpy(m->params, params, off * sizeof(float), cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemset(m->grads, 0, off * sizeof(float));
    for (size_t l = 0; e == cudaSuccess && l <= n_layers; l++)
        e = cudaMalloc((void **)&m->act[l], max_rows * dims[l] * sizeof(float));
    for (size_t l = 0; e == cudaSuccess && l < n_layers; l++)
        e = cudaMalloc((void **)&m->dz[l], max_rows * dims[l + 1] * sizeof(float));
    if (e == cudaSuccess) {
        f->act_d = dev_ptr_array(m->act, (int)n_layers + 1);
        f->dz_d = dev_ptr_array(m->dz, (int)n_layers);
        if (!f->act_d || !f->dz_d) e = cudaErrorMemoryAllocation;
    }
    if (e != cudaSuccess) {
        tmlp_destroy(m);
        return cu_err(e, err, "allocate");
    }
    m->view.n_layers = n_layers;
    m->view.dims = m->host_dims;
    m->view.params = m->params;
    m->view.grads = m->grads;
    *out = m;
    return 0;
}

extern "C" void tmlp_ctx(struct tmlp *m, struct l2d_model_ctx *ctx, const float *lo,
                         const float *hi, int with_view)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->self = m;
    ctx->dim = (size_t)m->dm.d[0];
    ctx->n_agents = (size_t)m->dm.d[m->dm.nl];
    ctx->forward = tm_forward;
    ctx->backward = tm_backward;
    ctx->lo = lo;
    ctx->hi = hi;
    ctx->device = 0;
    ctx->stream = m->stream;
    ctx->mlp = with_view ? &m->view : NULL;
    ctx->add_passes = tm_add_passes;
}

extern "C" size_t tmlp_n_params(const struct tmlp *m) { return m->n_params; }

extern "C" int tmlp_get_grads(struct tmlp *m, float *g, struct l2d_error *err)
{
    cudaError_t e = cudaStreamSynchronize(m->stream);
    if (e == cudaSuccess) e = cudaMemcpy(g, m->grads, m->n_params * sizeof *g, cudaMemcpyDeviceToHost);
    return e == cudaSuccess ? 0 : cu_err(e, err, "read grads");
}

extern "C" int tmlp_zero_grads(struct tmlp *m, struct l2d_error *err)
{
    cudaError_t e = cudaMemsetAsync(m->grads, 0, m->n_params * sizeof(float), m->stream);
    return e == cudaSuccess ? 0 : cu_err(e, err, "zero grads");
}

extern "C" uint64_t tmlp_backward_rows(const struct tmlp *m) { return m->bw_rows; }
extern "C" uint64_t tmlp_added_rows(const struct tmlp *m) { return m->added_rows; }
extern "C" void tmlp_reset_counts(struct tmlp *m) { m->bw_rows = m->added_rows = 0; }
