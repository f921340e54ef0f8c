/* The device attack objectives (framework/cuda/objective_kernels.cu,
 * objectives_cuda.c) against their CPU twin framework/core/objectives.c:
 * the per-row objective on random scores and costs for several nu and
 * targets, the whole objective through a CUDA model (value and input
 * gradient), an attack without device ops through the host path, and the
 * status word on a non-finite score. Skips without a CUDA device.
 *
 * Tolerances: values relative 1e-12 (both in double; the GPU's exp, log and
 * expm1 are within 2 ulp and nvcc fuses some multiply-adds, a few 1e-16
 * relative, grown by the sum over agents); score gradients are rounded to
 * float on both sides, so norm-wise 1e-6; through the model, float layers
 * as in test_cuda_model.c: 1e-5. */
#include "config.h"

#include <string.h>

#include "core/objectives.h"
#include "cuda/kernels.h"
#include "cuda/objectives_cuda.h"
#include "cuda_test_util.h"

/* The CPU model with mlp's parameters. */
static struct l2d_model *cpu_model(const struct l2d_mlp *mlp, struct l2d_error *err)
{
    struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = mlp->in, .out = mlp->out, .n_hidden = mlp->n_layers - 1, .hidden = mlp->dims + 1};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 1);
    struct l2d_model *m = NULL;
    if (l2d_model_create(&m, &arch, -1, &rng, err)) return NULL;
    if (l2d_model_set_params_host(m, mlp->params, err)) {
        l2d_model_destroy(m);
        return NULL;
    }
    return m;
}

static void row_tests(size_t A, double nu, int target)
{
    enum { B = 257 };
    struct l2d_error err = {0, ""};
    struct l2d_rng r;
    l2d_rng_seed(&r, (uint64_t)(A * 1000 + nu * 10 + target + 1));
    float s[B * 8];
    double c[B * 8], v_c[B], v_g[B], dr[8];
    float ds_c[B * 8], ds_g[B * 8];
    cuda_test_randn(&r, s, B * A, 2.0);
    for (size_t k = 0; k < B * A; k++) c[k] = l2d_rng_uniform(&r) < 0.2 ? 0.0 : l2d_rng_uniform(&r);
    /* rows where every other agent costs 0: the targeted zero-weight rule */
    for (size_t j = 0; j < A; j++) c[3 * A + j] = 0.0;
    int rc = 0;
    for (size_t i = 0; i < B && !rc; i++) {
        double rd[8];
        for (size_t k = 0; k < A; k++) rd[k] = s[i * A + k];
        rc = l2d_rej_objective_score(rd, c + i * A, A, nu, target, &v_c[i], dr, &err);
        for (size_t k = 0; k < A; k++) ds_c[i * A + k] = (float)dr[k];
    }
    float *d_s = cuda_test_upload(s, sizeof(float) * B * A), *d_ds = NULL;
    double *d_c = cuda_test_upload(c, sizeof(double) * B * A), *d_v = NULL;
    int *d_st = NULL, st[3] = {0, 0, 0};
    cudaMalloc((void **)&d_ds, sizeof(float) * B * A);
    cudaMalloc((void **)&d_v, sizeof(double) * B);
    cudaMalloc((void **)&d_st, sizeof st);
    cudaMemset(d_st, 0, sizeof st);
    cudaError_t e = l2d_cuda_rej_objective(d_s, d_c, B, A, nu, target, d_v, d_ds, d_st, 0, 0);
    int ok = !rc && e == cudaSuccess && cuda_test_download(v_g, d_v, sizeof(double) * B) &&
             cuda_test_download(ds_g, d_ds, sizeof(float) * B * A) &&
             cuda_test_download(st, d_st, sizeof st);
    double ev = cuda_test_relerr_d(v_g, v_c, B), eg = cuda_test_relerr_f(ds_g, ds_c, B * A);
    tap_ok(ok && st[0] == 0 && ev <= 1e-12 && eg <= 1e-6,
           "A = %zu, nu = %g, target %d: values (rel. %.2g) and score gradients (rel. %.2g) match "
           "objectives.c%s%s",
           A, nu, target, ev, eg, rc ? ": " : "", rc ? err.msg : "");
    cudaFree(d_s);
    cudaFree(d_ds);
    cudaFree(d_c);
    cudaFree(d_v);
    cudaFree(d_st);
}

/* The objective through a model: value and gradient with respect to x. */
static void model_test(double nu, int target)
{
    enum { B = 100, DIM = 12, A = 4 };
    const size_t hidden[2] = {32, 16};
    struct l2d_error err = {0, ""};
    struct l2d_rng r;
    l2d_rng_seed(&r, 31 + (uint64_t)target);
    struct l2d_mlp *cpu = NULL;
    int rc = l2d_mlp_create(&cpu, DIM, hidden, 2, A, &r, &err);
    struct l2d_model *gpu = rc ? NULL : cuda_test_model(cpu, &err);
    static float x[B * DIM], g_c[B * DIM], g_g[B * DIM];
    static double c[B * A], v_c[B], v_g[B];
    cuda_test_randn(&r, x, B * DIM, 1.0);
    for (size_t k = 0; k < B * A; k++) c[k] = l2d_rng_uniform(&r);
    struct l2d_rej_objective oc;
    struct l2d_cuda_objective og;
    memset(&og, 0, sizeof og);
    float *d_x = cuda_test_upload(x, sizeof x), *d_g = NULL;
    double *d_c = cuda_test_upload(c, sizeof c), *d_v = NULL;
    int *d_st = NULL;
    cudaMalloc((void **)&d_g, sizeof g_g);
    cudaMalloc((void **)&d_v, sizeof v_g);
    cudaMalloc((void **)&d_st, 3 * sizeof(int));
    cudaMemset(d_st, 0, 3 * sizeof(int));
    cudaDeviceSynchronize();
    if (!rc) rc = gpu ? 0 : -1;
    struct l2d_model *cm = rc ? NULL : cpu_model(cpu, &err);
    if (!rc) rc = cm ? 0 : -1;
    if (!rc) rc = l2d_rej_objective_init(&oc, cm, c, B, A, nu, target, NULL, NULL, &err);
    if (!rc) rc = oc.obj.value_grad(oc.obj.self, x, B, v_c, g_c, &err);
    if (!rc) rc = l2d_cuda_objective_init(&og, gpu, d_c, B, nu, target, NULL, NULL, d_st, &err);
    if (!rc) rc = og.obj.value_grad(og.obj.self, d_x, B, d_v, d_g, &err);
    if (!rc) rc = !cuda_test_download(v_g, d_v, sizeof v_g) || !cuda_test_download(g_g, d_g, sizeof g_g);
    double ev = cuda_test_relerr_d(v_g, v_c, B), eg = cuda_test_relerr_f(g_g, g_c, B * DIM);
    tap_ok(!rc && ev <= 1e-5 && eg <= 1e-5 && og.obj.device == 0 && og.obj.maximise == (target < 0),
           "through a CUDA model, nu = %g, target %d: values (rel. %.2g) and input gradients "
           "(rel. %.2g) match%s%s",
           nu, target, ev, eg, rc ? ": " : "", rc ? err.msg : "");
    if (!rc) l2d_rej_objective_free(&oc);
    l2d_cuda_objective_free(&og);
    cudaFree(d_x);
    cudaFree(d_g);
    cudaFree(d_c);
    cudaFree(d_v);
    cudaFree(d_st);
    cuda_test_model_free(gpu);
    l2d_model_destroy(cm);
    l2d_mlp_destroy(cpu);
}

/* A host-only attack: three signed-gradient steps of 0.05, clipped to
 * [lo, hi]. */
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
            float step = g[k] > 0 ? 0.05f : g[k] < 0 ? -0.05f : 0.0f;
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
    offsetof(struct l2d_attack_ops, perturb_device), NULL, toy_perturb, NULL, NULL, NULL};

static void host_path_test(void)
{
    enum { B = 64, DIM = 6, A = 3 };
    const size_t hidden = 10;
    struct l2d_error err = {0, ""};
    struct l2d_rng r;
    l2d_rng_seed(&r, 8);
    struct l2d_mlp *cpu = NULL;
    int rc = l2d_mlp_create(&cpu, DIM, &hidden, 1, A, &r, &err);
    struct l2d_model *gpu = rc ? NULL : cuda_test_model(cpu, &err);
    static float x[B * DIM], xa_c[B * DIM], xa_g[B * DIM], lo[DIM], hi[DIM];
    static double c[B * A];
    cuda_test_randn(&r, x, B * DIM, 0.5);
    for (size_t k = 0; k < B * A; k++) c[k] = l2d_rng_uniform(&r);
    for (size_t d = 0; d < DIM; d++) {
        lo[d] = -0.6f;
        hi[d] = 0.6f;
    }
    struct l2d_attack_handle atk = {&toy_attack, NULL};
    float *d_x = cuda_test_upload(x, sizeof x), *d_xa = NULL;
    float *d_lo = cuda_test_upload(lo, sizeof lo), *d_hi = cuda_test_upload(hi, sizeof hi);
    double *d_c = cuda_test_upload(c, sizeof c);
    int *d_st = NULL, slow = 0;
    cudaMalloc((void **)&d_xa, sizeof xa_g);
    cudaMalloc((void **)&d_st, 3 * sizeof(int));
    cudaMemset(d_st, 0, 3 * sizeof(int));
    cudaDeviceSynchronize();
    if (!rc) rc = gpu ? 0 : -1;
    struct l2d_model *cm = rc ? NULL : cpu_model(cpu, &err);
    if (!rc) rc = cm ? 0 : -1;
    if (!rc) rc = l2d_rej_attack(&atk, cm, x, c, B, 1.0, -1, lo, hi, 9, xa_c, &err);
    if (!rc)
        rc = l2d_cuda_rej_attack(&atk, gpu, d_x, d_c, B, 1.0, -1, d_lo, d_hi, lo, hi, 9, d_xa,
                                 d_st, &slow, &err);
    if (!rc) rc = !cuda_test_download(xa_g, d_xa, sizeof xa_g);
    /* a gradient within rounding of 0 may take the other sign on one side */
    size_t differ = 0;
    for (size_t k = 0; !rc && k < B * DIM; k++)
        if (fabsf(xa_g[k] - xa_c[k]) > 1e-6f) differ++;
    tap_ok(!rc && slow && differ <= B * DIM / 100,
           "an attack without device ops runs through the host path (%zu of %d coordinates "
           "differ from the CPU's)%s%s",
           differ, B * DIM, rc ? ": " : "", rc ? err.msg : "");

    /* a non-finite score: the status word names the row */
    int st[3] = {0, 0, 0};
    static float s[10 * A];
    static double v[10];
    for (size_t k = 0; k < 10 * A; k++) s[k] = 0.1f * (float)k;
    s[5 * A + 1] = INFINITY;
    float *d_s = cuda_test_upload(s, sizeof s);
    double *d_v = NULL;
    cudaMalloc((void **)&d_v, sizeof v);
    cudaMemset(d_st, 0, sizeof st);
    cudaError_t e = l2d_cuda_rej_objective(d_s, d_c, 10, A, 1.0, -1, d_v, NULL, d_st, 7, 0);
    int ok = e == cudaSuccess && cuda_test_download(st, d_st, sizeof st);
    tap_ok(ok && st[0] == L2D_CUDA_FAIL_SCORE && st[1] == 7 && st[2] == 5,
           "a non-finite score sets the status word (code %d, batch %d, row %d)", st[0], st[1],
           st[2]);
    cudaFree(d_s);
    cudaFree(d_v);
    cudaFree(d_x);
    cudaFree(d_xa);
    cudaFree(d_lo);
    cudaFree(d_hi);
    cudaFree(d_c);
    cudaFree(d_st);
    cuda_test_model_free(gpu);
    l2d_model_destroy(cm);
    l2d_mlp_destroy(cpu);
}

int main(void)
{
    cuda_test_require_device();
    static const double nus[] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0};
    static const size_t As[] = {2, 5};
    tap_plan(2 * 6 * 3 + 3 + 2);
    for (size_t a = 0; a < 2; a++)
        for (size_t q = 0; q < 6; q++) {
            row_tests(As[a], nus[q], -1);
            row_tests(As[a], nus[q], 0);
            row_tests(As[a], nus[q], (int)As[a] - 1);
        }
    model_test(1.0, -1);
    model_test(0.5, 2);
    model_test(2.0, 0);
    host_path_test();
    return tap_done();
}
