/* The `synthetic` dataset plugin, called through its descriptor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsparams.h"
#include "l2d/plugin.h"
#include "tap.h"

static const struct l2d_plugin *desc;
static const struct l2d_dataset_ops *ops;

struct split_data {
    size_t n, dim;
    float *x, *t;
    int32_t *y;
};

static int open_with(const char *const *over, uint64_t seed, void **st, struct l2d_error *err)
{
    struct dsparams d;
    dsp_build(&d, desc->params, over);
    struct l2d_host host = {sizeof host, seed, NULL, NULL, NULL};
    return ops->open(&d.p, &host, st, err);
}

static void fetch(void *st, const struct l2d_dataset_info *info, enum l2d_split s,
                  struct split_data *out)
{
    size_t n = info->n[s];
    size_t *idx = malloc(n * sizeof *idx);
    out->n = n;
    out->dim = info->dim;
    out->x = malloc(n * info->dim * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    out->t = malloc(n * sizeof *out->t);
    for (size_t i = 0; i < n; i++) idx[i] = i, out->t[i] = -1e30f;
    struct l2d_error err = {0};
    if (ops->batch(st, s, idx, n, out->x, out->y, out->t, &err))
        printf("# batch failed: %s\n", err.msg);
    free(idx);
}

static void release(struct split_data *d)
{
    free(d->x), free(d->y), free(d->t);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* All targets of all splits, sorted: the data set as a multiset. */
static float *all_targets_sorted(void *st, const struct l2d_dataset_info *info, size_t *n)
{
    *n = info->n[0] + info->n[1] + info->n[2];
    float *all = malloc(*n * sizeof *all);
    size_t at = 0;
    for (int s = 0; s < 3; s++) {
        struct split_data d;
        fetch(st, info, (enum l2d_split)s, &d);
        memcpy(all + at, d.t, d.n * sizeof *all);
        at += d.n;
        release(&d);
    }
    qsort(all, *n, sizeof *all, cmp_float);
    return all;
}

/* Least-squares R^2 of t on [x, 1], via the normal equations (Gauss-Jordan). */
static double linear_r2(const struct split_data *d)
{
    size_t p = d->dim + 1;
    double *A = calloc(p * (p + 1), sizeof *A);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t a = 0; a < p; a++) {
            double xa = a < d->dim ? d->x[i * d->dim + a] : 1;
            for (size_t b = 0; b < p; b++) {
                double xb = b < d->dim ? d->x[i * d->dim + b] : 1;
                A[a * (p + 1) + b] += xa * xb;
            }
            A[a * (p + 1) + p] += xa * d->t[i];
        }
    }
    for (size_t c = 0; c < p; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < p; r++)
            if (fabs(A[r * (p + 1) + c]) > fabs(A[piv * (p + 1) + c])) piv = r;
        for (size_t k = 0; k <= p; k++) {
            double tmp = A[c * (p + 1) + k];
            A[c * (p + 1) + k] = A[piv * (p + 1) + k];
            A[piv * (p + 1) + k] = tmp;
        }
        for (size_t r = 0; r < p; r++) {
            if (r == c) continue;
            double f = A[r * (p + 1) + c] / A[c * (p + 1) + c];
            for (size_t k = 0; k <= p; k++) A[r * (p + 1) + k] -= f * A[c * (p + 1) + k];
        }
    }
    double mt = 0, sst = 0, sse = 0;
    for (size_t i = 0; i < d->n; i++) mt += d->t[i];
    mt /= (double)d->n;
    for (size_t i = 0; i < d->n; i++) {
        double pred = A[d->dim * (p + 1) + p] / A[d->dim * (p + 1) + d->dim];
        for (size_t a = 0; a < d->dim; a++)
            pred += A[a * (p + 1) + p] / A[a * (p + 1) + a] * d->x[i * d->dim + a];
        sse += (d->t[i] - pred) * (d->t[i] - pred);
        sst += (d->t[i] - mt) * (d->t[i] - mt);
    }
    free(A);
    return 1 - sse / sst;
}

/* Mean squared error on `te` of 1-nearest-neighbour regression from `tr`. */
static double nn_mse(const struct split_data *tr, const struct split_data *te)
{
    double se = 0;
    for (size_t i = 0; i < te->n; i++) {
        double best = INFINITY;
        size_t bi = 0;
        for (size_t r = 0; r < tr->n; r++) {
            double dd = 0;
            for (size_t j = 0; j < tr->dim; j++) {
                double z = te->x[i * te->dim + j] - tr->x[r * tr->dim + j];
                dd += z * z;
            }
            if (dd < best) best = dd, bi = r;
        }
        se += (te->t[i] - tr->t[bi]) * (te->t[i] - tr->t[bi]);
    }
    return se / (double)te->n;
}

static double variance(const float *v, size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) m += v[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return s / (double)n;
}

int main(void)
{
    (void)tap_skip_all;
    tap_plan(27);
    desc = l2d_plugin_entry(0);
    tap_ok(desc && desc->magic == L2D_PLUGIN_MAGIC && desc->kind == L2D_KIND_DATASET &&
               !strcmp(desc->name, "synthetic") && desc->abi_major == L2D_ABI_MAJOR &&
               desc->struct_size == sizeof *desc && l2d_plugin_entry(1) == NULL,
           "descriptor: dataset 'synthetic', one entry");
    ops = desc->ops;

    struct l2d_error err = {0};
    void *st = NULL;
    int rc = open_with(NULL, 1, &st, &err);
    tap_ok(rc == 0 && st, "open with defaults: %s", rc ? err.msg : "ok");
    struct l2d_dataset_info info;
    ops->info(st, &info, &err);
    tap_ok(info.n[0] == 2800 && info.n[1] == 400 && info.n[2] == 800,
           "4000 rows split 2800/400/800 (got %zu/%zu/%zu)", info.n[0], info.n[1], info.n[2]);
    tap_ok(info.dim == 8 && info.shape[0] == 8 && info.shape[1] == 1 && info.shape[2] == 1 &&
               info.n_classes == 4 && info.tdim == 1,
           "dim 8, shape {8,1,1}, 4 classes, tdim 1");
    tap_ok(info.feature_names && !strcmp(info.feature_names[0], "x0") &&
               !strcmp(info.feature_names[7], "x7") && info.class_names &&
               !strcmp(info.class_names[3], "c3"),
           "names x0..x7, c0..c3");
    tap_ok(info.mean && info.std && !info.lo && !info.hi, "mean/std given, no input range");

    struct split_data tr, va, te;
    fetch(st, &info, L2D_TRAIN, &tr);
    fetch(st, &info, L2D_VAL, &va);
    fetch(st, &info, L2D_TEST, &te);
    double worst_m = 0, worst_s = 0;
    for (size_t j = 0; j < tr.dim; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < tr.n; i++) m += tr.x[i * tr.dim + j];
        m /= (double)tr.n;
        for (size_t i = 0; i < tr.n; i++) v += (tr.x[i * tr.dim + j] - m) * (tr.x[i * tr.dim + j] - m);
        v = sqrt(v / (double)tr.n);
        worst_m = fmax(worst_m, fabs(m));
        worst_s = fmax(worst_s, fabs(v - 1));
    }
    tap_ok(worst_m < 1e-5 && worst_s < 1e-5, "train features: |mean| <= %.2g, |std - 1| <= %.2g",
           worst_m, worst_s);
    double vm = 0;
    for (size_t i = 0; i < va.n * va.dim; i++) vm += va.x[i];
    vm /= (double)(va.n * va.dim);
    tap_ok(fabs(vm) < 0.2, "val features are standardised with the train statistics (mean %.3f)",
           vm);
    size_t cnt[4] = {0};
    int yok = 1;
    for (size_t i = 0; i < tr.n; i++) {
        if (tr.y[i] < 0 || tr.y[i] > 3) yok = 0;
        else cnt[tr.y[i]]++;
    }
    tap_ok(yok && cnt[0] > 100 && cnt[1] > 100 && cnt[2] > 100 && cnt[3] > 100,
           "all 4 classes present in train: %zu %zu %zu %zu", cnt[0], cnt[1], cnt[2], cnt[3]);
    size_t most = cnt[0];
    for (int c = 1; c < 4; c++) most = cnt[c] > most ? cnt[c] : most;
    tap_ok((double)most / (double)tr.n < 0.6, "no class dominates (largest %.2f)",
           (double)most / (double)tr.n);
    int tfin = 1;
    for (size_t i = 0; i < te.n; i++) tfin &= isfinite(te.t[i]) && te.t[i] > -1e29f;
    tap_ok(tfin, "test targets filled and finite");
    double vt = variance(tr.t, tr.n);
    tap_ok(vt > 0.5, "targets vary (variance %.3f)", vt);
    /* The structure the experiments need: a global linear model is mediocre,
     * while the target is locally smooth (1-NN beats the linear fit). */
    double r2 = linear_r2(&tr), mse_nn = nn_mse(&tr, &te);
    tap_ok(r2 < 0.8, "linear fit of the target is mediocre: R^2 = %.3f", r2);
    tap_ok(mse_nn < (1 - r2) * vt, "1-NN beats the linear fit: mse %.3f vs %.3f", mse_nn,
           (1 - r2) * vt);

    /* determinism */
    void *st2 = NULL;
    open_with(NULL, 1, &st2, &err);
    struct split_data tr2;
    fetch(st2, &info, L2D_TRAIN, &tr2);
    tap_ok(!memcmp(tr.x, tr2.x, tr.n * tr.dim * sizeof *tr.x) &&
               !memcmp(tr.y, tr2.y, tr.n * sizeof *tr.y) &&
               !memcmp(tr.t, tr2.t, tr.n * sizeof *tr.t),
           "same seeds: identical train split");
    release(&tr2);
    ops->close(st2);

    size_t na, nb;
    float *ta = all_targets_sorted(st, &info, &na);
    open_with(NULL, 2, &st2, &err);
    struct l2d_dataset_info info2;
    ops->info(st2, &info2, &err);
    fetch(st2, &info2, L2D_TRAIN, &tr2);
    tap_ok(memcmp(tr.t, tr2.t, 50 * sizeof *tr.t) != 0, "another run seed: another split");
    release(&tr2);
    float *tb = all_targets_sorted(st2, &info2, &nb);
    tap_ok(na == nb && !memcmp(ta, tb, na * sizeof *ta), "another run seed: the same data");
    free(tb);
    ops->close(st2);

    const char *ds1[] = {"data_seed=1", NULL};
    open_with(ds1, 1, &st2, &err);
    ops->info(st2, &info2, &err);
    tb = all_targets_sorted(st2, &info2, &nb);
    tap_ok(na == nb && memcmp(ta, tb, na * sizeof *ta) != 0, "another data_seed: other data");
    free(tb);
    ops->close(st2);
    free(ta);

    /* no target, other shapes */
    const char *small[] = {"target=false", "features=2", "classes=3", "clusters=3", "n=100", NULL};
    rc = open_with(small, 5, &st2, &err);
    ops->info(st2, &info2, &err);
    tap_ok(rc == 0 && info2.tdim == 0 && info2.dim == 2 && info2.n_classes == 3 &&
               info2.n[0] + info2.n[1] + info2.n[2] == 100,
           "target=false: tdim 0; features=2, classes=3, n=100");
    size_t idx0 = 0;
    float x2[2], t2 = 42.0f;
    int32_t y2 = -1;
    rc = ops->batch(st2, L2D_TRAIN, &idx0, 1, x2, &y2, &t2, &err);
    tap_ok(rc == 0 && t2 == 42.0f && y2 >= 0 && y2 < 3, "no target: t left alone, y in range");
    size_t far = info2.n[2];
    rc = ops->batch(st2, L2D_TEST, &far, 1, x2, &y2, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "row"), "row past the split: %s", err.msg);
    ops->close(st2);

    /* noise = 0: every row's class is the argmax; with noise 1 labels are
     * random, so the class agrees with the noise-free one about 1/C of the time
     * (the rows themselves are the same: a fixed number of draws per row). */
    const char *n0[] = {"noise=0", NULL}, *n1[] = {"noise=1", NULL};
    void *s0 = NULL, *s1 = NULL;
    open_with(n0, 1, &s0, &err);
    open_with(n1, 1, &s1, &err);
    struct split_data a0, a1;
    fetch(s0, &info, L2D_TRAIN, &a0);
    fetch(s1, &info, L2D_TRAIN, &a1);
    tap_ok(!memcmp(a0.x, a1.x, a0.n * a0.dim * sizeof *a0.x), "noise does not move the rows");
    size_t agree = 0, agree10 = 0;
    for (size_t i = 0; i < a0.n; i++) agree += a0.y[i] == a1.y[i], agree10 += a0.y[i] == tr.y[i];
    double f1 = (double)agree / (double)a0.n, f10 = (double)agree10 / (double)a0.n;
    tap_ok(fabs(f1 - 0.25) < 0.04, "noise=1: classes agree with noise=0 at chance (%.3f)", f1);
    /* noise 0.1: 10% random, a quarter of those land on the right class anyway */
    tap_ok(fabs(f10 - 0.925) < 0.02, "noise=0.1: 92.5%% of classes unchanged (%.3f)", f10);
    double dt = 0;
    for (size_t i = 0; i < a0.n; i++) dt += (a1.t[i] - a0.t[i]) * (a1.t[i] - a0.t[i]);
    dt = sqrt(dt / (double)a0.n);
    tap_ok(fabs(dt - 1.0) < 0.05, "target noise sd 1 at noise=1 (rms change %.3f)", dt);
    release(&a0), release(&a1);
    ops->close(s0), ops->close(s1);

    const char *bad[] = {"val_fraction=0.5", "test_fraction=0.5", NULL};
    st2 = (void *)1;
    rc = open_with(bad, 1, &st2, &err);
    tap_ok(rc == L2D_EINVAL && st2 == NULL && strstr(err.msg, "synthetic: ") &&
               strstr(err.msg, "below 1"),
           "val+test fractions of 1: %s", err.msg);
    const char *tiny[] = {"n=10", "val_fraction=0.5", "test_fraction=0.45", NULL};
    rc = open_with(tiny, 1, &st2, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "no training rows"), "no training rows: %s",
           err.msg);

    release(&tr), release(&va), release(&te);
    ops->close(st);
    return tap_done();
}
