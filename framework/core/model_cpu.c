/* The CPU backend of l2d/model.h: the MLP of mlp.c (OpenBLAS GEMMs, or the
 * AVX2 small-model path of mlp_small.c) or a convolutional network of
 * convnet.c, the optimisers of optim.c and a host copy of the parameters
 * (and BatchNorm buffers) for snapshot/restore. Every MLP call is the MLP's
 * own, so a CPU model computes the bits the bare MLP always did. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/convnet.h"
#include "core/mlp.h"
#include "core/model_impl.h"

struct cpu_model {
    struct l2d_mlp *mlp;      /* an MLP, or */
    struct l2d_cnet *net;     /* a convolutional network */
    struct l2d_optim opt;
    int have_opt;
    float *snap;      /* NULL until the first snapshot: n_params, then n_buffers */
    size_t last_B;    /* rows of the last successful forward, for backward */
};

static struct cpu_model *cpu(struct l2d_model *m) { return m->impl; }

static float *P(struct cpu_model *c) { return c->net ? c->net->params : c->mlp->params; }
static float *G(struct cpu_model *c) { return c->net ? c->net->grads : c->mlp->grads; }

static void cpu_destroy(struct l2d_model *m)
{
    struct cpu_model *c = cpu(m);
    if (!c) return;
    l2d_mlp_destroy(c->mlp);
    l2d_cnet_destroy(c->net);
    if (c->have_opt) l2d_optim_free(&c->opt);
    free(c->snap);
    free(c);
    m->impl = NULL;
}

static int cpu_create(struct l2d_model *m, const float *init, struct l2d_error *err)
{
    struct cpu_model *c = calloc(1, sizeof *c);
    if (!c) return l2d_seterr(err, L2D_ENOMEM, "model: cannot allocate the CPU backend");
    if (m->plan) {
        int rc = l2d_cnet_create(&c->net, m->plan, err);
        if (rc) {
            free(c);
            return rc;
        }
        memcpy(c->net->params, init, m->n_params * sizeof *init);
        c->net->training = m->training;
        m->impl = c;
        m->stream = NULL;
        return 0;
    }
    /* l2d_mlp_create draws its own parameters; they are overwritten with the
     * handle's, so its rng is a throwaway that leaves the caller's alone */
    struct l2d_rng scratch;
    l2d_rng_seed(&scratch, 0);
    int rc = l2d_mlp_create(&c->mlp, m->in, m->dims + 1, m->n_layers - 1, m->out, &scratch, err);
    if (rc) {
        free(c);
        return rc;
    }
    memcpy(c->mlp->params, init, m->n_params * sizeof *init);
    m->impl = c;
    m->stream = NULL;
    return 0;
}

static int cpu_forward(struct l2d_model *m, const float *x, size_t B, float *y,
                       struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    int rc = c->net ? l2d_cnet_forward(c->net, x, B, y, err) : l2d_mlp_forward(c->mlp, x, B, y, err);
    c->last_B = rc ? 0 : B;
    return rc;
}

static int cpu_backward(struct l2d_model *m, const float *dy, size_t B, float *dx, int accumulate,
                        struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    /* the MLP only knows how many rows its buffers hold; fewer rows than the
     * forward's would silently read the activations of other inputs */
    if (B != c->last_B)
        return l2d_seterr(err, L2D_EINVAL,
                          "model backward on %zu rows follows a forward on %zu rows", B,
                          c->last_B);
    if (c->net) return l2d_cnet_backward(c->net, dy, B, dx, accumulate, err);
    return l2d_mlp_backward(c->mlp, dy, B, dx, accumulate, err);
}

static void cpu_zero_grad(struct l2d_model *m)
{
    struct cpu_model *c = cpu(m);
    if (c->net)
        memset(c->net->grads, 0, m->n_params * sizeof *c->net->grads);
    else
        l2d_mlp_zero_grad(c->mlp);
}

static int cpu_optim_init(struct l2d_model *m, enum l2d_optim_kind kind, double weight_decay,
                          struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    if (c->have_opt) l2d_optim_free(&c->opt);
    c->have_opt = 0;
    int rc = l2d_optim_init(&c->opt, kind, m->n_params, weight_decay, err);
    if (!rc) c->have_opt = 1;
    return rc;
}

static int cpu_step(struct l2d_model *m, double lr, struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    if (!c->have_opt) return l2d_seterr(err, L2D_EINVAL, "model step: no optimiser (optim_init)");
    l2d_optim_step(&c->opt, P(c), G(c), lr); /* parameters only: buffers are not trained */
    return 0;
}

static int cpu_snapshot(struct l2d_model *m, struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    if (!c->snap && !(c->snap = malloc((m->n_params + m->n_buffers) * sizeof *c->snap)))
        return l2d_seterr(err, L2D_ENOMEM, "model snapshot: cannot allocate %zu parameters",
                          m->n_params);
    memcpy(c->snap, P(c), m->n_params * sizeof *c->snap);
    if (c->net) memcpy(c->snap + m->n_params, c->net->bufs, m->n_buffers * sizeof *c->snap);
    return 0;
}

static int cpu_restore(struct l2d_model *m, struct l2d_error *err)
{
    struct cpu_model *c = cpu(m);
    if (!c->snap) return l2d_seterr(err, L2D_EINVAL, "model restore: no snapshot taken");
    memcpy(P(c), c->snap, m->n_params * sizeof *c->snap);
    if (c->net) memcpy(c->net->bufs, c->snap + m->n_params, m->n_buffers * sizeof *c->snap);
    return 0;
}

static int cpu_get_params_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    (void)err;
    memcpy(host, P(cpu(m)), m->n_params * sizeof *host);
    return 0;
}

static int cpu_set_params_host(struct l2d_model *m, const float *host, struct l2d_error *err)
{
    (void)err;
    memcpy(P(cpu(m)), host, m->n_params * sizeof *host);
    return 0;
}

static int cpu_get_grads_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    (void)err;
    memcpy(host, G(cpu(m)), m->n_params * sizeof *host);
    return 0;
}

static float *cpu_params(struct l2d_model *m) { return P(cpu(m)); }
static float *cpu_grads(struct l2d_model *m) { return G(cpu(m)); }

static void cpu_train_mode(struct l2d_model *m, int on)
{
    struct cpu_model *c = cpu(m);
    if (c->net) c->net->training = on;
}

static int cpu_get_buffers_host(struct l2d_model *m, float *host, struct l2d_error *err)
{
    (void)err;
    struct cpu_model *c = cpu(m);
    if (c->net) memcpy(host, c->net->bufs, m->n_buffers * sizeof *host);
    return 0;
}

static int cpu_set_buffers_host(struct l2d_model *m, const float *host, struct l2d_error *err)
{
    (void)err;
    struct cpu_model *c = cpu(m);
    if (c->net) memcpy(c->net->bufs, host, m->n_buffers * sizeof *host);
    return 0;
}

const struct l2d_model_backend l2d_model_backend_cpu = {
    .name = "cpu",
    .create = cpu_create,
    .destroy = cpu_destroy,
    .forward = cpu_forward,
    .backward = cpu_backward,
    .zero_grad = cpu_zero_grad,
    .optim_init = cpu_optim_init,
    .step = cpu_step,
    .snapshot = cpu_snapshot,
    .restore = cpu_restore,
    .get_params_host = cpu_get_params_host,
    .set_params_host = cpu_set_params_host,
    .get_grads_host = cpu_get_grads_host,
    .params = cpu_params,
    .grads = cpu_grads,
    .forward_host = cpu_forward,
    .train_mode = cpu_train_mode,
    .get_buffers_host = cpu_get_buffers_host,
    .set_buffers_host = cpu_set_buffers_host,
};
