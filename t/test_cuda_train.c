/* The device-resident training loop (framework/cuda/train_cuda.c) against
 * the CPU loop (framework/core/train.c) on a small problem, with the toy
 * surrogate of t/cuda_toy_surrogate.cu in its four forms: host loss (slow
 * path), device loss (the epoch captured as a CUDA graph), device
 * train_batch through the model context, host train_batch (slow path).
 * Then: two GPU runs with one seed give the same bits; a diverging run
 * fails at the batch the CPU loop names. Skips without a CUDA device.
 *
 * Tolerances. Losses: relative 1e-4. Both loops take the same batches and
 * learning rates; they differ by float32 rounding in the layers (about
 * 1e-7 relative per product, see test_cuda_model.c), which Adam's steps
 * carry forward for a few hundred steps; measured differences are printed.
 * Risks: absolute 3/n. A risk is a mean of c[argmax r]: a row whose two
 * best scores are within rounding of each other may pick the other agent
 * on one side, moving the mean by at most max(c)/n = 1/n per such row. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/train.h"
#include "cuda/train_cuda.h"
#include "cuda_test_util.h"
#include "cuda_toy_surrogate.h"

enum { N_TRAIN = 500, N_VAL = 200, DIM = 8, A = 4, EPOCHS = 4 };
static const size_t HIDDEN = 16;

struct problem {
    float x[N_TRAIN * DIM], xv[N_VAL * DIM];
    double c[N_TRAIN * A], cv[N_VAL * A];
    struct l2d_data train, val;
};

static void make_problem(struct problem *p)
{
    struct l2d_rng r;
    l2d_rng_seed(&r, 4242);
    cuda_test_randn(&r, p->x, N_TRAIN * DIM, 1.0);
    cuda_test_randn(&r, p->xv, N_VAL * DIM, 1.0);
    /* costs that depend on x, so there is something to learn */
    for (size_t i = 0; i < N_TRAIN + N_VAL; i++) {
        const float *x = i < N_TRAIN ? p->x + i * DIM : p->xv + (i - N_TRAIN) * DIM;
        double *c = i < N_TRAIN ? p->c + i * A : p->cv + (i - N_TRAIN) * A;
        for (size_t j = 0; j < A; j++)
            c[j] = (x[j] > 0 ? 0.2 : 0.8) * (0.5 + 0.5 * l2d_rng_uniform(&r));
    }
    p->train = (struct l2d_data){N_TRAIN, DIM, p->x, NULL, NULL, 0};
    p->val = (struct l2d_data){N_VAL, DIM, p->xv, NULL, NULL, 0};
}

static struct l2d_train_cfg base_cfg(void)
{
    struct l2d_train_cfg c;
    memset(&c, 0, sizeof c);
    c.epochs = EPOCHS;
    c.batch = 64; /* 500 rows: 7 full batches and a short one */
    c.lr = 0.02;
    c.optimizer = L2D_OPT_ADAM;
    c.weight_decay = 1e-4;
    c.warmup = 0.1;
    c.cosine = 1;
    c.select_best = 1;
    c.seed = 77;
    return c;
}

struct logbuf {
    char text[2048];
    int count;
};

static void log_fn(void *self, const char *msg)
{
    struct logbuf *l = self;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s%s", n ? " | " : "", msg);
    l->count++;
}

struct gpu_out {
    struct l2d_epoch_rec ep[EPOCHS];
    struct l2d_train_result res;
    float *params;
    struct logbuf log;
    int rc;
    struct l2d_error err;
};

/* A rejector drawn from seed on device (-1: the CPU): the same parameters
 * on both, as l2d_model_create promises. */
static struct l2d_model *rejector(uint64_t seed, int device, struct l2d_error *err)
{
    struct l2d_arch arch = {L2D_ARCH_MLP, DIM, A, 1, &HIDDEN};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    struct l2d_model *m = NULL;
    return l2d_model_create(&m, &arch, device, &rng, err) ? NULL : m;
}

static void gpu_train(const struct problem *p, uint64_t seed,
                      const struct l2d_surrogate_inst *sur, const struct l2d_train_cfg *cfg,
                      struct gpu_out *o)
{
    memset(o, 0, sizeof *o);
    struct l2d_model *m = rejector(seed, 0, &o->err);
    o->params = m ? calloc(l2d_model_n_params(m), sizeof *o->params) : NULL;
    if (!m || !o->params) {
        o->rc = -1;
        l2d_model_destroy(m);
        return;
    }
    o->rc = l2d_cuda_train_rejector_log(cfg, m, sur, &p->train, p->c, &p->val, p->cv, o->ep,
                                        &o->res, NULL, NULL, log_fn, &o->log, &o->err);
    if (!o->rc) o->rc = l2d_model_get_params_host(m, o->params, &o->err);
    l2d_model_destroy(m);
}

static void compare(const char *name, const struct problem *p, const struct l2d_surrogate_ops *cpu_ops,
                    const struct l2d_surrogate_ops *gpu_ops, int expect_slow)
{
    struct l2d_error err = {0, ""};
    struct l2d_model *cpu = rejector(5, -1, &err);
    const size_t np = cpu ? l2d_model_n_params(cpu) : 0;
    float *cpu_params = calloc(np ? np : 1, sizeof *cpu_params);
    void *cs = toy_state_new(), *gs = toy_state_new(), *gs2 = toy_state_new();
    struct l2d_surrogate_inst sc = {cpu_ops, cs, "toy", NULL, NULL, NULL};
    struct l2d_surrogate_inst sg = {gpu_ops, gs, "toy", NULL, NULL, NULL};
    struct l2d_surrogate_inst sg2 = {gpu_ops, gs2, "toy", NULL, NULL, NULL};
    struct l2d_train_cfg cfg = base_cfg();
    struct l2d_epoch_rec ep[EPOCHS];
    struct l2d_train_result res;
    int rc = !cpu || !cpu_params ? -1
                                 : l2d_train_rejector(&cfg, cpu, &sc, &p->train, p->c, &p->val,
                                                      p->cv, ep, &res, NULL, NULL, &err);
    if (!rc) rc = l2d_model_get_params_host(cpu, cpu_params, &err);
    tap_ok(rc == 0, "%s: CPU loop runs%s%s", name, rc ? ": " : "", rc ? err.msg : "");
    static struct gpu_out g1, g2;
    gpu_train(p, 5, &sg, &cfg, &g1);
    gpu_train(p, 5, &sg2, &cfg, &g2);
    if (!tap_ok(g1.rc == 0 && g2.rc == 0, "%s: GPU loop runs%s%s", name, g1.rc ? ": " : "",
                g1.rc ? g1.err.msg : g2.err.msg))
        goto out;
    double worst_loss = 0, worst_risk = 0;
    for (int e = 0; e < EPOCHS; e++) {
        const struct l2d_epoch_rec *a = &g1.ep[e], *b = &ep[e];
        double d1 = fabs(a->train_loss - b->train_loss) / fabs(b->train_loss);
        double d2 = fabs(a->val_loss - b->val_loss) / fabs(b->val_loss);
        double d3 = fabs(a->train_risk - b->train_risk), d4 = fabs(a->val_risk - b->val_risk);
        if (!(d1 <= worst_loss)) worst_loss = d1; /* NaN sticks */
        if (!(d2 <= worst_loss)) worst_loss = d2;
        if (!(d3 <= worst_risk)) worst_risk = d3;
        if (!(d4 <= worst_risk)) worst_risk = d4;
        tap_diag("%s epoch %d: train loss %.9g (CPU %.9g), val loss %.9g (CPU %.9g), val risk "
                 "%.6g (CPU %.6g)",
                 name, e + 1, a->train_loss, b->train_loss, a->val_loss, b->val_loss, a->val_risk,
                 b->val_risk);
    }
    tap_ok(worst_loss <= 1e-4, "%s: train and validation losses match the CPU's (rel. %.2g)", name,
           worst_loss);
    tap_ok(worst_risk <= 3.0 / N_VAL, "%s: train and validation risks match (abs. %.2g)", name,
           worst_risk);
    double pe = cuda_test_relerr_f(g1.params, cpu_params, np);
    tap_ok(g1.res.best_epoch == res.best_epoch && g1.res.steps == res.steps &&
               g1.res.passes == res.passes && pe <= 1e-3,
           "%s: kept epoch %d (CPU %d), %lld steps, %llu passes (CPU %llu), parameters rel. %.2g",
           name, g1.res.best_epoch, res.best_epoch, (long long)g1.res.steps,
           (unsigned long long)g1.res.passes, (unsigned long long)res.passes, pe);
    int same = memcmp(g1.params, g2.params, np * sizeof *g1.params) == 0;
    for (int e = 0; e < EPOCHS; e++) {
        g1.ep[e].seconds = g2.ep[e].seconds = 0;
        same = same && memcmp(&g1.ep[e], &g2.ep[e], sizeof g1.ep[e]) == 0;
    }
    tap_ok(same, "%s: two GPU runs with one seed give the same bits", name);
    tap_ok(expect_slow ? g1.log.count == 1 && strstr(g1.log.text, "slow path") != NULL
                       : g1.log.count == 0,
           "%s: %s (log: %s)", name, expect_slow ? "the slow path is said once" : "nothing to say",
           g1.log.text[0] ? g1.log.text : "empty");
out:
    free(g1.params);
    free(g2.params);
    toy_state_free(cs);
    toy_state_free(gs);
    toy_state_free(gs2);
    free(cpu_params);
    l2d_model_destroy(cpu);
}

/* A learning rate that overflows the parameters: both loops stop at the
 * same epoch and batch. */
static void diverge(const struct problem *p)
{
    struct l2d_error err = {0, ""};
    struct l2d_model *cpu = rejector(6, -1, &err);
    struct l2d_surrogate_inst s = {&toy_ops_device, NULL, "toy", NULL, NULL, NULL};
    struct l2d_train_cfg cfg = base_cfg();
    cfg.optimizer = L2D_OPT_SGD;
    cfg.lr = 1e37;
    cfg.warmup = 0;
    struct l2d_epoch_rec ep[EPOCHS];
    int rc = cpu ? l2d_train_rejector(&cfg, cpu, &s, &p->train, p->c, &p->val, p->cv, ep, NULL,
                                      NULL, NULL, &err)
                 : -1;
    static struct gpu_out g;
    gpu_train(p, 6, &s, &cfg, &g);
    /* compare "epoch E, batch B" */
    char a[64] = "", b[64] = "";
    sscanf(err.msg, "%63[^:]", a);
    sscanf(g.err.msg, "%63[^:]", b);
    tap_ok(rc == L2D_ENUMERIC && g.rc == L2D_ENUMERIC && strcmp(a, b) == 0 && strstr(a, "batch"),
           "diverging run: both fail at the same batch (CPU: %s; GPU: %s)", err.msg, g.err.msg);
    free(g.params);
    l2d_model_destroy(cpu);
}

int main(void)
{
    cuda_test_require_device();
    static struct problem p;
    make_problem(&p);
    tap_plan(4 * 7 + 1);
    compare("host loss", &p, &toy_ops_host, &toy_ops_host, 1);
    compare("device loss", &p, &toy_ops_host, &toy_ops_device, 0);
    compare("device train_batch", &p, &toy_ops_host_batch, &toy_ops_device_batch, 0);
    compare("host train_batch", &p, &toy_ops_host_batch, &toy_ops_host_batch, 1);
    diverge(&p);
    return tap_done();
}
