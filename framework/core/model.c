/* The model handle (l2d/model.h): checks the architecture, draws the
 * initial parameters on the host, picks the backend for the device and
 * hands every call to it. The backends (model_cpu.c, framework/cuda) see
 * parameters already drawn, so one seed gives one model on every device. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/convnet.h"
#include "core/model_impl.h"

#ifdef L2D_HAVE_CUDA
/* The CUDA backend is written beside this file, on its own schedule: a weak
 * reference lets the library link while it is absent, and a CUDA device then
 * gets a clear error instead of an unresolved symbol. */
#pragma weak l2d_model_backend_cuda
#endif

static int pick_backend(int device, const struct l2d_model_backend **be, struct l2d_error *err)
{
    if (device == -1) {
        *be = &l2d_model_backend_cpu;
        return 0;
    }
    if (device < -1)
        return l2d_seterr(err, L2D_EINVAL, "model: device %d is neither -1 (the CPU) nor a CUDA index",
                          device);
#ifdef L2D_HAVE_CUDA
    if (&l2d_model_backend_cuda) {
        *be = &l2d_model_backend_cuda;
        return 0;
    }
    return l2d_seterr(err, L2D_EUNSUPPORTED,
                      "model: cuda:%d asked for, but this build has no CUDA model backend", device);
#else
    return l2d_seterr(err, L2D_EUNSUPPORTED,
                      "model: cuda:%d asked for, but l2d was built without CUDA", device);
#endif
}

/* dims[] and n_params of an MLP, with the limits of the CPU backend's GEMMs
 * (int sizes) and room for 4-byte parameters. */
static int mlp_shape(struct l2d_model *m, const struct l2d_arch *a, struct l2d_error *err)
{
    if (a->in == 0 || a->out == 0)
        return l2d_seterr(err, L2D_EINVAL, "model: input (%zu) and output (%zu) sizes must be > 0",
                          a->in, a->out);
    if (a->n_hidden > 0 && !a->hidden)
        return l2d_seterr(err, L2D_EINVAL, "model: %zu hidden layers but no sizes", a->n_hidden);
    if (a->n_hidden > 1024)
        return l2d_seterr(err, L2D_EINVAL, "model: too many hidden layers (%zu)", a->n_hidden);
    for (size_t i = 0; i < a->n_hidden; i++)
        if (a->hidden[i] == 0)
            return l2d_seterr(err, L2D_EINVAL, "model: hidden layer %zu has size 0", i);
    m->in = a->in;
    m->out = a->out;
    m->n_layers = a->n_hidden + 1;
    m->dims = malloc((m->n_layers + 1) * sizeof *m->dims);
    if (!m->dims) return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate layer sizes");
    m->dims[0] = a->in;
    for (size_t i = 0; i < a->n_hidden; i++) m->dims[i + 1] = a->hidden[i];
    m->dims[m->n_layers] = a->out;
    size_t n = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t i = m->dims[l], o = m->dims[l + 1];
        if (i > INT_MAX || o > INT_MAX || i > (SIZE_MAX / 4 - n) / o - 1)
            return l2d_seterr(err, L2D_EINVAL, "model: layer %zu (%zu x %zu) is too large", l, o, i);
        n += o * i + o;
    }
    m->n_params = n;
    return 0;
}

/* PyTorch's nn.Linear: kaiming_uniform_(a = sqrt(5)) gives the bound
 * 1/sqrt(fan_in) for W, and b uses the same bound. The draws, their order
 * and their rounding are those the MLP has always made, so seeds recorded
 * before the model API give the same rejectors. */
static void draw_init(const struct l2d_model *m, struct l2d_rng *rng, float *p)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t fan_in = m->dims[l], cnt = m->dims[l + 1] * (fan_in + 1);
        double bound = 1.0 / sqrt((double)fan_in);
        for (size_t i = 0; i < cnt; i++) *p++ = (float)((2.0 * l2d_rng_uniform(rng) - 1.0) * bound);
    }
}

int l2d_model_create(struct l2d_model **out, const struct l2d_arch *arch, int device,
                     struct l2d_rng *rng, struct l2d_error *err)
{
    if (!out) return l2d_seterr(err, L2D_EINVAL, "model: NULL model pointer");
    *out = NULL;
    if (!arch || !rng) return l2d_seterr(err, L2D_EINVAL, "model: NULL architecture or rng");
    if (arch->kind != L2D_ARCH_MLP && arch->kind != L2D_ARCH_CNN &&
        arch->kind != L2D_ARCH_RESNET4)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "model: unknown architecture kind %d",
                          (int)arch->kind);
    const struct l2d_model_backend *be = NULL;
    int rc = pick_backend(device, &be, err);
    if (rc) return rc;
    struct l2d_model *m = calloc(1, sizeof *m);
    if (!m) return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the handle");
    m->device = device;
    m->kind = arch->kind;
    float *init = NULL;
    if (arch->kind == L2D_ARCH_MLP) {
        if ((rc = mlp_shape(m, arch, err))) goto fail;
    } else {
        if (!(m->plan = calloc(1, sizeof *m->plan))) {
            rc = l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the layer plan");
            goto fail;
        }
        if ((rc = l2d_cnet_plan_init(m->plan, arch, err))) goto fail;
        m->in = m->plan->in;
        m->out = m->plan->out;
        m->n_params = m->plan->n_params;
        m->n_buffers = m->plan->n_buffers;
    }
    init = malloc(m->n_params * sizeof *init);
    if (!init) {
        rc = l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate %zu parameters", m->n_params);
        goto fail;
    }
    if (m->plan)
        l2d_cnet_draw_init(m->plan, rng, init);
    else
        draw_init(m, rng, init);
    if ((rc = be->create(m, init, err))) goto fail;
    m->be = be; /* only now: destroy calls the backend's only after its create */
    free(init);
    *out = m;
    return 0;
fail:
    free(init);
    free(m->dims);
    if (m->plan) l2d_cnet_plan_free(m->plan);
    free(m->plan);
    free(m);
    return rc;
}

void l2d_model_destroy(struct l2d_model *m)
{
    if (!m) return;
    if (m->be) m->be->destroy(m);
    free(m->dims);
    if (m->plan) l2d_cnet_plan_free(m->plan);
    free(m->plan);
    free(m);
}

size_t l2d_model_in(const struct l2d_model *m) { return m ? m->in : 0; }
size_t l2d_model_out(const struct l2d_model *m) { return m ? m->out : 0; }
size_t l2d_model_n_params(const struct l2d_model *m) { return m ? m->n_params : 0; }
size_t l2d_model_n_buffers(const struct l2d_model *m) { return m ? m->n_buffers : 0; }

int l2d_model_train_mode(struct l2d_model *m, int on, struct l2d_error *err)
{
    if (!m) return l2d_seterr(err, L2D_EINVAL, "model mode: NULL model");
    m->training = on != 0;
    if (m->be->train_mode) m->be->train_mode(m, m->training);
    return 0;
}

int l2d_model_is_training(const struct l2d_model *m) { return m ? m->training : 0; }

int l2d_model_get_buffers_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    if (!m || (!host && m->n_buffers))
        return l2d_seterr(err, L2D_EINVAL, "model buffers: NULL argument");
    if (!m->n_buffers) return 0;
    if (!m->be->get_buffers_host)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "model buffers: not on the %s backend", m->be->name);
    return m->be->get_buffers_host(m, host, err);
}

int l2d_model_set_buffers_host(struct l2d_model *m, const float *host, struct l2d_error *err)
{
    if (!m || (!host && m->n_buffers))
        return l2d_seterr(err, L2D_EINVAL, "model buffers: NULL argument");
    if (!m->n_buffers) return 0;
    if (!m->be->set_buffers_host)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "model buffers: not on the %s backend", m->be->name);
    return m->be->set_buffers_host(m, host, err);
}
int l2d_model_device(const struct l2d_model *m) { return m ? m->device : -1; }
void *l2d_model_stream(const struct l2d_model *m) { return m ? m->stream : NULL; }

int l2d_model_forward(struct l2d_model *m, const float *x, size_t B, float *y,
                      struct l2d_error *err)
{
    if (!m || !x || !y) return l2d_seterr(err, L2D_EINVAL, "model forward: NULL argument");
    return m->be->forward(m, x, B, y, err);
}

int l2d_model_forward_host(struct l2d_model *m, const float *x, size_t B, float *y,
                           struct l2d_error *err)
{
    if (!m || !x || !y) return l2d_seterr(err, L2D_EINVAL, "model forward: NULL argument");
    return m->be->forward_host(m, x, B, y, err);
}

int l2d_model_backward(struct l2d_model *m, const float *dy, size_t B, float *dx, int accumulate,
                       struct l2d_error *err)
{
    if (!m || !dy) return l2d_seterr(err, L2D_EINVAL, "model backward: NULL argument");
    return m->be->backward(m, dy, B, dx, accumulate, err);
}

void l2d_model_zero_grad(struct l2d_model *m)
{
    if (m) m->be->zero_grad(m);
}

int l2d_model_optim_init(struct l2d_model *m, enum l2d_optim_kind kind, double weight_decay,
                         struct l2d_error *err)
{
    if (!m) return l2d_seterr(err, L2D_EINVAL, "model optimiser: NULL model");
    return m->be->optim_init(m, kind, weight_decay, err);
}

int l2d_model_step(struct l2d_model *m, double lr, struct l2d_error *err)
{
    if (!m) return l2d_seterr(err, L2D_EINVAL, "model step: NULL model");
    if (!isfinite(lr)) return l2d_seterr(err, L2D_EINVAL, "model step: learning rate %g", lr);
    return m->be->step(m, lr, err);
}

int l2d_model_snapshot(struct l2d_model *m, struct l2d_error *err)
{
    if (!m) return l2d_seterr(err, L2D_EINVAL, "model snapshot: NULL model");
    return m->be->snapshot(m, err);
}

int l2d_model_restore(struct l2d_model *m, struct l2d_error *err)
{
    if (!m) return l2d_seterr(err, L2D_EINVAL, "model restore: NULL model");
    return m->be->restore(m, err);
}

int l2d_model_get_params_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    if (!m || !host) return l2d_seterr(err, L2D_EINVAL, "model parameters: NULL argument");
    return m->be->get_params_host(m, host, err);
}

int l2d_model_set_params_host(struct l2d_model *m, const float *host, struct l2d_error *err)
{
    if (!m || !host) return l2d_seterr(err, L2D_EINVAL, "model parameters: NULL argument");
    return m->be->set_params_host(m, host, err);
}

int l2d_model_get_grads_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    if (!m || !host) return l2d_seterr(err, L2D_EINVAL, "model gradients: NULL argument");
    return m->be->get_grads_host(m, host, err);
}

/* ---- the model as plugins see it ------------------------------------------ */

static int ctx_forward(void *self, const float *x, size_t B, float *scores, struct l2d_error *err)
{
    return l2d_model_forward(self, x, B, scores, err);
}

static int ctx_backward(void *self, const float *x, size_t B, const float *dscores, float *dx,
                        int accumulate, struct l2d_error *err)
{
    (void)x; /* the model kept what it needs from the forward on x */
    return l2d_model_backward(self, dscores, B, dx, accumulate, err);
}

void l2d_model_ctx_init(struct l2d_model_ctx *ctx, struct l2d_mlp_view *view, struct l2d_model *m,
                        const float *lo, const float *hi)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->self = m;
    ctx->dim = m->in;
    ctx->n_agents = m->out;
    ctx->forward = ctx_forward;
    ctx->backward = ctx_backward;
    ctx->lo = lo;
    ctx->hi = hi;
    ctx->device = m->device;
    ctx->stream = m->stream;
    if (view && m->kind == L2D_ARCH_MLP) { /* the view describes MLPs only */
        view->n_layers = m->n_layers;
        view->dims = m->dims;
        view->params = m->be->params(m);
        view->grads = m->be->grads(m);
        ctx->mlp = view;
    }
}
