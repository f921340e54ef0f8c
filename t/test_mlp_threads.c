/* MLP on batches large enough to be split across threads: the same bits for
 * 1, 2 and 3 engine threads (forward, input gradient, parameter gradient),
 * forward against a double reference, the parameter gradient of one call
 * against the sum of calls on row chunks, the input gradient against
 * central differences of the double reference. One small model (the
 * row-by-row path on AVX2 CPUs) and one wide model (the GEMM path). Where
 * the small model takes GEMM too (no AVX2 and FMA, or L2D_CPU_PATH forcing
 * GEMM: t/paths.sh), it is held to GEMM's promise: same bits for the same
 * thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mlp.h"
#include "core/mlp_impl.h"
#include "tap.h"

#define B 3001

/* y = f(x) for one row in double, parameters of m as doubles */
static void ref_row(const struct l2d_mlp *m, const double *x, double *y)
{
    double a[128], z[128];
    memcpy(a, x, m->in * sizeof *a);
    const float *q = m->params;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t K = m->dims[l], N = m->dims[l + 1];
        for (size_t j = 0; j < N; j++) {
            double s = q[N * K + j];
            for (size_t k = 0; k < K; k++) s += (double)q[j * K + k] * a[k];
            z[j] = (l + 1 < m->n_layers && s < 0) ? 0 : s;
        }
        q += N * K + N;
        memcpy(a, z, N * sizeof *a);
    }
    memcpy(y, a, m->out * sizeof *y);
}

/* any_threads: the same bits are promised for any thread count (the small
 * path, when m takes it); otherwise only for the same count (OpenBLAS partitions GEMMs by
 * thread count), so runs 2 and 3 both use 2 threads. */
static void run(const char *name, size_t in, const size_t *hid, size_t nh, size_t out,
                int any_threads)
{
    struct l2d_rng rng;
    struct l2d_error err = {0, ""};
    struct l2d_mlp *m;
    l2d_rng_seed(&rng, 7);
    if (!tap_ok(l2d_mlp_create(&m, in, hid, nh, out, &rng, &err) == 0, "%s: create", name)) return;
    any_threads = any_threads && l2d_mlp_small_fits(m);
    float *x = malloc(B * in * sizeof *x), *dy = malloc(B * out * sizeof *dy);
    float *y[3], *dx[3], *g[3];
    for (int t = 0; t < 3; t++) {
        y[t] = malloc(B * out * sizeof *y[t]);
        dx[t] = malloc(B * in * sizeof *dx[t]);
        g[t] = malloc(m->n_params * sizeof *g[t]);
    }
    for (size_t i = 0; i < B * in; i++) x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * out; i++) dy[i] = (float)l2d_rng_normal(&rng);

    int rc = 0;
    for (int t = 0; t < 3; t++) {
        l2d_set_threads(any_threads ? t + 1 : t == 0 ? 1 : 2);
        l2d_mlp_zero_grad(m);
        rc |= l2d_mlp_forward(m, x, B, y[t], &err);
        rc |= l2d_mlp_backward(m, dy, B, dx[t], 1, &err);
        memcpy(g[t], m->grads, m->n_params * sizeof *g[t]);
    }
    tap_ok(rc == 0, "%s: forward and backward on %d rows", name, B);
    int same = 1;
    for (int t = any_threads ? 1 : 2; t < 3; t++) {
        const int u = any_threads ? 0 : 1; /* the run t is compared with */
        same &= !memcmp(y[u], y[t], B * out * sizeof *y[0]) &&
                !memcmp(dx[u], dx[t], B * in * sizeof *dx[0]) &&
                !memcmp(g[u], g[t], m->n_params * sizeof *g[0]);
    }
    tap_ok(same, "%s: same bits with %s", name,
           any_threads ? "1, 2 and 3 threads" : "2 threads, twice");

    /* forward against double */
    double worst = 0, xd[128], yd[128];
    for (size_t r = 0; r < B; r++) {
        for (size_t k = 0; k < in; k++) xd[k] = x[r * in + k];
        ref_row(m, xd, yd);
        for (size_t j = 0; j < out; j++) {
            double e = fabs(yd[j] - y[0][r * out + j]) / (1 + fabs(yd[j]));
            if (e > worst) worst = e;
        }
    }
    tap_ok(worst < 1e-5, "%s: forward matches double (worst rel %.2g)", name, worst);

    /* parameter gradient: one call = sum of calls on chunks of rows */
    l2d_set_threads(2);
    l2d_mlp_zero_grad(m);
    const size_t cut[4] = {0, 1000, 2000, B};
    for (int c = 0; c < 3; c++) {
        size_t n = cut[c + 1] - cut[c];
        rc |= l2d_mlp_forward(m, x + cut[c] * in, n, y[1], &err);
        rc |= l2d_mlp_backward(m, dy + cut[c] * out, n, NULL, 1, &err);
    }
    worst = 0;
    double scale = 0;
    for (size_t i = 0; i < m->n_params; i++)
        if (fabs(g[0][i]) > scale) scale = fabs(g[0][i]);
    for (size_t i = 0; i < m->n_params; i++) {
        double e = fabs((double)m->grads[i] - g[0][i]) / scale;
        if (e > worst) worst = e;
    }
    tap_ok(rc == 0 && worst < 1e-5,
           "%s: parameter gradient of %d rows = sum over 3 chunks (worst %.2g of the largest)",
           name, B, worst);

    /* input gradient: d/dx of sum_j dy_j f_j(x), central differences */
    worst = 0;
    for (size_t r = 0; r < B; r += 250) {
        for (size_t k = 0; k < in; k++) {
            double h = 1e-4, lp = 0, lm = 0;
            for (size_t q = 0; q < in; q++) xd[q] = x[r * in + q];
            xd[k] += h;
            ref_row(m, xd, yd);
            for (size_t j = 0; j < out; j++) lp += dy[r * out + j] * yd[j];
            xd[k] -= 2 * h;
            ref_row(m, xd, yd);
            for (size_t j = 0; j < out; j++) lm += dy[r * out + j] * yd[j];
            double fd = (lp - lm) / (2 * h), e = fabs(fd - dx[0][r * in + k]) / (1 + fabs(fd));
            if (e > worst) worst = e;
        }
    }
    tap_ok(worst < 1e-3, "%s: input gradient vs central differences (worst rel %.2g)", name,
           worst);

    l2d_set_threads(1);
    for (int t = 0; t < 3; t++) {
        free(y[t]);
        free(dx[t]);
        free(g[t]);
    }
    free(x);
    free(dy);
    l2d_mlp_destroy(m);
}

/* Jobs that use 3, 2 and 1 of 3 threads in turn (a worker without work in
 * one job must not run the next one twice): the bits of 1 thread. */
static void changing_sizes(void)
{
    struct l2d_rng rng;
    struct l2d_error err = {0, ""};
    struct l2d_mlp *m;
    const size_t hid[2] = {8, 16}, rows[3] = {B, 1100, 600};
    l2d_rng_seed(&rng, 11);
    if (!tap_ok(l2d_mlp_create(&m, 8, hid, 2, 4, &rng, &err) == 0, "pool: create")) return;
    if (!l2d_mlp_small_fits(m)) {
        /* only the small path runs on the pool; GEMM's bits follow the thread count */
        tap_skip("the small path is off (cpu path %s)", l2d_cpu_path());
        l2d_mlp_destroy(m);
        return;
    }
    float *x = malloc(B * 8 * sizeof *x), *dy = malloc(B * 4 * sizeof *dy);
    float *y = malloc(B * 4 * sizeof *y), *dx = malloc(B * 8 * sizeof *dx);
    float *y1[3], *dx1[3];
    for (size_t i = 0; i < B * 8; i++) x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * 4; i++) dy[i] = (float)l2d_rng_normal(&rng);
    int rc = 0, same = 1;
    l2d_set_threads(1);
    for (int k = 0; k < 3; k++) {
        y1[k] = malloc(rows[k] * 4 * sizeof *y1[k]);
        dx1[k] = malloc(rows[k] * 8 * sizeof *dx1[k]);
        rc |= l2d_mlp_forward(m, x, rows[k], y1[k], &err);
        rc |= l2d_mlp_backward(m, dy, rows[k], dx1[k], 0, &err);
    }
    l2d_set_threads(3);
    for (int it = 0; it < 300; it++) {
        const int k = it % 3;
        rc |= l2d_mlp_forward(m, x, rows[k], y, &err);
        rc |= l2d_mlp_backward(m, dy, rows[k], dx, 0, &err);
        same &= !memcmp(y, y1[k], rows[k] * 4 * sizeof *y) &&
                !memcmp(dx, dx1[k], rows[k] * 8 * sizeof *dx);
    }
    tap_ok(rc == 0 && same, "pool: 300 jobs on 3, 2 and 1 of 3 threads in turn, bits of 1 thread");
    l2d_set_threads(1);
    for (int k = 0; k < 3; k++) {
        free(y1[k]);
        free(dx1[k]);
    }
    free(x);
    free(dy);
    free(y);
    free(dx);
    l2d_mlp_destroy(m);
}

int main(void)
{
    tap_plan(14);
    const size_t rej[2] = {8, 16}, wide[1] = {100};
    run("8-8-16-4", 8, rej, 2, 4, 1);
    run("5-100-3", 5, wide, 1, 3, 0);
    changing_sizes();
    return tap_done();
}
