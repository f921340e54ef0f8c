/* The CUDA model backend against its CPU twins (llm.c's habit): forward,
 * input gradient and parameter gradient against framework/core/mlp.c on
 * random inputs of several shapes; the optimisers against
 * framework/core/optim.c; snapshot/restore and host get/set; and
 * repeatability (the same inputs twice give the same bits). Skips without
 * a CUDA device.
 *
 * Tolerance for the layers: norm-wise relative error 1e-5. Both sides sum
 * float32 products, in different orders (OpenBLAS in blocks, the GPU in
 * index order; the GPU's parameter gradient even in double), so each sum of
 * K terms may differ by about sqrt(K) * 2^-24 relative to the size of its
 * terms: 2e-6 at K = 1000, under 1e-5 with room for a few layers. A wrong
 * index or a missed term is off by far more than that. The optimisers do
 * the same double arithmetic, operation for operation, so they must agree
 * to the bit. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "cuda/model_cuda.h"
#include "cuda_test_util.h"

#define TOL 1e-5

struct shape {
    size_t dims[5];
    size_t n_layers;
};

static void layer_tests(const struct shape *sh, size_t B, uint64_t seed)
{
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, seed);
    struct l2d_mlp *cpu = NULL;
    const size_t in = sh->dims[0], out = sh->dims[sh->n_layers];
    char name[96];
    int n = snprintf(name, sizeof name, "%zu", in);
    for (size_t l = 1; l <= sh->n_layers; l++)
        n += snprintf(name + n, sizeof name - (size_t)n, "-%zu", sh->dims[l]);
    snprintf(name + n, sizeof name - (size_t)n, ", B = %zu", B);

    int rc = l2d_mlp_create(&cpu, in, sh->dims + 1, sh->n_layers - 1, out, &rng, &err);
    struct l2d_model *gpu = rc ? NULL : cuda_test_model(cpu, &err);
    const size_t np = cpu ? cpu->n_params : 0;
    float *x = malloc(B * in * sizeof *x), *dy = malloc(B * out * sizeof *dy);
    float *y_c = malloc(B * out * sizeof *y_c), *y_g = malloc(B * out * sizeof *y_g);
    float *dx_c = malloc(B * in * sizeof *dx_c), *dx_g = malloc(B * in * sizeof *dx_g);
    float *g_g = malloc(np * sizeof *g_g), *y2 = malloc(B * out * sizeof *y2);
    float *dx2 = malloc(B * in * sizeof *dx2), *g2 = malloc(np * sizeof *g2);
    if (!gpu || !x || !dy || !y_c || !y_g || !dx_c || !dx_g || !g_g || !y2 || !dx2 || !g2) {
        tap_ok(0, "%s: set up (%s)", name, err.msg);
        goto out;
    }
    cuda_test_randn(&rng, x, B * in, 1.0);
    cuda_test_randn(&rng, dy, B * out, 1.0);
    float *d_x = cuda_test_upload(x, B * in * sizeof *x);
    float *d_dy = cuda_test_upload(dy, B * out * sizeof *dy);
    float *d_y = NULL, *d_dx = NULL;
    cudaMalloc((void **)&d_y, B * out * sizeof(float));
    cudaMalloc((void **)&d_dx, B * in * sizeof(float));

    /* CPU twin: gradient accumulated twice (accumulate adds, it does not
     * overwrite) */
    l2d_mlp_zero_grad(cpu);
    rc = l2d_mlp_forward(cpu, x, B, y_c, &err);
    if (!rc) rc = l2d_mlp_backward(cpu, dy, B, dx_c, 1, &err);
    if (!rc) rc = l2d_mlp_backward(cpu, dy, B, dx_c, 1, &err);
    tap_ok(rc == 0, "%s: CPU twin runs%s%s", name, rc ? ": " : "", err.msg);

    for (int rep = 0; rep < 2; rep++) {
        float *yo = rep ? y2 : y_g, *dxo = rep ? dx2 : dx_g, *go = rep ? g2 : g_g;
        gpu->be->zero_grad(gpu);
        rc = !d_x || !d_dy || !d_y || !d_dx;
        if (!rc) rc = gpu->be->forward(gpu, d_x, B, d_y, &err);
        if (!rc) rc = gpu->be->backward(gpu, d_dy, B, d_dx, 1, &err);
        if (!rc) rc = gpu->be->backward(gpu, d_dy, B, d_dx, 1, &err);
        if (!rc) rc = !cuda_test_download(yo, d_y, B * out * sizeof *yo);
        if (!rc) rc = !cuda_test_download(dxo, d_dx, B * in * sizeof *dxo);
        if (!rc) rc = gpu->be->get_grads_host(gpu, go, &err);
        if (rc) break;
    }
    if (!tap_ok(rc == 0, "%s: GPU runs%s%s", name, rc ? ": " : "", err.msg)) goto free_dev;
    double e;
    e = cuda_test_relerr_f(y_g, y_c, B * out);
    tap_ok(e <= TOL, "%s: forward matches the CPU (rel. error %.2g)", name, e);
    e = cuda_test_relerr_f(dx_g, dx_c, B * in);
    tap_ok(e <= TOL, "%s: input gradient matches (rel. error %.2g)", name, e);
    e = cuda_test_relerr_f(g_g, cpu->grads, np);
    tap_ok(e <= TOL, "%s: parameter gradient (accumulated twice) matches (rel. error %.2g)", name,
           e);
    tap_ok(memcmp(y_g, y2, B * out * sizeof *y2) == 0 &&
               memcmp(dx_g, dx2, B * in * sizeof *dx2) == 0 &&
               memcmp(g_g, g2, np * sizeof *g2) == 0,
           "%s: a second run gives the same bits", name);
free_dev:
    cudaFree(d_x);
    cudaFree(d_dy);
    cudaFree(d_y);
    cudaFree(d_dx);
out:
    cuda_test_model_free(gpu);
    l2d_mlp_destroy(cpu);
    free(x);
    free(dy);
    free(y_c);
    free(y_g);
    free(dx_c);
    free(dx_g);
    free(g_g);
    free(y2);
    free(dx2);
    free(g2);
}

/* Optimiser steps with the same gradients on both sides: identical bits. */
static void optim_tests(enum l2d_optim_kind kind, const char *kname, double wd)
{
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 7 + (uint64_t)kind);
    const size_t hidden = 37;
    struct l2d_mlp *cpu = NULL;
    int rc = l2d_mlp_create(&cpu, 29, &hidden, 1, 6, &rng, &err);
    struct l2d_model *gpu = rc ? NULL : cuda_test_model(cpu, &err);
    struct l2d_optim opt;
    memset(&opt, 0, sizeof opt);
    const size_t np = cpu ? cpu->n_params : 0;
    float *g = malloc(np * sizeof *g), *p = malloc(np * sizeof *p), *snap = malloc(np * sizeof *snap);
    if (!gpu || !g || !p || !snap || l2d_optim_init(&opt, kind, np, wd, &err) ||
        gpu->be->optim_init(gpu, kind, wd, &err)) {
        tap_ok(0, "%s: set up (%s)", kname, err.msg);
        goto out;
    }
    int same = 1, steps = 7;
    for (int s = 0; s < steps && same; s++) {
        double lr = 0.05 / (1 + s);
        /* gradients of mixed size, a few exact zeros */
        for (size_t i = 0; i < np; i++)
            g[i] = i % 11 == 0 ? 0.0f : (float)(l2d_rng_normal(&rng) * (s % 2 ? 1e-3 : 3.0));
        if (!cuda_test_write(gpu->be->grads(gpu), g, np * sizeof *g)) {
            same = 0;
            break;
        }
        l2d_optim_step(&opt, cpu->params, g, lr);
        rc = gpu->be->step(gpu, lr, &err);
        if (!rc) rc = gpu->be->get_params_host(gpu, p, &err);
        same = !rc && memcmp(p, cpu->params, np * sizeof *p) == 0;
        if (s == 2 && same) { /* keep step 3's parameters for restore below */
            memcpy(snap, p, np * sizeof *p);
            rc = gpu->be->snapshot(gpu, &err);
            same = !rc;
        }
    }
    tap_ok(same, "%s (weight decay %g): %d steps bit-identical to optim.c%s%s", kname, wd, steps,
           rc ? ": " : "", rc ? err.msg : "");
    rc = gpu->be->restore(gpu, &err);
    if (!rc) rc = gpu->be->get_params_host(gpu, p, &err);
    tap_ok(!rc && memcmp(p, snap, np * sizeof *p) == 0,
           "%s: restore puts back the snapshot%s%s", kname, rc ? ": " : "", rc ? err.msg : "");
out:
    l2d_optim_free(&opt);
    cuda_test_model_free(gpu);
    l2d_mlp_destroy(cpu);
    free(g);
    free(p);
    free(snap);
}

/* The step with scalars read from device memory (what a captured epoch
 * does) equals the plain step. */
static void step_dev_test(void)
{
    struct l2d_error err = {0, ""};
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 99);
    const size_t hidden = 16;
    struct l2d_mlp *cpu = NULL;
    int rc = l2d_mlp_create(&cpu, 8, &hidden, 1, 4, &rng, &err);
    struct l2d_model *a = rc ? NULL : cuda_test_model(cpu, &err);
    struct l2d_model *b = a ? cuda_test_model(cpu, &err) : NULL;
    const size_t np = cpu ? cpu->n_params : 0;
    float *g = malloc(np * sizeof *g), *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb);
    struct l2d_cuda_step_scalars *ds = NULL, sc[3];
    rc = !b || !g || !pa || !pb || cudaMalloc((void **)&ds, sizeof sc) != cudaSuccess;
    if (!rc) rc = a->be->optim_init(a, L2D_OPT_ADAMW, 0.1, &err);
    if (!rc) rc = b->be->optim_init(b, L2D_OPT_ADAMW, 0.1, &err);
    for (int k = 0; !rc && k < 3; k++)
        rc = l2d_cuda_model_step_scalars(b, 0.01 * (k + 1), k + 1, &sc[k], &err);
    if (!rc) rc = !cuda_test_write(ds, sc, sizeof sc);
    for (int k = 0; !rc && k < 3; k++) {
        cuda_test_randn(&rng, g, np, 1.0);
        rc = !cuda_test_write(a->be->grads(a), g, np * sizeof *g) ||
             !cuda_test_write(b->be->grads(b), g, np * sizeof *g);
        if (!rc) rc = a->be->step(a, 0.01 * (k + 1), &err);
        if (!rc) rc = l2d_cuda_model_step_dev(b, &ds[k], &err);
    }
    if (!rc) rc = a->be->get_params_host(a, pa, &err);
    if (!rc) rc = b->be->get_params_host(b, pb, &err);
    tap_ok(!rc && memcmp(pa, pb, np * sizeof *pa) == 0,
           "AdamW: steps with scalars in device memory equal plain steps%s%s", rc ? ": " : "",
           rc ? err.msg : "");
    cudaFree(ds);
    cuda_test_model_free(a);
    cuda_test_model_free(b);
    l2d_mlp_destroy(cpu);
    free(g);
    free(pa);
    free(pb);
}

int main(void)
{
    cuda_test_require_device();
    static const struct shape shapes[] = {
        {{8, 16, 4}, 2},          {{3, 2}, 1},         {{5, 17, 1}, 2},
        {{33, 70, 50, 5}, 3},     {{256, 512, 10}, 2}, {{1000, 24, 3}, 2},
    };
    static const size_t batches[] = {1, 7, 128, 300};
    const size_t ns = sizeof shapes / sizeof *shapes, nb = sizeof batches / sizeof *batches;
    tap_plan((int)(ns * nb * 6 + 3 * 2 + 1));
    for (size_t s = 0; s < ns; s++)
        for (size_t b = 0; b < nb; b++) layer_tests(&shapes[s], batches[b], 1000 * s + b);
    optim_tests(L2D_OPT_SGD, "SGD", 0.01);
    optim_tests(L2D_OPT_ADAM, "Adam", 0.01);
    optim_tests(L2D_OPT_ADAMW, "AdamW", 0.05);
    step_dev_test();
    return tap_done();
}
