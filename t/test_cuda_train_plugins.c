/* The GPU training loop with the real surrogate and attack plugins (ce,
 * rho-margin, smooth-adv with pgd), against the CPU loop, and twice on the
 * GPU for the bits. Whatever device ops the plugins have are used (device
 * loss, the fused SARD step, pgd's perturb_device); without them the slow
 * path runs, and the log (printed) says which. Plugins come from
 * $L2D_PLUGIN_PATH when set (a packed bundle), else the build tree. Skips
 * without a CUDA device.
 *
 * Tolerances on the epoch losses (relative): ce 1e-4, as the toy surrogate
 * of test_cuda_train.c (float rounding in the layers carried by Adam);
 * rho-margin 1e-3: piecewise linear, a margin within rounding of a kink
 * takes the other one-sided slope on one side; smooth-adv 2e-2: its PGD
 * steps follow the sign of the input gradient, and a coordinate whose
 * gradient is within rounding of 0 steps the other way. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/train.h"
#include "cuda/train_cuda.h"
#include "cuda_test_util.h"
#include "host/loader.h"
#include "host/params.h"

enum { N_TRAIN = 400, N_VAL = 150, DIM = 6, A = 3, EPOCHS = 3 };
static const size_t HIDDEN = 12;

static float X[N_TRAIN * DIM], XV[N_VAL * DIM];
static double C[N_TRAIN * A], CV[N_VAL * A];

static void make_problem(void)
{
    struct l2d_rng r;
    l2d_rng_seed(&r, 999);
    cuda_test_randn(&r, X, N_TRAIN * DIM, 1.0);
    cuda_test_randn(&r, XV, N_VAL * DIM, 1.0);
    for (size_t i = 0; i < N_TRAIN + N_VAL; i++) {
        const float *x = i < N_TRAIN ? X + i * DIM : XV + (i - N_TRAIN) * DIM;
        double *c = i < N_TRAIN ? C + i * A : CV + (i - N_TRAIN) * A;
        for (size_t j = 0; j < A; j++) c[j] = (x[j] > 0 ? 0.1 : 0.9) * l2d_rng_uniform(&r);
    }
}

static struct l2d_registry reg;

/* A plugin instance from "key=value" strings; state NULL on failure. */
static void *instance(enum l2d_kind kind, const char *name, const char *const *sets, size_t n,
                      const void **ops, struct l2d_error *err)
{
    const struct l2d_loaded *l = l2d_registry_find(&reg, kind, name);
    if (!l) {
        l2d_seterr(err, L2D_EINVAL, "plugin %s not found", name);
        return NULL;
    }
    char *keys[8], *vals[8];
    char buf[8][64];
    for (size_t k = 0; k < n; k++) {
        snprintf(buf[k], sizeof buf[k], "%s", sets[k]);
        char *eq = strchr(buf[k], '=');
        *eq = '\0';
        keys[k] = buf[k];
        vals[k] = eq + 1;
    }
    struct l2d_params p = {0};
    if (l2d_params_build(l->desc->params, n, (const char *const *)keys,
                         (const char *const *)vals, NULL, 0, &p, err))
        return NULL;
    struct l2d_host host = {sizeof host, 12345, ".", NULL, NULL};
    void *state = NULL;
    int rc;
    if (kind == L2D_KIND_SURROGATE) {
        const struct l2d_surrogate_ops *o = l->desc->ops;
        rc = o->create(&p, &host, &state, err);
    } else {
        const struct l2d_attack_ops *o = l->desc->ops;
        rc = o->create(&p, &host, &state, err);
    }
    l2d_params_free(&p);
    *ops = l->desc->ops;
    return rc ? NULL : state;
}

struct logbuf {
    char text[1024];
};

static void log_fn(void *self, const char *msg)
{
    struct logbuf *l = self;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s%s", n ? " | " : "", msg);
}

static struct l2d_model *rejector(int device, struct l2d_error *err)
{
    struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = DIM, .out = A, .n_hidden = 1, .hidden = &HIDDEN};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 21);
    struct l2d_model *m = NULL;
    return l2d_model_create(&m, &arch, device, &rng, err) ? NULL : m;
}

static void one(const char *label, const char *sur_name, const char *const *sets, size_t n,
                int with_attack, double tol)
{
    struct l2d_error err = {0, ""};
    static const char *const pgd_sets[] = {"eps=0.1", "steps=3"};
    const void *sops = NULL, *aops = NULL;
    void *ss = instance(L2D_KIND_SURROGATE, sur_name, sets, n, &sops, &err);
    void *as = with_attack && ss ? instance(L2D_KIND_ATTACK, "pgd", pgd_sets, 2, &aops, &err) : NULL;
    struct l2d_attack_handle atk = {aops, as};
    struct l2d_surrogate_inst sur = {sops, ss, sur_name, with_attack ? &atk : NULL, NULL, NULL, NULL, NULL};
    struct l2d_data tr = {N_TRAIN, DIM, X, NULL, NULL, 0}, va = {N_VAL, DIM, XV, NULL, NULL, 0};
    struct l2d_train_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.epochs = EPOCHS;
    cfg.batch = 50;
    cfg.lr = 0.01;
    cfg.optimizer = L2D_OPT_ADAMW;
    cfg.weight_decay = 1e-3;
    cfg.select_best = 1;
    cfg.seed = 5;
    struct l2d_epoch_rec ep[3][EPOCHS];
    struct l2d_train_result res[3];
    struct logbuf log[3];
    memset(log, 0, sizeof log);
    float *params[3] = {NULL, NULL, NULL};
    size_t np = 0;
    int rc = !ss || (with_attack && !as);
    for (int k = 0; k < 3 && !rc; k++) {
        struct l2d_model *m = rejector(k ? 0 : -1, &err);
        np = m ? l2d_model_n_params(m) : 0;
        params[k] = m ? calloc(np, sizeof(float)) : NULL;
        rc = !m || !params[k];
        if (!rc)
            rc = k ? l2d_cuda_train_rejector_log(&cfg, m, &sur, &tr, C, &va, CV, ep[k], &res[k],
                                                 NULL, NULL, log_fn, &log[k], &err)
                   : l2d_train_rejector(&cfg, m, &sur, &tr, C, &va, CV, ep[k], &res[k], NULL,
                                        NULL, &err);
        if (!rc) rc = l2d_model_get_params_host(m, params[k], &err);
        if (!rc && k)
            tap_diag("%s, GPU run %d: %s", label, k,
                     log[k].text[0] ? log[k].text : "(nothing logged: device ops only)");
        l2d_model_destroy(m);
    }
    tap_ok(!rc, "%s: CPU and GPU loops run%s%s", label, rc ? ": " : "", rc ? err.msg : "");
    if (rc) goto out;
    double worst = 0;
    for (int e = 0; e < EPOCHS; e++) {
        double d1 = fabs(ep[1][e].train_loss - ep[0][e].train_loss) / fabs(ep[0][e].train_loss);
        double d2 = fabs(ep[1][e].val_loss - ep[0][e].val_loss) / fabs(ep[0][e].val_loss);
        if (!(d1 <= worst)) worst = d1;
        if (!(d2 <= worst)) worst = d2;
        tap_diag("%s epoch %d: train loss %.9g (CPU %.9g), val risk %.6g (CPU %.6g), %.3f s "
                 "(CPU %.3f s)",
                 label, e + 1, ep[1][e].train_loss, ep[0][e].train_loss, ep[1][e].val_risk,
                 ep[0][e].val_risk, ep[1][e].seconds, ep[0][e].seconds);
    }
    tap_ok(worst <= tol && res[1].passes == res[0].passes,
           "%s: losses match the CPU loop's (rel. %.2g, tolerance %g); %llu passes (CPU %llu)",
           label, worst, tol, (unsigned long long)res[1].passes,
           (unsigned long long)res[0].passes);
    int same = memcmp(params[1], params[2], np * sizeof(float)) == 0;
    for (int e = 0; e < EPOCHS; e++)
        same = same && ep[1][e].train_loss == ep[2][e].train_loss &&
               ep[1][e].val_loss == ep[2][e].val_loss && ep[1][e].val_risk == ep[2][e].val_risk;
    tap_ok(same, "%s: two GPU runs give the same bits", label);
out:
    for (int k = 0; k < 3; k++) free(params[k]);
    if (ss) ((const struct l2d_surrogate_ops *)sops)->destroy(ss);
    if (as) ((const struct l2d_attack_ops *)aops)->destroy(as);
}

int main(void)
{
    cuda_test_require_device();
    const char *env = getenv("L2D_PLUGIN_PATH");
    const char *dir = env && *env ? env : L2D_ABS_BUILDDIR "/plugins/.libs";
    struct l2d_error err = {0, ""};
    if (l2d_registry_scan(&reg, &dir, 1, &err)) {
        printf("1..0 # SKIP no plugins in %s: %s\n", dir, err.msg);
        return 0;
    }
    make_problem();
    tap_plan(4 * 3);
    static const char *const ce1[] = {"nu=1"}, *const ce05[] = {"nu=0.5"};
    static const char *const rho[] = {"rho=1", "nu=1"};
    static const char *const sard[] = {"nu=1", "adv_weight=0.1"};
    one("ce (nu = 1)", "ce", ce1, 1, 0, 1e-4);
    one("ce (nu = 0.5)", "ce", ce05, 1, 0, 1e-4);
    one("rho-margin", "rho-margin", rho, 2, 0, 1e-3);
    one("smooth-adv + pgd", "smooth-adv", sard, 2, 1, 2e-2);
    l2d_registry_free(&reg);
    return tap_done();
}
