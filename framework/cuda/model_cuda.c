/* The CUDA model backend (l2d_model_backend_cuda): parameters, gradients,
 * optimiser moments and the snapshot live in the memory of one GPU, and
 * every operation is queued on the model's own stream without
 * synchronising (except the *_host calls), so a caller may capture a run of
 * calls into a CUDA graph. The kernels are libl2d's own
 * (linear_kernels.cu, optim_kernels.cu), each with a CPU twin.
 *
 * The model is a list of layers, each with its kind, shape and place in
 * the parameter vector; an MLP is Linear layers with ReLU after all but the
 * last. A convolution arrives as another layer kind with its own kernels,
 * the loops over layers below staying as they are.
 *
 * Parameter layout: that of engine.h's MLP (per layer W[out][in] row-major,
 * then b[out]), so host get/set and the plugins' MLP view read the same
 * vector on either backend. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_check.h"
#include "cuda/model_cuda.h"

enum layer_kind { LAYER_LINEAR = 1 };

struct layer {
    enum layer_kind kind;
    size_t in, out;   /* features in and out per row */
    size_t w_off;     /* W[out][in] in the parameter vector */
    size_t b_off;     /* b[out] */
    int relu;         /* ReLU on the output */
};

struct cuda_model {
    int dev;
    cudaStream_t stream;
    size_t n_layers;
    struct layer *layers;
    size_t n_params;
    float *params, *grads, *snap; /* device, n_params each (snap when taken) */
    /* optimiser (optim.c's constants) */
    int optim_on;
    enum l2d_optim_kind kind;
    double beta1, beta2, eps, wd;
    int64_t t;
    float *om, *ov;               /* Adam moments, device */
    /* activations of the last forward: act[l][cap][layers[l].in] is layer
     * l's input (after the ReLU below it), which is all backward needs;
     * dbuf: the two gradients backward passes between layers */
    size_t cap, last_B, max_dim;
    float **act;
    float *dbuf[2];
    cudaError_t sticky;           /* a failure in a call that returns void */
    double *gscratch;             /* parameter-gradient partials, gscratch_n doubles */
    size_t gscratch_n;
    float *io_x, *io_y;           /* forward_host's staging, io_cap rows */
    size_t io_cap;
};

static struct cuda_model *impl(struct l2d_model *m) { return m->impl; }

static int use_dev(struct cuda_model *c, struct l2d_error *err)
{
    int cur = -1, rc = 0;
    if (c->sticky != cudaSuccess) {
        cudaError_t e = c->sticky;
        c->sticky = cudaSuccess;
        return l2d_seterr(err, l2d_cuda_status(e), "cuda:%d zero_grad: %s", c->dev,
                          cudaGetErrorString(e));
    }
    L2D_CK(c->dev, "cudaGetDevice", cudaGetDevice(&cur));
    if (cur != c->dev) L2D_CK(c->dev, "cudaSetDevice", cudaSetDevice(c->dev));
out:
    return rc;
}

int l2d_cuda_model_use(struct l2d_model *m, struct l2d_error *err)
{
    if (!m || m->be != &l2d_model_backend_cuda || !m->impl)
        return l2d_seterr(err, L2D_EINVAL, "not a CUDA model");
    return use_dev(impl(m), err);
}

static void free_acts(struct cuda_model *c)
{
    if (c->act)
        for (size_t l = 0; l < c->n_layers; l++) cudaFree(c->act[l]);
    free(c->act);
    c->act = NULL;
    cudaFree(c->dbuf[0]);
    cudaFree(c->dbuf[1]);
    c->dbuf[0] = c->dbuf[1] = NULL;
    cudaFree(c->gscratch);
    c->gscratch = NULL;
    c->gscratch_n = 0;
    c->cap = 0;
}

static void cuda_destroy(struct l2d_model *m)
{
    struct cuda_model *c = m ? impl(m) : NULL;
    if (!c) return;
    int cur = -1;
    if (cudaGetDevice(&cur) == cudaSuccess && cur != c->dev) cudaSetDevice(c->dev);
    if (c->stream) cudaStreamSynchronize(c->stream); /* nothing queued may outlive its buffers */
    free_acts(c);
    cudaFree(c->params);
    cudaFree(c->grads);
    cudaFree(c->snap);
    cudaFree(c->om);
    cudaFree(c->ov);
    cudaFree(c->io_x);
    cudaFree(c->io_y);
    if (c->stream) cudaStreamDestroy(c->stream);
    free(c->layers);
    free(c);
    m->impl = NULL;
    m->stream = NULL;
}

static int cuda_create(struct l2d_model *m, const float *init, struct l2d_error *err)
{
    int rc = 0;
    /* before the MLP checks below, which a convolutional model would fail
     * with a vaguer message */
    if (m && m->kind != L2D_ARCH_MLP)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda: convolutional models are not on the GPU yet");
    if (!m || !init || !m->dims || m->n_layers == 0 || m->device < 0)
        return l2d_seterr(err, L2D_EINVAL, "cuda model: incomplete model or no CUDA device");
    struct cuda_model *c = calloc(1, sizeof *c);
    if (!c) return l2d_seterr(err, L2D_ENOMEM, "cuda model: out of memory");
    c->dev = m->device;
    c->n_layers = m->n_layers;
    c->layers = calloc(c->n_layers, sizeof *c->layers);
    if (!c->layers) {
        free(c);
        return l2d_seterr(err, L2D_ENOMEM, "cuda model: out of memory");
    }
    m->impl = c;
    size_t off = 0;
    for (size_t l = 0; l < c->n_layers; l++) {
        struct layer *L = &c->layers[l];
        L->kind = LAYER_LINEAR;
        L->in = m->dims[l];
        L->out = m->dims[l + 1];
        L->w_off = off;
        L->b_off = off + L->out * L->in;
        L->relu = l + 1 < c->n_layers;
        off = L->b_off + L->out;
        if (L->in > c->max_dim) c->max_dim = L->in;
        if (L->out > c->max_dim) c->max_dim = L->out;
        /* the kernels index with int rows and columns */
        if (L->in > INT32_MAX || L->out > INT32_MAX) {
            cuda_destroy(m);
            return l2d_seterr(err, L2D_EINVAL, "cuda model: layer %zu is too wide", l);
        }
    }
    if (off != m->n_params) {
        cuda_destroy(m);
        return l2d_seterr(err, L2D_EINTERNAL, "cuda model: %zu parameters, the layers hold %zu",
                          m->n_params, off);
    }
    c->n_params = off;
    const size_t bytes = (off ? off : 1) * sizeof(float);
    L2D_CK(c->dev, "cudaSetDevice", cudaSetDevice(c->dev));
    L2D_CK(c->dev, "stream", cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    L2D_CK(c->dev, "parameters", cudaMalloc((void **)&c->params, bytes));
    L2D_CK(c->dev, "gradients", cudaMalloc((void **)&c->grads, bytes));
    L2D_CK(c->dev, "upload", cudaMemcpyAsync(c->params, init, off * sizeof(float),
                                             cudaMemcpyHostToDevice, c->stream));
    L2D_CK(c->dev, "zero gradients", cudaMemsetAsync(c->grads, 0, bytes, c->stream));
    L2D_CK(c->dev, "create", cudaStreamSynchronize(c->stream));
    m->stream = c->stream;
out:
    if (rc) cuda_destroy(m);
    return rc;
}

/* Buffers for B rows. Allocation synchronises and cannot be captured: a
 * caller that captures makes its largest call first. */
static int grow(struct cuda_model *c, size_t B, struct l2d_error *err)
{
    int rc = 0;
    if (B <= c->cap) return 0;
    if (B > INT32_MAX || B > SIZE_MAX / sizeof(float) / (c->max_dim ? c->max_dim : 1))
        return l2d_seterr(err, L2D_EINVAL, "cuda model: batch of %zu rows is too large", B);
    free_acts(c);
    c->act = calloc(c->n_layers, sizeof *c->act);
    if (!c->act) return l2d_seterr(err, L2D_ENOMEM, "cuda model: out of memory");
    for (size_t l = 0; l < c->n_layers; l++)
        L2D_CK(c->dev, "activations",
               cudaMalloc((void **)&c->act[l], B * c->layers[l].in * sizeof(float)));
    for (int i = 0; i < 2; i++)
        L2D_CK(c->dev, "gradient buffers",
               cudaMalloc((void **)&c->dbuf[i], B * c->max_dim * sizeof(float)));
    /* the parameter gradient's chunk partials: kept, so that a captured
     * backward has no memory nodes */
    size_t need = 0;
    for (size_t l = 0; l < c->n_layers; l++) {
        size_t n = l2d_cuda_grad_scratch_doubles(B, c->layers[l].in, c->layers[l].out);
        if (n > need) need = n;
    }
    if (need) L2D_CK(c->dev, "gradient scratch", cudaMalloc((void **)&c->gscratch, need * sizeof(double)));
    c->gscratch_n = need;
    c->cap = B;
out:
    if (rc) free_acts(c);
    return rc;
}

static int cuda_forward(struct l2d_model *m, const float *x, size_t B, float *y,
                        struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    if (!x || !y) return l2d_seterr(err, L2D_EINVAL, "cuda model forward: NULL argument");
    c->last_B = 0;
    if (B == 0) return 0;
    int rc = use_dev(c, err);
    if (!rc) rc = grow(c, B, err);
    if (rc) return rc;
    /* x is copied: backward needs it, and the caller may reuse its buffer */
    L2D_CK(c->dev, "forward input",
           cudaMemcpyAsync(c->act[0], x, B * m->in * sizeof(float), cudaMemcpyDeviceToDevice,
                           c->stream));
    for (size_t l = 0; l < c->n_layers; l++) {
        const struct layer *L = &c->layers[l];
        float *o = l + 1 < c->n_layers ? c->act[l + 1] : y; /* the scores go straight to y */
        L2D_CK(c->dev, "forward",
               l2d_cuda_linear_forward(c->act[l], c->params + L->w_off, c->params + L->b_off, o,
                                       B, L->in, L->out, L->relu, c->stream));
    }
    c->last_B = B;
out:
    return rc;
}

static int cuda_backward(struct l2d_model *m, const float *dy, size_t B, float *dx,
                         int accumulate, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    if (!dy) return l2d_seterr(err, L2D_EINVAL, "cuda model backward: NULL argument");
    if (B == 0) return 0;
    if (B != c->last_B)
        return l2d_seterr(err, L2D_EINVAL,
                          "cuda model backward: %zu rows but the last forward had %zu", B,
                          c->last_B);
    int rc = use_dev(c, err);
    if (rc) return rc;
    const float *delta = dy;
    int which = 0;
    for (size_t l = c->n_layers; l-- > 0;) {
        const struct layer *L = &c->layers[l];
        if (accumulate)
            L2D_CK(c->dev, "backward (parameters)",
                   l2d_cuda_linear_backward_params(delta, c->act[l], c->grads + L->w_off,
                                                   c->grads + L->b_off, B, L->in, L->out,
                                                   c->gscratch, c->gscratch_n, c->stream));
        if (l == 0 && !dx) break;
        float *dst = l == 0 ? dx : c->dbuf[which];
        /* below layer 0 there is no ReLU: the input gradient is unmasked */
        L2D_CK(c->dev, "backward (input)",
               l2d_cuda_linear_backward_input(delta, c->params + L->w_off,
                                              l > 0 ? c->act[l] : NULL, dst, B, L->in, L->out,
                                              c->stream));
        delta = dst;
        which ^= 1;
    }
out:
    return rc;
}

static void cuda_zero_grad(struct l2d_model *m)
{
    struct cuda_model *c = impl(m);
    cudaError_t e = cudaMemsetAsync(c->grads, 0, c->n_params * sizeof(float), c->stream);
    if (e != cudaSuccess && c->sticky == cudaSuccess) c->sticky = e; /* reported by the next call */
}

static int cuda_optim_init(struct l2d_model *m, enum l2d_optim_kind kind, double weight_decay,
                           struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    int rc = 0;
    if (kind != L2D_OPT_SGD && kind != L2D_OPT_ADAM && kind != L2D_OPT_ADAMW)
        return l2d_seterr(err, L2D_EINVAL, "optimiser: unknown kind %d", (int)kind);
    if (!isfinite(weight_decay) || weight_decay < 0)
        return l2d_seterr(err, L2D_EINVAL, "optimiser: weight_decay must be finite and >= 0, got %g",
                          weight_decay);
    if ((rc = use_dev(c, err))) return rc;
    /* optim.c's constants (PyTorch's defaults) */
    c->kind = kind;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->wd = weight_decay;
    c->t = 0;
    c->optim_on = 0;
    const size_t bytes = (c->n_params ? c->n_params : 1) * sizeof(float);
    if (kind != L2D_OPT_SGD) {
        if (!c->om) L2D_CK(c->dev, "optimiser moments", cudaMalloc((void **)&c->om, bytes));
        if (!c->ov) L2D_CK(c->dev, "optimiser moments", cudaMalloc((void **)&c->ov, bytes));
        L2D_CK(c->dev, "optimiser moments", cudaMemsetAsync(c->om, 0, bytes, c->stream));
        L2D_CK(c->dev, "optimiser moments", cudaMemsetAsync(c->ov, 0, bytes, c->stream));
    }
    c->optim_on = 1;
out:
    return rc;
}

int l2d_cuda_model_step_scalars(struct l2d_model *m, double lr, int64_t t,
                                struct l2d_cuda_step_scalars *s, struct l2d_error *err)
{
    if (!m || m->be != &l2d_model_backend_cuda || !m->impl || !s || t < 1)
        return l2d_seterr(err, L2D_EINVAL, "cuda step scalars: not a CUDA model or step < 1");
    struct cuda_model *c = impl(m);
    if (!c->optim_on) return l2d_seterr(err, L2D_EINVAL, "cuda model: optimiser not initialised");
    /* optim.c's pow and sqrt of the step count, on the host */
    s->lr = lr;
    s->step_size = lr / (1.0 - pow(c->beta1, (double)t));
    s->bc2_sqrt = sqrt(1.0 - pow(c->beta2, (double)t));
    return 0;
}

static int step_common(struct l2d_model *m, const struct l2d_cuda_step_scalars *s,
                       const struct l2d_cuda_step_scalars *ds, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    int rc = use_dev(c, err);
    if (rc) return rc;
    if (!c->optim_on) return l2d_seterr(err, L2D_EINVAL, "cuda model: optimiser not initialised");
    L2D_CK(c->dev, "optimiser step",
           l2d_cuda_optim_step(c->kind, c->n_params, c->params, c->grads, c->om, c->ov, c->beta1,
                               c->beta2, c->eps, c->wd, *s, ds, c->stream));
out:
    return rc;
}

static int cuda_step(struct l2d_model *m, double lr, struct l2d_error *err)
{
    struct l2d_cuda_step_scalars s;
    int rc = l2d_cuda_model_step_scalars(m, lr, impl(m)->t + 1, &s, err);
    if (!rc) rc = step_common(m, &s, NULL, err);
    if (!rc) impl(m)->t++;
    return rc;
}

int l2d_cuda_model_step_dev(struct l2d_model *m, const struct l2d_cuda_step_scalars *ds,
                            struct l2d_error *err)
{
    struct l2d_cuda_step_scalars none = {0, 0, 0};
    if (!m || m->be != &l2d_model_backend_cuda || !m->impl || !ds)
        return l2d_seterr(err, L2D_EINVAL, "cuda step: not a CUDA model or no scalars");
    return step_common(m, &none, ds, err);
}

int l2d_cuda_model_set_steps(struct l2d_model *m, int64_t t, struct l2d_error *err)
{
    if (!m || m->be != &l2d_model_backend_cuda || !m->impl || t < 0)
        return l2d_seterr(err, L2D_EINVAL, "cuda step count: not a CUDA model or t < 0");
    impl(m)->t = t;
    return 0;
}

static int cuda_snapshot(struct l2d_model *m, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    int rc = use_dev(c, err);
    if (rc) return rc;
    if (!c->snap)
        L2D_CK(c->dev, "snapshot",
               cudaMalloc((void **)&c->snap, (c->n_params ? c->n_params : 1) * sizeof(float)));
    L2D_CK(c->dev, "snapshot",
           cudaMemcpyAsync(c->snap, c->params, c->n_params * sizeof(float),
                           cudaMemcpyDeviceToDevice, c->stream));
out:
    return rc;
}

static int cuda_restore(struct l2d_model *m, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    int rc = use_dev(c, err);
    if (rc) return rc;
    if (!c->snap) return l2d_seterr(err, L2D_EINVAL, "cuda model: restore without a snapshot");
    L2D_CK(c->dev, "restore",
           cudaMemcpyAsync(c->params, c->snap, c->n_params * sizeof(float),
                           cudaMemcpyDeviceToDevice, c->stream));
out:
    return rc;
}

static int copy_host(struct cuda_model *c, void *dst, const void *src, enum cudaMemcpyKind kind,
                     const char *what, struct l2d_error *err)
{
    int rc = use_dev(c, err);
    if (rc) return rc;
    if (!dst || !src) return l2d_seterr(err, L2D_EINVAL, "cuda model %s: NULL argument", what);
    L2D_CK(c->dev, what, cudaMemcpyAsync(dst, src, c->n_params * sizeof(float), kind, c->stream));
    L2D_CK(c->dev, what, cudaStreamSynchronize(c->stream));
out:
    return rc;
}

static int cuda_get_params_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    return copy_host(c, host, c->params, cudaMemcpyDeviceToHost, "get parameters", err);
}

static int cuda_set_params_host(struct l2d_model *m, const float *host, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    return copy_host(c, c->params, host, cudaMemcpyHostToDevice, "set parameters", err);
}

static int cuda_get_grads_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    return copy_host(c, host, c->grads, cudaMemcpyDeviceToHost, "get gradients", err);
}

static float *cuda_params(struct l2d_model *m) { return impl(m)->params; }
static float *cuda_grads(struct l2d_model *m) { return impl(m)->grads; }

/* Evaluation on host splits: upload a chunk, forward, download. Buffers
 * grow with B and are kept for the next chunk. */
static int cuda_forward_host(struct l2d_model *m, const float *x, size_t B, float *y,
                             struct l2d_error *err)
{
    struct cuda_model *c = impl(m);
    if (!x || !y) return l2d_seterr(err, L2D_EINVAL, "cuda model forward: NULL argument");
    if (B == 0) return 0;
    int rc = use_dev(c, err);
    if (rc) return rc;
    if (B > c->io_cap) {
        cudaFree(c->io_x);
        cudaFree(c->io_y);
        c->io_x = c->io_y = NULL;
        c->io_cap = 0;
        L2D_CK(c->dev, "forward (host arrays)", cudaMalloc((void **)&c->io_x, B * m->in * sizeof(float)));
        L2D_CK(c->dev, "forward (host arrays)", cudaMalloc((void **)&c->io_y, B * m->out * sizeof(float)));
        c->io_cap = B;
    }
    L2D_CK(c->dev, "forward (host arrays)",
           cudaMemcpyAsync(c->io_x, x, B * m->in * sizeof(float), cudaMemcpyHostToDevice, c->stream));
    if ((rc = cuda_forward(m, c->io_x, B, c->io_y, err))) return rc;
    L2D_CK(c->dev, "forward (host arrays)",
           cudaMemcpyAsync(y, c->io_y, B * m->out * sizeof(float), cudaMemcpyDeviceToHost, c->stream));
    L2D_CK(c->dev, "forward (host arrays)", cudaStreamSynchronize(c->stream));
out:
    return rc;
}

const struct l2d_model_backend l2d_model_backend_cuda = {
    .name = "cuda",
    .create = cuda_create,
    .destroy = cuda_destroy,
    .forward = cuda_forward,
    .backward = cuda_backward,
    .zero_grad = cuda_zero_grad,
    .optim_init = cuda_optim_init,
    .step = cuda_step,
    .snapshot = cuda_snapshot,
    .restore = cuda_restore,
    .get_params_host = cuda_get_params_host,
    .set_params_host = cuda_set_params_host,
    .get_grads_host = cuda_get_grads_host,
    .params = cuda_params,
    .grads = cuda_grads,
    .forward_host = cuda_forward_host,
};
