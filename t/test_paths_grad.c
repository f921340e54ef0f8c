/* Every CPU path (l2d_cpu_path_set, engine.h) on its own: the MLP's
 * parameter and input gradients against central differences of its own
 * float forward, on shapes that take the small path and shapes too wide for
 * it; the l_inf PGD step against a reference written here and, bit for bit,
 * scalar against AVX2; smooth-adv's inner objective (the rows kernel) against
 * a reference and finite differences and, bit for bit, scalar against AVX2.
 * Also the setting itself: names, refusals, and L2D_CPU_PATH read at first
 * use (in child processes, since the library reads it once). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../plugins/attacks/pgd_core.h"
#include "core/mlp_impl.h"
#include "l2d/engine.h"
#include "plugin_util.h"
#include "tap.h"

#define NPATHS 5
static const char *const paths[NPATHS] = {"auto", "scalar", "avx2", "gemm", "small"};
static int caps; /* L2D_SIMD_* of this CPU */

/* Selects path p for a block of n tests, this one the first; 0 when this
 * CPU cannot take it (then the n are skipped) or on any other refusal (a
 * failure). */
static int use_path(const char *p, int n)
{
    struct l2d_error err = {0};
    int rc = l2d_cpu_path_set(p, &err);
    if (rc == L2D_EUNSUPPORTED) {
        for (int k = 0; k < n; k++) tap_skip("%s", err.msg);
        return 0;
    }
    if (!tap_ok(rc == 0 && !strcmp(l2d_cpu_path(), p), "cpu path %s: selected %s", p, err.msg))
        return 0;
    return 1;
}

/* ---- the setting ---------------------------------------------------------- */

/* What a fresh process reports with L2D_CPU_PATH = val (NULL: unset):
 * "path|env status|simd flags|env message". */
static void env_probe(const char *val, char *out, size_t n)
{
    int fd[2];
    out[0] = '\0';
    if (pipe(fd)) return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        if (val) setenv("L2D_CPU_PATH", val, 1);
        else unsetenv("L2D_CPU_PATH");
        struct l2d_error e = {0};
        int rc = l2d_cpu_path_env(&e);
        char buf[1024];
        int len = snprintf(buf, sizeof buf, "%s|%d|%d|%s", l2d_cpu_path(), rc, l2d_cpu_simd(),
                           rc ? e.msg : "");
        if (write(fd[1], buf, (size_t)len) != len) _exit(1);
        _exit(0);
    }
    close(fd[1]);
    size_t got = 0;
    ssize_t r;
    while (pid > 0 && got + 1 < n && (r = read(fd[0], out + got, n - 1 - got)) > 0) got += (size_t)r;
    out[got] = '\0';
    close(fd[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
}

/* The probes run before this process reads the setting (children inherit
 * it once read); then caps, which the expectations need. */
static void env_tests(void)
{
    static const char *const vals[8] = {NULL, "", "scalar", "gemm", "bogus", "AVX2", "avx2", "small"};
    static char out[8][1100];
    for (int k = 0; k < 8; k++) env_probe(vals[k], out[k], sizeof out[k]);
    unsetenv("L2D_CPU_PATH");
    l2d_cpu_path_set("auto", NULL);
    caps = l2d_cpu_simd();

    char want[1100];
    const char *got;
    struct {
        const char *val;
        const char *want; /* with %d for the CPU's flags */
    } plain[] = {
        {NULL, "auto|0|%d|"},
        {"", "auto|0|%d|"},
        {"scalar", "scalar|0|0|"},
        {"gemm", "gemm|0|%d|"},
        {"bogus", "auto|1|%d|L2D_CPU_PATH 'bogus' is not one of auto, scalar, avx2, gemm, small"},
        {"AVX2", "auto|1|%d|L2D_CPU_PATH 'AVX2' is not one of auto, scalar, avx2, gemm, small"},
    };
    for (size_t k = 0; k < sizeof plain / sizeof *plain; k++) {
        got = out[k];
        snprintf(want, sizeof want, plain[k].want, caps);
        tap_ok(!strcmp(got, want), "L2D_CPU_PATH %s%s%s: '%s' (want '%s')",
               plain[k].val ? "'" : "unset", plain[k].val ? plain[k].val : "",
               plain[k].val ? "'" : "", got, want);
    }
    /* the paths that need SIMD: taken where the CPU has it, else auto and
     * an error that says what is missing */
    const int need[2] = {L2D_SIMD_AVX2, L2D_SIMD_AVX2 | L2D_SIMD_FMA};
    const char *name[2] = {"avx2", "small"}, *lacks[2] = {"AVX2", "AVX2 and FMA"};
    for (int k = 0; k < 2; k++) {
        got = out[6 + k];
        if ((caps & need[k]) == need[k])
            snprintf(want, sizeof want, "%s|0|%d|", name[k], caps);
        else
            snprintf(want, sizeof want, "auto|%d|%d|L2D_CPU_PATH '%s' needs %s, which this CPU lacks",
                     L2D_EUNSUPPORTED, caps, name[k], lacks[k]);
        tap_ok(!strcmp(got, want), "L2D_CPU_PATH '%s': '%s' (want '%s')", name[k], got, want);
    }
}

static void api_tests(void)
{
    struct l2d_error err = {0};
    l2d_cpu_path_set("scalar", &err);
    int rc = l2d_cpu_path_set("bogus", &err);
    tap_ok(rc == L2D_EINVAL && !strcmp(l2d_cpu_path(), "scalar") && strstr(err.msg, "'bogus'"),
           "an unknown name is refused and the setting kept: %s", err.msg);
    rc = l2d_cpu_path_set(NULL, &err);
    tap_ok(rc == L2D_EINVAL && !strcmp(l2d_cpu_path(), "scalar"), "NULL is refused: %s", err.msg);
    tap_ok(l2d_cpu_simd() == 0, "scalar: no SIMD for the plugins' kernels");
    for (int p = 0; p < NPATHS; p++) {
        if (!strcmp(paths[p], "scalar")) continue;
        if (!use_path(paths[p], 1)) continue;
        tap_ok(l2d_cpu_simd() == caps, "%s: the plugins' kernels may use all the CPU has (%d)",
               paths[p], l2d_cpu_simd());
    }
    l2d_cpu_path_set("auto", NULL);
}

/* ---- the MLP ------------------------------------------------------------------
 * L(theta, x) = sum_{r,o} c[r][o] y[r][o] in double, y the library's float
 * forward on the path under test; its gradient is backward with dy = c.
 *
 * Finite differences: between ReLU kinks the output is affine in any single
 * parameter or input (a weight enters once, and everything downstream is
 * linear once the pattern of active units is fixed), so a central
 * difference has no truncation error at all. Where a step moves any unit of
 * any row across its kink (the pattern at +-h differs from the one at 0; by
 * the affine argument, layer after layer, no kink is crossed when it does
 * not), the step is cut by 4, twice, then the coordinate is skipped and
 * counted. That leaves float rounding of the forward, about
 * 2^-24 sum_{r,o} |c| |y| per evaluation, divided by 2h: measured below
 * 3e-5 (1 + |g|) at h = 2^-7 on these sizes, hence the tolerance
 * 2e-4 (1 + |g|) at h = 2^-7, growing as 1/h for the shorter steps. A wrong
 * gradient (a doubled bias term, a missing row) is off by O(|g|), with |g|
 * of order 0.1..10 here. */
#define FD_H 0x1p-7f
#define FD_TOL 2e-4
#define WEIGHTS_CHECKED 160 /* per layer, at random, where a layer has more */

struct shape {
    const char *name;
    size_t in, nh, hid[2], out;
    int fits; /* small enough for the small path (mlp_small.c: widths <= 64) */
};
static const struct shape shapes[] = {
    {"linear 5-3", 5, 0, {0, 0}, 3, 1},      {"linear 70-3", 70, 0, {0, 0}, 3, 0},
    {"7-9-4", 7, 1, {9, 0}, 4, 1},           {"9-66-4", 9, 1, {66, 0}, 4, 0},
    {"6-12-10-5", 6, 2, {12, 10}, 5, 1},     {"5-72-40-3", 5, 2, {72, 40}, 3, 0},
};
#define NSHAPES (sizeof shapes / sizeof *shapes)
static const size_t batches[] = {1, 3, 13, 37}; /* none a multiple of 4 or 8 */
#define NBATCH (sizeof batches / sizeof *batches)
#define MLP_TESTS_PER_SHAPE (2 + 4 * NBATCH)

struct fdctx {
    struct l2d_mlp *m;
    float *x, *y;
    const float *c;
    size_t B, npat;
    unsigned char *pat0, *pat;
    int fail;
};

/* L at the current parameters and x; the active-unit pattern into pat. */
static double loss_at(struct fdctx *t, unsigned char *pat)
{
    struct l2d_error err = {0};
    if (l2d_mlp_forward(t->m, t->x, t->B, t->y, &err)) {
        t->fail = 1;
        return NAN;
    }
    double L = 0.0;
    for (size_t i = 0; i < t->B * t->m->out; i++) L += (double)t->c[i] * (double)t->y[i];
    size_t q = 0;
    for (size_t l = 1; l < t->m->n_layers; l++)
        for (size_t i = 0; i < t->B * t->m->dims[l]; i++) pat[q++] = t->m->act[l][i] > 0.0f;
    return L;
}

/* dL/d*v by central differences, and the tolerance for the step taken;
 * 0 when every step tried crosses a kink. */
static int fd_at(struct fdctx *t, float *v, double *out, double *tol)
{
    const float v0 = *v;
    float h = FD_H;
    for (int tries = 0; tries < 3; tries++, h *= 0.25f) {
        const float vp = v0 + h, vm = v0 - h;
        *v = vp;
        double lp = loss_at(t, t->pat);
        int kink = memcmp(t->pat, t->pat0, t->npat) != 0;
        *v = vm;
        double lm = loss_at(t, t->pat);
        kink |= memcmp(t->pat, t->pat0, t->npat) != 0;
        *v = v0;
        if (kink) continue;
        *out = (lp - lm) / ((double)vp - (double)vm); /* the step actually taken */
        *tol = FD_TOL * (double)(FD_H / h);
        return 1;
    }
    return 0;
}

struct worst {
    double err, g; /* the worst error as a fraction of its tolerance */
    size_t at, n, kinks;
};

static void compare(struct worst *w, size_t at, double fd, double tol, double g)
{
    double e = fabs(fd - g) / (1.0 + fabs(g)) / tol;
    w->n++;
    if (e >= w->err) w->err = e, w->g = g, w->at = at;
}

static void report(const struct worst *w, int fail, const char *path, const char *shape, size_t B,
                   const char *what)
{
    /* skipped kinks stay few, or the test would check little */
    tap_ok(!fail && w->n > 0 && w->err <= 1.0 && w->kinks <= w->n / 4 + 2,
           "%s, %s, B = %zu: %s gradient vs central differences: %zu checked, %zu at kinks, "
           "worst %.2g of the tolerance at %zu (g = %.4g)",
           path, shape, B, what, w->n, w->kinks, w->err, w->at, w->g);
}

static void mlp_one(const char *path, int small_ok, const struct shape *s)
{
    struct l2d_rng rng;
    struct l2d_error err = {0};
    struct l2d_mlp *m = NULL;
    /* the same model on every path: the seed is the shape's */
    l2d_rng_seed(&rng, 1000 + s->in * 131 + s->out);
    if (!tap_ok(l2d_mlp_create(&m, s->in, s->hid, s->nh, s->out, &rng, &err) == 0,
                "%s, %s: create %s", path, s->name, err.msg)) {
        for (size_t k = 1; k < MLP_TESTS_PER_SHAPE; k++) tap_ok(0, "%s: no model", s->name);
        return;
    }
    const int want_small = s->fits && small_ok;
    tap_ok(l2d_mlp_small_fits(m) == want_small, "%s, %s: takes the %s path", path, s->name,
           want_small ? "small" : "GEMM");
    const size_t Bmax = batches[NBATCH - 1];
    float *x = malloc(Bmax * s->in * sizeof *x), *y = malloc(Bmax * s->out * sizeof *y);
    float *c = malloc(Bmax * s->out * sizeof *c), *dx = malloc(Bmax * s->in * sizeof *dx);
    double *g = malloc(m->n_params * sizeof *g);
    size_t npat = 0;
    for (size_t l = 1; l < m->n_layers; l++) npat += Bmax * m->dims[l];
    unsigned char *pat0 = malloc(npat + 1), *pat = malloc(npat + 1);
    for (size_t b = 0; b < NBATCH; b++) {
        const size_t B = batches[b];
        for (size_t i = 0; i < B * s->in; i++) x[i] = (float)l2d_rng_normal(&rng);
        for (size_t i = 0; i < B * s->out; i++) c[i] = (float)l2d_rng_normal(&rng);
        struct fdctx t = {m, x, y, c, B, 0, pat0, pat, 0};
        for (size_t l = 1; l < m->n_layers; l++) t.npat += B * m->dims[l];

        /* grads start at 0.5, not 0: backward must add to them */
        for (size_t q = 0; q < m->n_params; q++) m->grads[q] = 0.5f;
        loss_at(&t, pat0);
        int rc = t.fail || l2d_mlp_backward(m, c, B, dx, 1, &err);
        for (size_t q = 0; q < m->n_params; q++) g[q] = (double)m->grads[q] - 0.5;

        /* the forward itself, against double arithmetic on the same floats */
        double fworst = 0.0;
        for (size_t r = 0; r < B; r++) {
            const float *p = m->params;
            double a[128], z[128];
            for (size_t k = 0; k < s->in; k++) a[k] = x[r * s->in + k];
            for (size_t l = 0; l < m->n_layers; l++) {
                const size_t K = m->dims[l], N = m->dims[l + 1];
                for (size_t j = 0; j < N; j++) {
                    double acc = p[N * K + j];
                    for (size_t k = 0; k < K; k++) acc += (double)p[j * K + k] * a[k];
                    z[j] = l + 1 < m->n_layers && acc < 0.0 ? 0.0 : acc;
                }
                memcpy(a, z, N * sizeof *a);
                p += N * K + N;
            }
            for (size_t o = 0; o < s->out; o++)
                fworst = fmax(fworst, fabs(y[r * s->out + o] - a[o]) / (1.0 + fabs(a[o])));
        }
        tap_ok(!rc && fworst < 1e-5, "%s, %s, B = %zu: forward matches double (worst rel %.2g)",
               path, s->name, B, fworst);

        struct worst ww = {0}, wb = {0}, wx = {0};
        for (size_t l = 0; l < m->n_layers; l++) {
            const size_t K = m->dims[l], N = m->dims[l + 1], off = l2d_mlp_layer_offset(m, l);
            for (size_t j = 0; j < N; j++) { /* every bias */
                double fd, tol;
                if (fd_at(&t, m->params + off + N * K + j, &fd, &tol))
                    compare(&wb, off + N * K + j, fd, tol, g[off + N * K + j]);
                else wb.kinks++;
            }
            const size_t nw = N * K, nc = nw < WEIGHTS_CHECKED ? nw : WEIGHTS_CHECKED;
            for (size_t k = 0; k < nc; k++) { /* every weight, or a random sample */
                size_t q = off + (nw == nc ? k : (size_t)l2d_rng_below(&rng, nw));
                double fd, tol;
                if (fd_at(&t, m->params + q, &fd, &tol)) compare(&ww, q, fd, tol, g[q]);
                else ww.kinks++;
            }
        }
        for (size_t i = 0; i < B * s->in; i++) { /* every input */
            double fd, tol;
            if (fd_at(&t, x + i, &fd, &tol)) compare(&wx, i, fd, tol, dx[i]);
            else wx.kinks++;
        }
        report(&ww, t.fail, path, s->name, B, "weight");
        report(&wb, t.fail, path, s->name, B, "bias");
        report(&wx, t.fail, path, s->name, B, "input");
    }
    free(x);
    free(y);
    free(c);
    free(dx);
    free(g);
    free(pat0);
    free(pat);
    l2d_mlp_destroy(m);
}

static void mlp_tests(void)
{
    for (int p = 0; p < NPATHS; p++) {
        if (!use_path(paths[p], 1 + (int)(NSHAPES * MLP_TESTS_PER_SHAPE))) continue;
        const int small_ok = (!strcmp(paths[p], "auto") || !strcmp(paths[p], "small")) &&
                             (caps & (L2D_SIMD_AVX2 | L2D_SIMD_FMA)) ==
                                 (L2D_SIMD_AVX2 | L2D_SIMD_FMA);
        for (size_t k = 0; k < NSHAPES; k++) mlp_one(paths[p], small_ok, &shapes[k]);
    }
    l2d_cpu_path_set("auto", NULL);
}

/* ---- the l_inf PGD step ----------------------------------------------------
 * pgd_core.c (linked in) on an objective whose value improves at every call,
 * so x_adv is the last iterate, and whose gradients come from a hash with
 * the awkward cases mixed in: 0, -0, subnormals, huge values. The reference
 * is PGD's definition (step(), then project() in double, then the valid
 * range); every path must give its bits, so scalar and AVX2 give the same. */
struct tick {
    struct l2d_objective obj;
    size_t D;
    int calls, sign;
    size_t bad[2]; /* entries made non-finite on the second call (SIZE_MAX: none) */
    float badv[2];
};

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static float tick_grad(int call, size_t k)
{
    uint64_t h = mix64((uint64_t)call * 1000003u + k);
    float mag = (float)((h >> 11) % 1000) / 250.0f + 0.001f, sg = (h & 1) ? -1.0f : 1.0f;
    switch ((h >> 1) % 8) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return sg * 1e-40f; /* subnormal */
    case 3: return sg * 3e38f;
    default: return sg * mag;
    }
}

static int tick_vg(void *self, const float *x, size_t B, double *value, float *grad,
                   struct l2d_error *err)
{
    struct tick *t = self;
    (void)x, (void)err;
    t->calls++;
    for (size_t i = 0; i < B; i++) value[i] = t->sign * (double)t->calls;
    if (!grad) return 0;
    for (size_t k = 0; k < B * t->D; k++) grad[k] = tick_grad(t->calls, k);
    for (int q = 0; q < 2; q++)
        if (t->calls == 2 && t->bad[q] < B * t->D) grad[t->bad[q]] = t->badv[q];
    return 0;
}

struct pgd_case {
    size_t B, D;
    int maximise, clamp;
};
static const struct pgd_case pgd_cases[] = {{1, 3, 1, 1}, {7, 5, 0, 1}, {13, 9, 1, 0}, {5, 8, 0, 1}};
#define NPGD (sizeof pgd_cases / sizeof *pgd_cases)
#define PGD_STEPS 4
#define PGD_EPS 0.25
#define PGD_ALPHA 0.1 /* 4 steps of 0.1 leave the ball of 0.25: projection bites */

static void pgd_inputs(const struct pgd_case *pc, float *x, float *lo, float *hi)
{
    for (size_t k = 0; k < pc->D; k++) {
        lo[k] = -0.5f - 0.05f * (float)k;
        hi[k] = 0.6f + 0.03f * (float)k;
    }
    for (size_t i = 0; i < pc->B * pc->D; i++) {
        uint64_t h = mix64(77 + i);
        float u = (float)(h % 10007) / 10006.0f, l = lo[i % pc->D], hh = hi[i % pc->D];
        x[i] = l + u * (hh - l); /* some near the range's ends, so the range bites */
    }
    x[0] = -0.0f; /* the sign of a zero must survive a zero step alike on every path */
}

static void pgd_reference(const struct pgd_case *pc, const float *x, const float *lo,
                          const float *hi, float *v)
{
    const double s = (pc->maximise ? 1.0 : -1.0) * PGD_ALPHA;
    const size_t n = pc->B * pc->D;
    memcpy(v, x, n * sizeof *v);
    for (int t = 0; t < PGD_STEPS; t++)
        for (size_t k = 0; k < n; k++) {
            const float g = tick_grad(t + 1, k);
            float f = (float)((double)v[k] + (g > 0.0f ? s : g < 0.0f ? -s : 0.0));
            const double blo = (double)x[k] - PGD_EPS, bhi = (double)x[k] + PGD_EPS, d = f;
            f = (float)(d < blo ? blo : d > bhi ? bhi : d);
            if (pc->clamp && f < lo[k % pc->D]) f = lo[k % pc->D];
            if (pc->clamp && f > hi[k % pc->D]) f = hi[k % pc->D];
            v[k] = f;
        }
}

/* x_adv of one PGD run on the current path; err's message on failure. */
static int pgd_run_case(const struct pgd_case *pc, const float *x, const float *lo,
                        const float *hi, const size_t bad[2], const float badv[2], float *xa,
                        struct l2d_error *err)
{
    struct tick t = {.obj = {.dim = pc->D, .maximise = pc->maximise, .value_grad = tick_vg,
                             .lo = lo, .hi = hi, .device = -1},
                     .D = pc->D, .sign = pc->maximise ? 1 : -1,
                     .bad = {bad[0], bad[1]}, .badv = {badv[0], badv[1]}};
    t.obj.self = &t;
    struct l2d_pgd_cfg cfg = {.who = "pgd", .norm = L2D_PGD_LINF, .eps = PGD_EPS, .steps = PGD_STEPS,
                              .alpha = PGD_ALPHA, .random_start = 0, .clamp = pc->clamp};
    return l2d_pgd_run(&cfg, &t.obj, x, pc->B, xa, 5, err);
}

#define PGD_BAD_CASES 2
static const size_t pgd_bad[PGD_BAD_CASES][2] = {{6, 116}, {116, SIZE_MAX}};
static const float pgd_badv[PGD_BAD_CASES][2] = {{NAN, INFINITY}, {-INFINITY, 0}};

static void pgd_tests(void)
{
    float *res[NPATHS][NPGD] = {{0}};
    char msg[NPATHS][PGD_BAD_CASES][L2D_ERRMSG_MAX];
    int ran[NPATHS] = {0};
    const size_t none[2] = {SIZE_MAX, SIZE_MAX};
    const float nonev[2] = {0, 0};
    for (int p = 0; p < NPATHS; p++) {
        if (!use_path(paths[p], 1 + (int)NPGD + PGD_BAD_CASES)) continue;
        ran[p] = 1;
        for (size_t c = 0; c < NPGD; c++) {
            const struct pgd_case *pc = &pgd_cases[c];
            const size_t n = pc->B * pc->D;
            float *x = malloc(n * sizeof *x), *want = malloc(n * sizeof *want);
            float lo[16], hi[16];
            res[p][c] = malloc(n * sizeof *res[p][c]);
            pgd_inputs(pc, x, lo, hi);
            pgd_reference(pc, x, lo, hi, want);
            struct l2d_error err = {0};
            int rc = pgd_run_case(pc, x, lo, hi, none, nonev, res[p][c], &err);
            size_t diff = 0;
            for (size_t k = 0; k < n; k++) {
                if (!memcmp(&res[p][c][k], &want[k], sizeof *want)) continue;
                if (!diff++)
                    tap_diag("first difference at %zu: %a, want %a", k, res[p][c][k], want[k]);
            }
            tap_ok(rc == 0 && diff == 0,
                   "%s: l_inf PGD, %zu x %zu, %s%s, %d steps: the reference's bits (%zu differ) %s",
                   paths[p], pc->B, pc->D, pc->maximise ? "maximise" : "minimise",
                   pc->clamp ? ", clamped" : "", PGD_STEPS, diff, err.msg);
            free(x);
            free(want);
        }
        /* a non-finite gradient: the first bad entry is named, on every path
         * (in the vector part, with another in the tail; then in the tail) */
        const struct pgd_case big = {13, 9, 1, 1};
        float x[13 * 9], xa[13 * 9], lo[16], hi[16];
        pgd_inputs(&big, x, lo, hi);
        for (int q = 0; q < PGD_BAD_CASES; q++) {
            struct l2d_error err = {0};
            int rc = pgd_run_case(&big, x, lo, hi, pgd_bad[q], pgd_badv[q], xa, &err);
            char want[128];
            snprintf(want, sizeof want, "row %zu, feature %zu (iterate 1)", pgd_bad[q][0] / 9,
                     pgd_bad[q][0] % 9);
            snprintf(msg[p][q], sizeof msg[p][q], "%s", err.msg);
            tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, want),
                   "%s: non-finite gradient at entry %zu is reported as such: %s", paths[p],
                   pgd_bad[q][0], err.msg);
        }
    }
    /* scalar against AVX2 directly, should the reference itself be wrong */
    const int sc = 1, av = 2;
    for (size_t c = 0; c < NPGD; c++) {
        const size_t n = pgd_cases[c].B * pgd_cases[c].D;
        if (!ran[sc] || !ran[av]) tap_skip("no AVX2");
        else
            tap_ok(!memcmp(res[sc][c], res[av][c], n * sizeof(float)),
                   "l_inf PGD, %zu x %zu: scalar and AVX2 give the same bits", pgd_cases[c].B,
                   pgd_cases[c].D);
    }
    for (int q = 0; q < PGD_BAD_CASES; q++) {
        if (!ran[sc] || !ran[av]) tap_skip("no AVX2");
        else
            tap_ok(!strcmp(msg[sc][q], msg[av][q]), "non-finite gradient %d: scalar and AVX2 say "
                   "the same", q);
    }
    for (int p = 0; p < NPATHS; p++)
        for (size_t c = 0; c < NPGD; c++) free(res[p][c]);
    l2d_cpu_path_set("auto", NULL);
}

/* ---- smooth-adv's inner objective ------------------------------------------
 * The plugin (loaded) trains on a fake model whose forward returns score
 * tables set here, with a fake attack that, handed the inner objective
 * ||Dbar(x', j) - Dbar(x, j)||_2 of each agent j, evaluates it on those
 * tables: so the rows kernel (scalar or AVX2) sees exactly the rows chosen
 * here. Its value against a double reference, its score gradient (what it
 * passes to backward) against central differences of its value, and the
 * subgradient it takes at Delta = 0; then scalar against AVX2, bit for bit.
 * Differences: the value is smooth away from Delta = 0 (rows here have
 * |Delta| of 0.05 or more), h = 2^-12 on scores below 4 in size is exact in
 * float, and the value is double: the error is the truncation, about
 * h^2 / |Delta|^2 < 1e-5, hence the tolerance 1e-5 (1 + |g|). */
#define SA_MAXA 8
#define SA_MAXB 13
#define SA_H 0x1p-12f

struct fake {
    const float *cur; /* the table forward returns */
    float s0[SA_MAXB * SA_MAXA], sa[SA_MAXB * SA_MAXA];
    size_t A, B;
    /* what the kernel gave, per agent j */
    double value[SA_MAXA][SA_MAXB];
    float ds[SA_MAXA][SA_MAXB * SA_MAXA];
    double fd_worst, g_at_worst;
    int calls, rc, fd_n;
    char msg[L2D_ERRMSG_MAX];
};
static struct fake fk;

static int fake_forward(void *self, const float *x, size_t B, float *scores, struct l2d_error *err)
{
    (void)self, (void)x, (void)err;
    memcpy(scores, fk.cur, B * fk.A * sizeof *scores);
    return 0;
}

static float *fake_ds_sink;
static int fake_backward(void *self, const float *x, size_t B, const float *dscores, float *dx,
                         int accumulate, struct l2d_error *err)
{
    (void)self, (void)x, (void)accumulate, (void)err;
    if (fake_ds_sink) memcpy(fake_ds_sink, dscores, B * fk.A * sizeof *dscores);
    if (dx) memset(dx, 0, B * sizeof *dx); /* dim 1 */
    return 0;
}

static int fake_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                        float *x_adv, uint64_t seed, struct l2d_error *err)
{
    (void)state, (void)seed;
    const int j = fk.calls++;
    float grad[SA_MAXB];
    double vp[SA_MAXB], vm[SA_MAXB];
    memcpy(x_adv, x, B * sizeof *x);
    fk.cur = fk.sa;
    fake_ds_sink = fk.ds[j];
    int rc = obj->value_grad(obj->self, x, B, fk.value[j], grad, err);
    fake_ds_sink = NULL;
    /* differences in every score of every row */
    for (size_t i = 0; !rc && i < B; i++)
        for (size_t k = 0; k < fk.A; k++) {
            float *s = fk.sa + i * fk.A + k, s0 = *s;
            *s = s0 + SA_H;
            rc |= obj->value_grad(obj->self, x, B, vp, NULL, err);
            *s = s0 - SA_H;
            rc |= obj->value_grad(obj->self, x, B, vm, NULL, err);
            *s = s0;
            if (fk.s0[i * fk.A] == fk.sa[i * fk.A]) continue; /* a Delta = 0 row */
            fk.fd_n++;
            double fd = (vp[i] - vm[i]) / (2.0 * SA_H), g = fk.ds[j][i * fk.A + k];
            double e = fabs(fd - g) / (1.0 + fabs(g));
            if (e >= fk.fd_worst) fk.fd_worst = e, fk.g_at_worst = g;
        }
    fk.cur = fk.s0;
    return rc;
}

static const struct l2d_attack_ops fake_attack = {
    .struct_size = sizeof(struct l2d_attack_ops), .perturb = fake_perturb};

struct sa_case {
    size_t A, B;
};
static const struct sa_case sa_cases[] = {{2, 1}, {3, 6}, {7, 13}, {8, 5}};
#define NSA (sizeof sa_cases / sizeof *sa_cases)

/* Random tables: row 2 (where there is one) has Delta = 0 for every j (sa =
 * s0), the rest |Delta| >= 0.05; bad_row >= 0 puts an infinite score there. */
static void sa_tables(const struct sa_case *sc, long bad_row)
{
    for (size_t i = 0; i < sc->B; i++)
        for (size_t k = 0; k < sc->A; k++) {
            uint64_t h = mix64(1000 * i + k + 31 * sc->A);
            float u = (float)(h % 4001) / 1000.0f - 2.0f, w = (float)((h >> 20) % 2001) / 1000.0f;
            fk.s0[i * sc->A + k] = u;
            /* k-dependent shifts, at least 0.1 apart between agents */
            fk.sa[i * sc->A + k] = i == 2 ? u : u + (float)k * 0.1f * (w + 0.5f) + (h & 1 ? 0.3f : -0.3f);
        }
    if (bad_row >= 0) fk.sa[(size_t)bad_row * sc->A + 1] = INFINITY;
}

/* One train_batch on the current path; the kernel's outputs into fk. */
static int sa_run(const struct l2d_surrogate_ops *ops, void *state, const struct sa_case *sc,
                  long bad_row)
{
    float x[SA_MAXB] = {0};
    double costs[SA_MAXB * SA_MAXA], loss[SA_MAXB];
    memset(&fk, 0, sizeof fk);
    fk.A = sc->A, fk.B = sc->B, fk.cur = fk.s0;
    sa_tables(sc, bad_row);
    for (size_t k = 0; k < sc->B * sc->A; k++) costs[k] = 0.25 + 0.125 * (double)(k % 5);
    struct l2d_model_ctx ctx = {.dim = 1, .n_agents = sc->A, .forward = fake_forward,
                                .backward = fake_backward, .device = -1};
    struct l2d_attack_handle h = {&fake_attack, NULL};
    struct l2d_error err = {0};
    fk.rc = ops->train_batch(state, &ctx, &h, x, costs, sc->B, loss, &err);
    snprintf(fk.msg, sizeof fk.msg, "%s", err.msg);
    return fk.rc;
}

static void sa_tests(void)
{
    struct l2d_registry reg;
    const struct l2d_plugin *d = tplug_open(&reg, "smooth-adv.so");
    const char *sets[] = {"adv_weight=1"};
    struct l2d_params prm;
    struct l2d_error err = {0};
    void *state = NULL;
    struct l2d_host host = {sizeof host, 3, NULL, NULL, NULL};
    if (!tap_ok(d && !tplug_params(d, sets, 1, &prm, &err), "smooth-adv: loaded %s", err.msg))
        return;
    const struct l2d_surrogate_ops *ops = d->ops;
    int rc = ops->create(&prm, &host, &state, &err);
    l2d_params_free(&prm);
    if (!tap_ok(rc == 0, "smooth-adv: created %s", err.msg)) {
        l2d_registry_free(&reg);
        return;
    }
    static struct fake got[NPATHS][NSA], bad[NPATHS];
    int ran[NPATHS] = {0};
    for (int p = 0; p < NPATHS; p++) {
        int per_path = 1 + 1; /* selected; the non-finite score */
        for (size_t c = 0; c < NSA; c++) per_path += 2 + (sa_cases[c].B > 2);
        if (!use_path(paths[p], per_path)) continue;
        ran[p] = 1;
        for (size_t c = 0; c < NSA; c++) {
            const struct sa_case *sc = &sa_cases[c];
            rc = sa_run(ops, state, sc, -1);
            got[p][c] = fk;
            double vworst = 0.0, zworst = 0.0;
            const double J = (double)(sc->A - 1), z = 1.0 / sqrt(J);
            for (size_t j = 0; j < sc->A; j++)
                for (size_t i = 0; i < sc->B; i++) {
                    const float *a = fk.sa + i * sc->A, *o = fk.s0 + i * sc->A;
                    double n2 = 0.0;
                    for (size_t k = 0; k < sc->A; k++) {
                        double dd = ((double)a[j] - a[k]) - ((double)o[j] - o[k]);
                        n2 += dd * dd;
                    }
                    vworst = fmax(vworst, fabs(fk.value[j][i] - sqrt(n2)) / (1 + sqrt(n2)));
                    if (i != 2) continue;
                    /* at Delta = 0: the subgradient along -(1..1)/sqrt(J) */
                    for (size_t k = 0; k < sc->A; k++) {
                        double want = k == j ? -J * z : z;
                        zworst = fmax(zworst, fabs(fk.ds[j][i * sc->A + k] - want));
                    }
                }
            tap_ok(rc == 0 && fk.calls == (int)sc->A && vworst < 1e-15,
                   "%s: smooth-adv inner value, A = %zu, B = %zu: ||Delta|| (worst rel %.2g) %s",
                   paths[p], sc->A, sc->B, vworst, rc ? fk.msg : "");
            tap_ok(rc == 0 && fk.fd_n > 0 && fk.fd_worst < 1e-5,
                   "%s: its score gradient vs central differences (%d checked, worst %.2g at "
                   "g = %.3g)",
                   paths[p], fk.fd_n, fk.fd_worst, fk.g_at_worst);
            if (sc->B > 2)
                tap_ok(rc == 0 && zworst < 1e-7,
                       "%s: at Delta = 0 the subgradient along -(1..1)/sqrt(J) (err %.2g)",
                       paths[p], zworst); /* B <= 2: no Delta = 0 row, nothing to check */
        }
        /* a non-finite score: reported on its row on every path (row 5: the
         * second group of four) */
        rc = sa_run(ops, state, &sa_cases[2], 5);
        bad[p] = fk;
        tap_ok(rc == L2D_ENUMERIC && strstr(fk.msg, "non-finite score on row 5"),
               "%s: an infinite score is reported on its row: %s", paths[p], fk.msg);
    }
    const int sc = 1, av = 2;
    for (size_t c = 0; c < NSA; c++) {
        if (!ran[sc] || !ran[av]) {
            tap_skip("no AVX2");
            continue;
        }
        const struct fake *a = &got[sc][c], *b = &got[av][c];
        tap_ok(!memcmp(a->value, b->value, sizeof a->value) && !memcmp(a->ds, b->ds, sizeof a->ds),
               "smooth-adv inner rows, A = %zu, B = %zu: scalar and AVX2 give the same bits",
               sa_cases[c].A, sa_cases[c].B);
    }
    if (!ran[sc] || !ran[av]) tap_skip("no AVX2");
    else
        tap_ok(!strcmp(bad[sc].msg, bad[av].msg), "an infinite score: scalar and AVX2 say the same");
    ops->destroy(state);
    l2d_registry_free(&reg);
    l2d_cpu_path_set("auto", NULL);
}

int main(void)
{
    tap_plan(677); /* declared first: a test that stops early fails */
    env_tests();
    api_tests();
    mlp_tests();
    pgd_tests();
    sa_tests();
    return tap_done();
}
