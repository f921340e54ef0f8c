/* The plugins' device ops (ABI 2) against their host ops, the CPU twins, on
 * random inputs of several shapes, and their repeatability (same inputs,
 * same bits); then the SARD step's time on the benchmark shape. Skips where
 * there is no CUDA device.
 *
 * Tolerances, and why:
 *   ce, rho-margin loss_device: the host op's row code itself, in double;
 *     only the device's exp/log/expm1 (within 2 ulp) and fused multiply-adds
 *     differ: loss within 1e-12 relative, the float gradient within 1e-6 of
 *     the batch's largest entry.
 *   pgd, fgsm perturb_device: against an objective computed identically on
 *     both sides (cuda_test_objective.h), so the same path: x_adv within
 *     1e-6 (l_2's projections take a square root and a division, which may
 *     round once differently under fused multiply-adds).
 *   smooth-adv train_batch_device: the model is float32 on both sides, in
 *     different summation orders (OpenBLAS or the small-MLP code on the CPU,
 *     fixed-order kernels here), so scores differ by ~1e-7 relative; an
 *     l_inf PGD step follows sign(gradient), and a component within that
 *     noise of 0 can flip and send a row elsewhere. So: every row's loss
 *     within 1e-5 relative except at most 1% of rows, and the parameter
 *     gradient within 1e-5 of its largest entry (1e-2 when some row
 *     diverged). The fused and generic device paths run the same float
 *     arithmetic per row, so they agree far closer (1e-6; bitwise but for
 *     the compiler's choice of fused multiply-adds).
 *
 * Set L2D_TEST_PLUGIN_DIR to load the plugins from elsewhere than the build
 * tree (e.g. a copy on a GPU machine), L2D_TEST_NO_BENCH to skip the
 * timing. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/device.h"
#include "tap.h"

#ifndef L2D_HAVE_CUDA
int main(void)
{
    tap_skip_all("no CUDA device (CUDA backend not built)");
    return 0;
}
#else
#include <cuda_runtime.h>

#include "core/model_impl.h" /* l2d_model_ctx_init: the CPU twin's model */
#include "cuda_test_mlp.h"
#include "cuda_test_objective.h"
#include "l2d/engine.h"
#include "l2d/model.h"
#include "plugin_util.h"

static cudaStream_t g_stream;
static struct l2d_rng g_rng;

#define CU(call)                                                                        \
    do {                                                                                \
        cudaError_t e_ = (call);                                                        \
        if (e_ != cudaSuccess) {                                                        \
            printf("Bail out! %s:%d: %s: %s\n", __FILE__, __LINE__, #call,              \
                   cudaGetErrorString(e_));                                             \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

static void *dev_alloc(size_t bytes)
{
    void *p = NULL;
    CU(cudaMalloc(&p, bytes ? bytes : 1));
    return p;
}
static void *dev_dup(const void *h, size_t bytes)
{
    void *p = dev_alloc(bytes);
    CU(cudaMemcpy(p, h, bytes, cudaMemcpyHostToDevice));
    return p;
}
static void dev_get(void *h, const void *d, size_t bytes)
{
    CU(cudaStreamSynchronize(g_stream));
    CU(cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost));
}
static void *xmalloc(size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return p;
}
static double urand(void) { return l2d_rng_uniform(&g_rng); }
static double nrand(void) { return l2d_rng_normal(&g_rng); }

/* ---- plugin instances ------------------------------------------------------ */

struct inst {
    struct l2d_registry reg;
    const struct l2d_plugin *d;
    void *state;
};

static int inst_make(struct inst *in, const char *file, const char *const *sets, size_t n,
                     uint64_t seed)
{
    char path[4096];
    struct l2d_error err = {0};
    const char *dir = getenv("L2D_TEST_PLUGIN_DIR");
    memset(in, 0, sizeof *in);
    if (dir && *dir) snprintf(path, sizeof path, "%s/%s", dir, file);
    else snprintf(path, sizeof path, "%s/plugins/.libs/%s", L2D_ABS_BUILDDIR, file);
    if (l2d_registry_add_file(&in->reg, path, &err) || in->reg.n == 0) {
        printf("# cannot load %s: %s\n", path, err.msg);
        return -1;
    }
    in->d = in->reg.items[0].desc;
    struct l2d_params p;
    if (tplug_params(in->d, sets, n, &p, &err)) {
        printf("# %s: %s\n", file, err.msg);
        return -1;
    }
    struct l2d_host host = {sizeof host, seed, NULL, NULL, NULL};
    int rc;
    if (in->d->kind == L2D_KIND_SURROGATE)
        rc = ((const struct l2d_surrogate_ops *)in->d->ops)->create(&p, &host, &in->state, &err);
    else
        rc = ((const struct l2d_attack_ops *)in->d->ops)->create(&p, &host, &in->state, &err);
    l2d_params_free(&p);
    if (rc) printf("# %s: create: %s\n", file, err.msg);
    return rc;
}

static void inst_free(struct inst *in)
{
    if (in->state) {
        if (in->d->kind == L2D_KIND_SURROGATE)
            ((const struct l2d_surrogate_ops *)in->d->ops)->destroy(in->state);
        else
            ((const struct l2d_attack_ops *)in->d->ops)->destroy(in->state);
    }
    l2d_registry_free(&in->reg);
}

static const struct l2d_surrogate_ops *sops(const struct inst *in) { return in->d->ops; }
static const struct l2d_attack_ops *aops(const struct inst *in) { return in->d->ops; }

/* ---- 1. loss_device of ce and rho-margin ------------------------------------ */

static void check_loss(const char *file, const char *const *sets, size_t nsets, const char *label)
{
    static const size_t shapes[][2] = {{1, 2}, {129, 3}, {1000, 5}, {257, 8}, {4099, 4}};
    struct inst in;
    if (inst_make(&in, file, sets, nsets, 1)) {
        tap_ok(0, "%s: create", label);
        return;
    }
    const struct l2d_surrogate_ops *o = sops(&in);
    if (!L2D_OPS_HAS(o, struct l2d_surrogate_ops, loss_device) || !o->loss_device) {
        tap_ok(0, "%s: has loss_device", label);
        inst_free(&in);
        return;
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t B = shapes[s][0], A = shapes[s][1], n = B * A;
        float *sf = xmalloc(n * sizeof *sf), *gd = xmalloc(n * sizeof *gd),
              *gd2 = xmalloc(n * sizeof *gd2);
        double *sd = xmalloc(n * sizeof *sd), *c = xmalloc(n * sizeof *c),
               *lh = xmalloc(B * sizeof *lh), *gh = xmalloc(n * sizeof *gh),
               *ld = xmalloc(B * sizeof *ld), *ld2 = xmalloc(B * sizeof *ld2);
        for (size_t k = 0; k < n; k++) {
            /* some ties and margins on the kinks of rho-margin */
            sf[k] = k % 7 == 3 ? 0.5f * (float)(int)(4 * urand()) : (float)(2.0 * nrand());
            sd[k] = sf[k];
            c[k] = urand() < 0.1 ? 0.0 : urand();
        }
        const double scale = 1.0 / (double)B;
        struct l2d_error err = {0};
        int rc = o->loss(in.state, sd, c, B, A, lh, gh, &err);
        float *dsc = dev_dup(sf, n * sizeof *sf);
        double *dc = dev_dup(c, n * sizeof *c), *dl = dev_alloc(B * sizeof *dl);
        float *dg = dev_alloc(n * sizeof *dg);
        rc = rc ? rc : o->loss_device(in.state, dsc, dc, B, A, scale, dl, dg, g_stream, &err);
        dev_get(ld, dl, B * sizeof *ld);
        dev_get(gd, dg, n * sizeof *gd);
        rc = rc ? rc : o->loss_device(in.state, dsc, dc, B, A, scale, dl, dg, g_stream, &err);
        dev_get(ld2, dl, B * sizeof *ld2);
        dev_get(gd2, dg, n * sizeof *gd2);
        double el = 0, eg = 0, gmax = 0;
        for (size_t i = 0; i < B; i++) el = fmax(el, fabs(ld[i] - lh[i]) / fmax(1e-300, fabs(lh[i])));
        for (size_t k = 0; k < n; k++) gmax = fmax(gmax, fabs(scale * gh[k]));
        for (size_t k = 0; k < n; k++) eg = fmax(eg, fabs(gd[k] - scale * gh[k]));
        if (rc) el = eg = NAN;
        tap_ok(!rc && el <= 1e-12 && eg <= 1e-6 * gmax + 1e-30,
               "%s B=%zu A=%zu: loss rel err %.2g (<= 1e-12), grad err %.2g of max %.2g (<= 1e-6)%s%s",
               label, B, A, el, eg, gmax, rc ? ": " : "", rc ? err.msg : "");
        tap_ok(!memcmp(ld, ld2, B * sizeof *ld) && !memcmp(gd, gd2, n * sizeof *gd),
               "%s B=%zu A=%zu: the same bits twice", label, B, A);
        if (s == 1) { /* a negative cost: the host op refuses, the device row is NaN */
            c[A] = -1.0;
            CU(cudaMemcpy(dc, c, n * sizeof *c, cudaMemcpyHostToDevice));
            int hrc = o->loss(in.state, sd, c, B, A, lh, gh, &err);
            rc = o->loss_device(in.state, dsc, dc, B, A, scale, dl, dg, g_stream, &err);
            dev_get(ld, dl, B * sizeof *ld);
            tap_ok(hrc == L2D_EINVAL && !rc && isnan(ld[1]) && isfinite(ld[0]),
                   "%s: a negative cost: host EINVAL, device NaN on that row only", label);
        }
        cudaFree(dsc), cudaFree(dc), cudaFree(dl), cudaFree(dg);
        free(sf), free(gd), free(gd2), free(sd), free(c), free(lh), free(gh), free(ld), free(ld2);
    }
    inst_free(&in);
}

/* ---- 2. perturb_device of pgd and fgsm ------------------------------------------ */

static void check_attack(const char *file, const char *const *sets, size_t nsets, size_t B,
                         size_t D, int maximise, int clamp, const char *label)
{
    struct inst in;
    if (inst_make(&in, file, sets, nsets, 1)) {
        tap_ok(0, "%s: create", label);
        return;
    }
    const struct l2d_attack_ops *o = aops(&in);
    struct l2d_pgd_spec sp;
    if (!L2D_OPS_HAS(o, struct l2d_attack_ops, describe) || !o->perturb_device || !o->describe ||
        o->describe(in.state, &sp)) {
        tap_ok(0, "%s: has perturb_device and describe", label);
        inst_free(&in);
        return;
    }
    const size_t n = B * D;
    float *x = xmalloc(n * sizeof *x), *xh = xmalloc(n * sizeof *xh), *xd = xmalloc(n * sizeof *xd),
          *xd2 = xmalloc(n * sizeof *xd2), lo[64], hi[64];
    double *q = xmalloc(D * sizeof *q), *b = xmalloc(n * sizeof *b);
    for (size_t k = 0; k < n; k++) x[k] = (float)(0.3 * nrand()), b[k] = nrand();
    for (size_t k = 0; k < D; k++) {
        q[k] = 2.0 * nrand();
        lo[k] = -0.3f, hi[k] = 0.4f;
    }
    struct tobj th = {0}, td = {0};
    th.obj.dim = td.obj.dim = D;
    th.obj.maximise = td.obj.maximise = maximise;
    th.B = td.B = B;
    th.q = q, th.b = b;
    th.obj.lo = clamp ? lo : NULL, th.obj.hi = clamp ? hi : NULL;
    th.obj.device = -1;
    tobj_init_host(&th);
    td.q = dev_dup(q, D * sizeof *q), td.b = dev_dup(b, n * sizeof *b);
    td.obj.lo = clamp ? dev_dup(lo, D * sizeof *lo) : NULL;
    td.obj.hi = clamp ? dev_dup(hi, D * sizeof *hi) : NULL;
    td.obj.device = 0, td.obj.stream = g_stream;
    tobj_init_device(&td);
    float *dx = dev_dup(x, n * sizeof *x), *dxa = dev_alloc(n * sizeof *dxa);
    struct l2d_error err = {0};
    const uint64_t seed = 12345;
    int rc = o->perturb(in.state, &th.obj, x, B, xh, seed, &err);
    rc = rc ? rc : o->perturb_device(in.state, &td.obj, dx, B, dxa, seed, g_stream, &err);
    dev_get(xd, dxa, n * sizeof *xd);
    rc = rc ? rc : o->perturb_device(in.state, &td.obj, dx, B, dxa, seed, g_stream, &err);
    dev_get(xd2, dxa, n * sizeof *xd2);
    double e = 0, moved = 0;
    size_t same = 0;
    for (size_t k = 0; k < n; k++) {
        e = fmax(e, fabs((double)xd[k] - xh[k]));
        moved = fmax(moved, fabs((double)xh[k] - x[k]));
        same += xd[k] == xh[k];
    }
    if (rc) e = NAN;
    tap_ok(!rc && e <= 1e-6 && th.calls * 2 == td.calls,
           "%s B=%zu D=%zu %s%s: x_adv err %.2g (<= 1e-6), %zu/%zu entries equal, moved up to "
           "%.3g, %d host / %d device evaluations%s%s",
           label, B, D, maximise ? "max" : "min", clamp ? " clamp" : "", e, same, n, moved,
           th.calls, td.calls / 2, rc ? ": " : "", rc ? err.msg : "");
    tap_ok(!memcmp(xd, xd2, n * sizeof *xd), "%s B=%zu D=%zu: the same bits twice", label, B, D);
    cudaFree((void *)td.q), cudaFree((void *)td.b), cudaFree((void *)td.obj.lo),
        cudaFree((void *)td.obj.hi), cudaFree(dx), cudaFree(dxa);
    free(x), free(xh), free(xd), free(xd2), free(q), free(b);
    inst_free(&in);
}

/* ---- 3. train_batch_device of smooth-adv -------------------------------------------- */

struct sard_case {
    size_t D, nh, hid[4], A, B;
    const char *attack;        /* plugin file */
    const char *aset[6];
    size_t naset;
    int clamp;
};

/* The CPU model, its parameters doubled (larger scores, more to attack);
 * dims[] gets its layer widths. */
static struct l2d_model *make_model(const struct sard_case *sc, uint64_t seed, size_t *dims)
{
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_model *m = NULL;
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = sc->D, .out = sc->A, .n_hidden = sc->nh, .hidden = sc->hid};
    l2d_rng_seed(&rng, seed);
    if (l2d_model_create(&m, &arch, -1, &rng, &err)) return NULL;
    const size_t P = l2d_model_n_params(m);
    float *p = xmalloc(P * sizeof *p);
    int rc = l2d_model_get_params_host(m, p, &err);
    for (size_t q = 0; q < P; q++) p[q] *= 2.0f;
    rc = rc ? rc : l2d_model_set_params_host(m, p, &err);
    free(p);
    if (rc) {
        l2d_model_destroy(m);
        return NULL;
    }
    dims[0] = sc->D;
    for (size_t l = 0; l < sc->nh; l++) dims[l + 1] = sc->hid[l];
    dims[sc->nh + 1] = sc->A;
    return m;
}

/* Its parameters, host copy (P floats, malloc'ed). */
static float *model_params(struct l2d_model *m)
{
    struct l2d_error err = {0};
    float *p = xmalloc(l2d_model_n_params(m) * sizeof *p);
    l2d_model_get_params_host(m, p, &err);
    return p;
}

/* One device step; loss[B] and grads[n_params] read back. */
static int sard_dev_step(struct inst *sur, struct inst *att, struct tmlp *tm, int with_view,
                         const float *dlo, const float *dhi, const float *dx, const double *dc,
                         size_t B, double *dl, double *loss, float *grads, uint64_t *passes,
                         uint64_t *added, struct l2d_error *err)
{
    struct l2d_model_ctx ctx;
    tmlp_ctx(tm, &ctx, dlo, dhi, with_view);
    struct l2d_attack_handle ah = {att->d->ops, att->state};
    tmlp_reset_counts(tm);
    int rc = tmlp_zero_grads(tm, err);
    rc = rc ? rc : sops(sur)->train_batch_device(sur->state, &ctx, &ah, dx, dc, B, dl, g_stream, err);
    if (rc) return rc;
    dev_get(loss, dl, B * sizeof *loss);
    *passes = tmlp_backward_rows(tm);
    *added = tmlp_added_rows(tm);
    return tmlp_get_grads(tm, grads, err);
}

static void check_sard(const struct sard_case *sc, const char *label)
{
    const size_t B = sc->B, D = sc->D, A = sc->A;
    size_t dims[8];
    struct l2d_model *m = make_model(sc, 7 + B, dims);
    float *params = m ? model_params(m) : NULL;
    struct inst sur[3], att[3];
    const char *sset[] = {"nu=1", "rho=1", "adv_weight=0.5"};
    int bad = !m;
    for (int k = 0; k < 3; k++) {
        bad |= inst_make(&sur[k], "smooth-adv.so", sset, 3, 42) != 0;
        bad |= inst_make(&att[k], sc->attack, sc->aset, sc->naset, 1) != 0;
    }
    if (bad || !sops(&sur[0])->train_batch_device) {
        tap_ok(0, "%s: set-up (plugins, train_batch_device)", label);
        return;
    }
    struct l2d_pgd_spec sp;
    aops(&att[0])->describe(att[0].state, &sp);
    const size_t n = B * D, P = l2d_model_n_params(m);
    float *x = xmalloc(n * sizeof *x), lo[64], hi[64];
    double *c = xmalloc(B * A * sizeof *c), *lh = xmalloc(B * sizeof *lh);
    double *lf = xmalloc(B * sizeof *lf), *lg = xmalloc(B * sizeof *lg), *lf2 = xmalloc(B * sizeof *lf2);
    float *gh = xmalloc(P * sizeof *gh), *gf = xmalloc(P * sizeof *gf), *gg = xmalloc(P * sizeof *gg),
          *gf2 = xmalloc(P * sizeof *gf2);
    for (size_t k = 0; k < n; k++) x[k] = (float)nrand();
    for (size_t k = 0; k < B * A; k++) c[k] = urand() < 0.1 ? 0.0 : urand();
    for (size_t k = 0; k < D; k++) lo[k] = -1.0f, hi[k] = 1.2f;

    /* the CPU twin */
    struct l2d_error err = {0};
    struct l2d_model_ctx hctx;
    l2d_model_ctx_init(&hctx, NULL, m, sc->clamp ? lo : NULL, sc->clamp ? hi : NULL);
    struct l2d_attack_handle ah = {att[0].d->ops, att[0].state};
    l2d_model_zero_grad(m);
    int rc = sops(&sur[0])->train_batch(sur[0].state, &hctx, &ah, x, c, B, lh, &err);
    rc = rc ? rc : l2d_model_get_grads_host(m, gh, &err);
    if (rc) {
        tap_ok(0, "%s: host step: %s", label, err.msg);
        goto out;
    }

    /* the device, fused (with the MLP view) then generic (without) */
    struct tmlp *tm = NULL, *tm2 = NULL;
    rc = tmlp_create(&tm, sc->nh + 1, dims, params, A * B, g_stream, &err);
    rc = rc ? rc : tmlp_create(&tm2, sc->nh + 1, dims, params, A * B, g_stream, &err);
    float *dx = dev_dup(x, n * sizeof *x);
    double *dc = dev_dup(c, B * A * sizeof *c), *dl = dev_alloc(B * sizeof *dl);
    float *dlo = sc->clamp ? dev_dup(lo, D * sizeof *lo) : NULL;
    float *dhi = sc->clamp ? dev_dup(hi, D * sizeof *hi) : NULL;
    uint64_t pf = 0, af = 0, pg = 0, ag = 0, pf2, af2;
    rc = rc ? rc : sard_dev_step(&sur[1], &att[1], tm, 1, dlo, dhi, dx, dc, B, dl, lf, gf, &pf, &af, &err);
    rc = rc ? rc : sard_dev_step(&sur[2], &att[2], tm2, 0, dlo, dhi, dx, dc, B, dl, lg, gg, &pg, &ag, &err);
    if (rc) {
        tap_ok(0, "%s: device step: %s", label, err.msg);
        goto out_dev;
    }
    /* repeatability: a fresh surrogate and attack (same seeds), same inputs */
    {
        struct inst s2, a2;
        inst_make(&s2, "smooth-adv.so", sset, 3, 42);
        inst_make(&a2, sc->attack, sc->aset, sc->naset, 1);
        rc = sard_dev_step(&s2, &a2, tm, 1, dlo, dhi, dx, dc, B, dl, lf2, gf2, &pf2, &af2, &err);
        inst_free(&s2), inst_free(&a2);
    }
    size_t div = 0;
    double el = 0, eg = 0, gmax = 0, efg = 0, efgg = 0;
    for (size_t i = 0; i < B; i++) {
        double e = fabs(lf[i] - lh[i]) / fmax(1e-3, fabs(lh[i]));
        if (e > 1e-5) div++;
        else el = fmax(el, e);
        efg = fmax(efg, fabs(lf[i] - lg[i]) / fmax(1e-3, fabs(lg[i])));
    }
    for (size_t q = 0; q < P; q++) gmax = fmax(gmax, fabs(gh[q]));
    for (size_t q = 0; q < P; q++) {
        eg = fmax(eg, fabs((double)gf[q] - gh[q]));
        efgg = fmax(efgg, fabs((double)gf[q] - gg[q]));
    }
    const double gtol = (div ? 1e-2 : 1e-5) * gmax;
    tap_ok(div * 100 <= B && eg <= gtol,
           "%s: loss vs CPU: rel err %.2g on %zu/%zu rows (<= 1e-5), %zu diverged (<= 1%%); "
           "param grad err %.2g of max %.2g (<= %.0e)",
           label, el, B - div, B, div, eg, gmax, div ? 1e-2 : 1e-5);
    tap_ok(efg <= 1e-6 && efgg <= 1e-5 * gmax,
           "%s: fused and generic device paths agree: loss %.2g, grad %.2g", label, efg, efgg);
    /* an attack with eps = 0 returns x at once: no inner passes */
    const uint64_t T = sp.eps > 0 ? (uint64_t)sp.steps : 0;
    const uint64_t want = (uint64_t)B * (1 + A * (T + 1));
    tap_ok(pf + af == want && pg + ag == want && af == (uint64_t)A * B * T && ag == 0,
           "%s: passes n(1 + A(T+1)) = %llu: fused %llu (%llu in the kernel), generic %llu", label,
           (unsigned long long)want, (unsigned long long)(pf + af), (unsigned long long)af,
           (unsigned long long)(pg + ag));
    tap_ok(!rc && !memcmp(lf, lf2, B * sizeof *lf) && !memcmp(gf, gf2, P * sizeof *gf),
           "%s: the same bits twice", label);
out_dev:
    tmlp_destroy(tm), tmlp_destroy(tm2);
    cudaFree(dx), cudaFree(dc), cudaFree(dl), cudaFree(dlo), cudaFree(dhi);
out:
    for (int k = 0; k < 3; k++) inst_free(&sur[k]), inst_free(&att[k]);
    l2d_model_destroy(m);
    free(params);
    free(x), free(c), free(lh), free(lf), free(lg), free(lf2), free(gh), free(gf), free(gg), free(gf2);
}

/* ---- 4. timing on the benchmark shape ---------------------------------------------- */

static int nop_forward(void *self, const float *x, size_t B, float *s, struct l2d_error *err)
{
    (void)self, (void)x, (void)B, (void)s, (void)err;
    return 0;
}
static int nop_backward(void *self, const float *x, size_t B, const float *ds, float *dx, int acc,
                        struct l2d_error *err)
{
    (void)self, (void)x, (void)B, (void)ds, (void)dx, (void)acc, (void)err;
    return 0;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median microseconds of `reps` launches of one step (or of its graph). */
static double time_step(struct inst *sur, const struct l2d_model_ctx *ctx,
                        const struct l2d_attack_handle *ah, const float *dx, const double *dc,
                        size_t B, double *dl, int graph, int reps, struct l2d_error *err)
{
    cudaEvent_t e0, e1;
    CU(cudaEventCreate(&e0));
    CU(cudaEventCreate(&e1));
    float *ms = xmalloc(reps * sizeof *ms);
    cudaGraphExec_t exec = NULL;
    int rc = 0;
    for (int w = 0; w < 5 && !rc; w++) /* warm-up; the first call allocates */
        rc = sops(sur)->train_batch_device(sur->state, ctx, ah, dx, dc, B, dl, g_stream, err);
    if (!rc && graph) {
        cudaGraph_t g;
        CU(cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeThreadLocal));
        rc = sops(sur)->train_batch_device(sur->state, ctx, ah, dx, dc, B, dl, g_stream, err);
        CU(cudaStreamEndCapture(g_stream, &g));
        CU(cudaGraphInstantiate(&exec, g, 0));
        CU(cudaGraphDestroy(g));
        for (int w = 0; w < 5; w++) CU(cudaGraphLaunch(exec, g_stream));
    }
    CU(cudaStreamSynchronize(g_stream));
    for (int r = 0; r < reps && !rc; r++) {
        CU(cudaEventRecord(e0, g_stream));
        if (graph) CU(cudaGraphLaunch(exec, g_stream));
        else rc = sops(sur)->train_batch_device(sur->state, ctx, ah, dx, dc, B, dl, g_stream, err);
        CU(cudaEventRecord(e1, g_stream));
        CU(cudaEventSynchronize(e1));
        CU(cudaEventElapsedTime(&ms[r], e0, e1));
    }
    qsort(ms, reps, sizeof *ms, cmp_f);
    double med = rc ? NAN : 1000.0 * ms[reps / 2];
    if (exec) cudaGraphExecDestroy(exec);
    cudaEventDestroy(e0), cudaEventDestroy(e1);
    free(ms);
    return med;
}

static void bench(void)
{
    const size_t B = 8096, D = 8, A = 4;
    struct sard_case sc = {D, 2, {8, 16}, A, B, "pgd.so", {0}, 0, 0};
    size_t dims[8];
    struct l2d_model *m = make_model(&sc, 99, dims);
    float *params = m ? model_params(m) : NULL;
    struct inst sur, att;
    const char *sset[] = {"nu=1", "rho=1", "adv_weight=0.5"};
    const char *aset[] = {"norm=inf", "eps=0.25", "steps=10", "step=0.025", "random_start=false"};
    if (!m || inst_make(&sur, "smooth-adv.so", sset, 3, 42) || inst_make(&att, "pgd.so", aset, 5, 1)) {
        tap_ok(0, "benchmark set-up");
        return;
    }
    float *x = xmalloc(B * D * sizeof *x);
    double *c = xmalloc(B * A * sizeof *c);
    for (size_t k = 0; k < B * D; k++) x[k] = (float)nrand();
    for (size_t k = 0; k < B * A; k++) c[k] = urand();
    float *dx = dev_dup(x, B * D * sizeof *x);
    double *dc = dev_dup(c, B * A * sizeof *c), *dl = dev_alloc(B * sizeof *dl);
    struct tmlp *tm = NULL;
    struct l2d_error err = {0};
    int rc = tmlp_create(&tm, sc.nh + 1, dims, params, A * B, g_stream, &err);
    struct l2d_model_ctx ctx, nctx;
    struct l2d_attack_handle ah = {att.d->ops, att.state};
    const int reps = 200;
    double full = NAN, graph = NAN, kern = NAN, gen = NAN;
    if (!rc) {
        tmlp_ctx(tm, &ctx, NULL, NULL, 1);
        full = time_step(&sur, &ctx, &ah, dx, dc, B, dl, 0, reps, &err);
        graph = time_step(&sur, &ctx, &ah, dx, dc, B, dl, 1, reps, &err);
        /* the plugin's own kernels alone: a model whose passes do nothing */
        nctx = ctx;
        nctx.forward = nop_forward, nctx.backward = nop_backward, nctx.add_passes = NULL;
        kern = time_step(&sur, &nctx, &ah, dx, dc, B, dl, 1, reps, &err);
        tmlp_ctx(tm, &ctx, NULL, NULL, 0);
        gen = time_step(&sur, &ctx, &ah, dx, dc, B, dl, 1, 50, &err);
    }
    struct l2d_device_info info;
    l2d_device_info(0, &info, &err);
    tap_diag("SARD step, B=%zu, D=%zu, A=%zu, MLP 8-8-16-4, PGD10 l_inf eps 0.25 step 0.025, on %s:",
             B, D, A, info.name);
    tap_diag("  fused, stream launches:            %8.1f us/batch (median of %d)", full, reps);
    tap_diag("  fused, one CUDA graph:             %8.1f us/batch", graph);
    tap_diag("  fused, plugin kernels alone:       %8.1f us/batch (model passes stubbed out)", kern);
    tap_diag("  generic (pgd perturb_device), graph: %6.1f us/batch (median of 50)", gen);
    tap_ok(!rc && isfinite(full) && isfinite(graph) && isfinite(kern) && isfinite(gen),
           "benchmark ran (fused %.1f us, graph %.1f us, kernels %.1f us, generic %.1f us)%s%s",
           full, graph, kern, gen, rc ? ": " : "", rc ? err.msg : "");
    tmlp_destroy(tm);
    cudaFree(dx), cudaFree(dc), cudaFree(dl);
    free(x), free(c);
    inst_free(&sur), inst_free(&att);
    l2d_model_destroy(m);
    free(params);
}

int main(void)
{
    if (l2d_cuda_device_count(NULL) == 0) tap_skip_all("no CUDA device");
    CU(cudaSetDevice(0));
    CU(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking));
    l2d_rng_seed(&g_rng, 2024);
    tap_plan(4 * (5 * 2 + 1) + 18 * 2 + 10 * 4 + 1);

    /* ce over its family, rho-margin over rho and u: 5 shapes x 2 each */
    const char *ce0[] = {"nu=0"}, *ce1[] = {"nu=1"}, *ce2[] = {"nu=0.7"};
    check_loss("ce.so", ce0, 1, "ce nu=0");
    check_loss("ce.so", ce1, 1, "ce nu=1");
    check_loss("ce.so", ce2, 1, "ce nu=0.7");
    const char *rm[] = {"rho=0.5", "nu=2.5"};
    check_loss("rho-margin.so", rm, 2, "rho-margin rho=0.5 u=2.5");

    /* pgd: both norms, clamp on/off, random start on/off, max and min */
    static const size_t shapes[][2] = {{1, 3}, {77, 8}, {300, 5}, {1000, 8}};
    int t = 0;
    for (int norm = 0; norm < 2; norm++)
        for (int rs = 0; rs < 2; rs++)
            for (int cl = 0; cl < 2; cl++) {
                const char *s[] = {norm ? "norm=2" : "norm=inf", norm ? "eps=0.5" : "eps=0.25",
                                   "steps=7", rs ? "random_start=true" : "random_start=false",
                                   cl ? "clamp=true" : "clamp=false"};
                char label[96];
                snprintf(label, sizeof label, "pgd %s%s", norm ? "l2" : "linf",
                         rs ? " random start" : "");
                check_attack("pgd.so", s, 5, shapes[t % 4][0], shapes[t % 4][1], 1, cl, label);
                check_attack("pgd.so", s, 5, shapes[(t + 1) % 4][0], shapes[(t + 1) % 4][1], 0, cl,
                             label);
                t++;
            }
    const char *fg[] = {"eps=0.1", "clamp=true"};
    check_attack("fgsm.so", fg, 2, 513, 6, 1, 1, "fgsm");
    check_attack("fgsm.so", fg, 2, 64, 2, 0, 1, "fgsm");

    /* smooth-adv: the fused kernel's compile-time shape and run-time shapes */
    struct sard_case cases[] = {
        {8, 2, {8, 16}, 4, 1000, "pgd.so", {"norm=inf", "eps=0.25", "steps=10", "step=0.025"}, 4, 0},
        {5, 1, {7}, 3, 333, "pgd.so", {"norm=2", "eps=0.5", "steps=5", "random_start=true"}, 4, 0},
        {6, 2, {12, 10}, 8, 257, "pgd.so",
         {"norm=inf", "eps=0.3", "steps=4", "random_start=true", "clamp=true"}, 5, 1},
        {4, 0, {0}, 2, 129, "fgsm.so", {"eps=0.1", "clamp=true"}, 2, 1},
        {8, 2, {8, 16}, 4, 777, "pgd.so", {"norm=2", "eps=0.4", "steps=3", "clamp=true"}, 4, 1},
        {3, 1, {5}, 5, 200, "pgd.so", {"norm=inf", "eps=0", "steps=2"}, 3, 0},
        {7, 3, {9, 9, 6}, 6, 500, "pgd.so", {"norm=2", "eps=0.2", "steps=6"}, 3, 0},
        {8, 2, {8, 16}, 4, 64, "pgd.so", {"norm=inf", "eps=0.25", "steps=10", "random_start=true"}, 4, 0},
        {2, 1, {4}, 2, 1, "pgd.so", {"norm=inf", "eps=0.5", "steps=3"}, 3, 0},
        {10, 1, {33}, 7, 150, "fgsm.so", {"eps=0.2"}, 1, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char label[128];
        const struct sard_case *sc = &cases[k];
        snprintf(label, sizeof label, "smooth-adv D=%zu A=%zu B=%zu %s %s%s%s", sc->D, sc->A,
                 sc->B, sc->attack, sc->aset[0], sc->naset > 3 ? " " : "",
                 sc->naset > 3 ? sc->aset[3] : "");
        check_sard(sc, label);
    }
    /* L2D_TEST_NO_BENCH: skip the timing (e.g. under compute-sanitizer) */
    if (getenv("L2D_TEST_NO_BENCH")) tap_ok(1, "# SKIP benchmark (L2D_TEST_NO_BENCH)");
    else bench();
    return tap_done();
}
#endif
