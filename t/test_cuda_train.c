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
    struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = DIM, .out = A, .n_hidden = 1, .hidden = &HIDDEN};
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
    struct l2d_surrogate_inst sc = {cpu_ops, cs, "toy", NULL, NULL, NULL, NULL, NULL};
    struct l2d_surrogate_inst sg = {gpu_ops, gs, "toy", NULL, NULL, NULL, NULL, NULL};
    struct l2d_surrogate_inst sg2 = {gpu_ops, gs2, "toy", NULL, NULL, NULL, NULL, NULL};
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

/* A host-only attack for adversarial validation: three signed-gradient
 * steps of 0.1, clipped to the valid range. */
static int toy_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                       float *x_adv, uint64_t seed, struct l2d_error *err)
{
    (void)state;
    (void)seed;
    const size_t D = obj->dim;
    double *v = malloc(B * sizeof *v);
    float *g = malloc(B * D * sizeof *g);
    int rc = !v || !g ? l2d_seterr(err, L2D_ENOMEM, "toy attack: out of memory") : 0;
    if (!rc) memcpy(x_adv, x, B * D * sizeof *x);
    for (int t = 0; t < 3 && !rc; t++) {
        rc = obj->value_grad(obj->self, x_adv, B, v, g, err);
        for (size_t k = 0; !rc && k < B * D; k++) {
            float step = g[k] > 0 ? 0.1f : g[k] < 0 ? -0.1f : 0.0f;
            float y = x_adv[k] + (obj->maximise ? step : -step);
            if (obj->lo && y < obj->lo[k % D]) y = obj->lo[k % D];
            if (obj->hi && y > obj->hi[k % D]) y = obj->hi[k % D];
            x_adv[k] = y;
        }
    }
    free(v);
    free(g);
    return rc;
}

static const struct l2d_attack_ops toy_attack = {
    .struct_size = offsetof(struct l2d_attack_ops, perturb_device), .perturb = toy_perturb};

/* Epoch selection by the adversarial validation risk (train.select =
 * val_adv_risk) with an attack that has host ops only: the same epoch
 * kept as on the CPU, and the slow path said once. */
static void select_adv(const struct problem *p)
{
    struct l2d_error err = {0, ""};
    struct l2d_model *cpu = rejector(9, -1, &err);
    static float lo[DIM], hi[DIM];
    for (size_t d = 0; d < DIM; d++) {
        lo[d] = -2.0f;
        hi[d] = 2.0f;
    }
    struct l2d_attack_handle atk = {&toy_attack, NULL};
    struct l2d_surrogate_inst s = {&toy_ops_device, NULL, "toy", &atk, lo, hi, NULL, NULL};
    struct l2d_train_cfg cfg = base_cfg();
    cfg.select_adv = 1;
    cfg.adv_nu = 1.0;
    cfg.lr = 0.05;
    struct l2d_epoch_rec ep[EPOCHS];
    struct l2d_train_result res;
    int rc = cpu ? l2d_train_rejector(&cfg, cpu, &s, &p->train, p->c, &p->val, p->cv, ep, &res,
                                      NULL, NULL, &err)
                 : -1;
    static struct gpu_out g;
    gpu_train(p, 9, &s, &cfg, &g);
    double worst = 0;
    for (int e = 0; !rc && !g.rc && e < EPOCHS; e++) {
        double d = fabs(g.ep[e].val_loss - ep[e].val_loss) / fabs(ep[e].val_loss);
        if (!(d <= worst)) worst = d;
    }
    tap_ok(!rc && !g.rc && g.res.best_epoch == res.best_epoch && worst <= 1e-4 &&
               g.log.count == 1 && strstr(g.log.text, "perturb_device"),
           "select by adversarial validation risk: epoch %d kept (CPU %d), losses rel. %.2g, "
           "log: %s%s%s",
           g.res.best_epoch, res.best_epoch, worst, g.log.text, rc || g.rc ? "; error: " : "",
           rc ? err.msg : g.err.msg);
    free(g.params);
    l2d_model_destroy(cpu);
}

/* Split-level loss and risk of a CUDA model (l2d_cuda_rejector_loss_risk)
 * against the CPU's l2d_rejector_loss_risk on the same parameters. */
static void loss_risk(const struct problem *p)
{
    struct l2d_error err = {0, ""};
    struct l2d_model *cpu = rejector(11, -1, &err), *gpu = rejector(11, 0, &err);
    const struct l2d_surrogate_ops *ops[2] = {&toy_ops_device, &toy_ops_host};
    for (int k = 0; k < 2; k++) {
        struct l2d_surrogate_inst s = {ops[k], NULL, "toy", NULL, NULL, NULL, NULL, NULL};
        double lc = 0, rc_ = 0, lg = 0, rg = 0;
        int rc = cpu && gpu ? 0 : -1;
        if (!rc) rc = l2d_rejector_loss_risk(cpu, &s, &p->val, p->cv, &lc, &rc_, &err);
        if (!rc) rc = l2d_cuda_rejector_loss_risk(gpu, &s, &p->val, p->cv, &lg, &rg, &err);
        tap_ok(!rc && fabs(lg - lc) <= 1e-6 * fabs(lc) && fabs(rg - rc_) <= 3.0 / N_VAL,
               "split loss and risk through %s: %.9g, %.6g (CPU %.9g, %.6g)%s%s",
               k ? "the host loss" : "loss_device", lg, rg, lc, rc_, rc ? ": " : "",
               rc ? err.msg : "");
    }
    l2d_model_destroy(cpu);
    l2d_model_destroy(gpu);
}

/* Not a check but a measurement: seconds per epoch on a larger problem,
 * GPU (epoch 1 uncaptured, then the graph) beside the CPU loop. */
static void timing(void)
{
    enum { N = 65536, D = 32, AG = 4, E = 3 };
    const size_t hidden = 256;
    struct l2d_error err = {0, ""};
    float *x = malloc((size_t)N * D * sizeof *x);
    double *c = malloc((size_t)N * AG * sizeof *c);
    struct l2d_rng r;
    l2d_rng_seed(&r, 3);
    if (x) cuda_test_randn(&r, x, (size_t)N * D, 1.0);
    for (size_t i = 0; c && i < (size_t)N * AG; i++) c[i] = l2d_rng_uniform(&r);
    struct l2d_data tr = {N, D, x, NULL, NULL, 0};
    struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = D, .out = AG, .n_hidden = 1, .hidden = &hidden};
    struct l2d_model *m[2] = {NULL, NULL};
    struct l2d_epoch_rec ep[2][E];
    struct l2d_surrogate_inst s = {&toy_ops_device, NULL, "toy", NULL, NULL, NULL, NULL, NULL};
    struct l2d_train_cfg cfg = base_cfg();
    cfg.epochs = E;
    cfg.batch = 256;
    cfg.select_best = 0;
    int rc = x && c ? 0 : -1;
    for (int d = 0; d < 2 && !rc; d++) {
        l2d_rng_seed(&r, 4);
        rc = l2d_model_create(&m[d], &arch, d ? 0 : -1, &r, &err);
        if (!rc)
            rc = d ? l2d_cuda_train_rejector(&cfg, m[d], &s, &tr, c, NULL, NULL, ep[d], NULL, NULL,
                                             NULL, &err)
                   : l2d_train_rejector(&cfg, m[d], &s, &tr, c, NULL, NULL, ep[d], NULL, NULL,
                                        NULL, &err);
    }
    if (!rc)
        for (int e = 0; e < E; e++)
            tap_diag("timing, %d rows, %d-%zu-%d, batch 256, epoch %d: GPU %.4f s (loss %.9g), "
                     "CPU %.4f s (loss %.9g)",
                     N, D, hidden, AG, e + 1, ep[1][e].seconds, ep[1][e].train_loss,
                     ep[0][e].seconds, ep[0][e].train_loss);
    tap_ok(!rc && fabs(ep[1][E - 1].train_loss - ep[0][E - 1].train_loss) <=
                      1e-3 * fabs(ep[0][E - 1].train_loss),
           "larger problem (%d rows, %d batches an epoch): last epoch's loss matches the CPU's "
           "(rel. 1e-3)%s%s",
           N, N / 256, rc ? ": " : "", rc ? err.msg : "");
    l2d_model_destroy(m[0]);
    l2d_model_destroy(m[1]);
    free(x);
    free(c);
}

/* A learning rate that overflows the parameters: both loops stop at the
 * same epoch and batch. */
static void diverge(const struct problem *p)
{
    struct l2d_error err = {0, ""};
    struct l2d_model *cpu = rejector(6, -1, &err);
    struct l2d_surrogate_inst s = {&toy_ops_device, NULL, "toy", NULL, NULL, NULL, NULL, NULL};
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
    tap_plan(4 * 7 + 2 + 2 + 1);
    compare("host loss", &p, &toy_ops_host, &toy_ops_host, 1);
    compare("device loss", &p, &toy_ops_host, &toy_ops_device, 0);
    compare("device train_batch", &p, &toy_ops_host_batch, &toy_ops_device_batch, 0);
    compare("host train_batch", &p, &toy_ops_host_batch, &toy_ops_host_batch, 1);
    diverge(&p);
    select_adv(&p);
    loss_risk(&p);
    timing();
    return tap_done();
}
