/* network agent: learns a linear target and separable classes, is
 * deterministic, trains only on the rows its filter keeps; filter parsing
 * and matching (each operator, AND, round-off at a bound, errors). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "plugins/agents/rowfilter.h"
#include "t/agent_params.h"
#include "t/tap.h"

static uint64_t tseed = 2024;
static uint64_t tnext(void)
{
    uint64_t z = (tseed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double tunif(void) { return (double)(tnext() >> 11) * 0x1.0p-53; }

#define N 2000
#define D 3
#define K 3
#define T 2

static const struct l2d_plugin *desc;
static const struct l2d_agent_ops *ops;
static const char *FEAT[D] = {"latitude", "longitude", "income"};
static const float MEAN[D] = {35.63f, -119.5f, 3.0f}, STD[D] = {2.13f, 2.0f, 1.0f};
static char logbuf[L2D_ERRMSG_MAX];
static void logfn(void *self, const char *m)
{
    (void)self;
    snprintf(logbuf, sizeof logbuf, "%s", m);
}

static struct l2d_dataset_info mkinfo(unsigned ncls, unsigned tdim)
{
    struct l2d_dataset_info info = {0};
    info.n[0] = N, info.dim = D, info.shape[0] = D, info.shape[1] = info.shape[2] = 1;
    info.n_classes = ncls;
    info.tdim = tdim;
    info.feature_names = FEAT;
    info.mean = MEAN;
    info.std = STD;
    return info;
}

static int make(const char *const *kv, uint64_t seed, unsigned ncls, unsigned tdim, void **st,
                struct l2d_error *err)
{
    struct tparams tp;
    struct l2d_host host = {sizeof host, seed, ".", logfn, NULL};
    struct l2d_dataset_info info = mkinfo(ncls, tdim);
    if (tparams_build(&tp, desc->params, kv) != 0)
        return -100;
    return ops->create(&tp.p, &host, &info, st, err);
}

/* x uniform on [-1.7, 1.7]; y by bands of x0 + x1; t linear in x */
static void gen(float *x, int32_t *y, float *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float *r = x + i * D;
        for (int j = 0; j < D; j++)
            r[j] = (float)(3.4 * tunif() - 1.7);
        double s = r[0] + r[1];
        y[i] = s < -0.6 ? 0 : s > 0.6 ? 2 : 1;
        t[i * T] = (float)(2.0 * r[0] - r[1] + 0.5 * r[2] + 0.3);
        t[i * T + 1] = (float)(1.0 - r[2]);
    }
}

static void test_learning(void)
{
    static float xtr[N * D], ttr[N * T], xte[N * D], tte[N * T], that[N * T], that2[N * T];
    static int32_t ytr[N], yte[N], yhat[N];
    struct l2d_error err = {0};
    void *st = NULL;
    gen(xtr, ytr, ttr, N);
    gen(xte, yte, tte, N);
    struct l2d_data tr = {N, D, xtr, ytr, ttr, T}, te = {N, D, xte, yte, tte, T};

    /* linear target with a linear model: near-exact */
    const char *lin[] = {"task=target", "hidden=", "epochs=60", "lr=0.02", "batch=32", NULL};
    tap_ok(make(lin, 1, K, T, &st, &err) == 0 && ops->outputs(st) == L2D_AGENT_TARGET,
           "task=target: outputs the target only (%s)", err.msg);
    tap_ok(ops->fit(st, &tr, NULL, &err) == 0, "fit linear (%s)", err.msg);
    tap_ok(strstr(logbuf, "epoch 60/60") && strstr(logbuf, "on 2000 rows"), "log: %s", logbuf);
    tap_ok(ops->predict(st, &te, NULL, that, NULL, &err) == 0, "predict");
    double mse = 0;
    for (size_t i = 0; i < N * T; i++)
        mse += (that[i] - tte[i]) * (that[i] - tte[i]) / (N * T);
    tap_ok(mse < 1e-4, "linear model fits a linear target: test MSE %.3g", mse);
    ops->destroy(st);

    /* both tasks with hidden layers */
    const char *both[] = {"hidden=32,16", "epochs=40", "lr=0.005", "batch=64", NULL};
    tap_ok(make(both, 1, K, T, &st, &err) == 0 &&
               ops->outputs(st) == (L2D_AGENT_CLASS | L2D_AGENT_TARGET),
           "task=both: outputs class and target (%s)", err.msg);
    tap_ok(ops->fit(st, &tr, NULL, &err) == 0, "fit both (%s)", err.msg);
    tap_ok(ops->predict(st, &te, yhat, that, NULL, &err) == 0, "predict both");
    size_t right = 0;
    mse = 0;
    for (size_t i = 0; i < N; i++)
        right += yhat[i] == yte[i];
    for (size_t i = 0; i < N * T; i++)
        mse += (that[i] - tte[i]) * (that[i] - tte[i]) / (N * T);
    tap_ok(right > 0.96 * N, "separable classes: test accuracy %.4f", (double)right / N);
    tap_ok(mse < 0.01, "MLP regression: test MSE %.4g (target variance ~1.7)", mse);
    ops->destroy(st);

    /* determinism: same seed, same bits; other seed, other weights */
    tap_ok(make(both, 1, K, T, &st, &err) == 0 && ops->fit(st, &tr, NULL, &err) == 0 &&
               ops->predict(st, &te, NULL, that2, NULL, &err) == 0 &&
               memcmp(that, that2, sizeof that) == 0,
           "same seed and data: identical predictions");
    ops->destroy(st);
    tap_ok(make(both, 2, K, T, &st, &err) == 0 && ops->fit(st, &tr, NULL, &err) == 0 &&
               ops->predict(st, &te, NULL, that2, NULL, &err) == 0 &&
               memcmp(that, that2, sizeof that) != 0,
           "another seed: other predictions");
    ops->destroy(st);

    const char *cl[] = {"task=class", "hidden=16", "epochs=5", NULL};
    tap_ok(make(cl, 1, K, T, &st, &err) == 0 && ops->outputs(st) == L2D_AGENT_CLASS,
           "task=class: outputs the class only");
    tap_ok(ops->predict(st, &te, yhat, NULL, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "before fit"),
           "predict before fit refused: %s", err.msg);
    ops->destroy(st);
    tap_ok(make(cl, 1, 0, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "0 classes"),
           "task=class without classes refused: %s", err.msg);
    const char *tg[] = {"task=target", NULL};
    tap_ok(make(tg, 1, K, 0, &st, &err) == L2D_EINVAL && strstr(err.msg, "no target"),
           "task=target without a target refused: %s", err.msg);
    const char *bh[] = {"hidden=64,x", NULL};
    tap_ok(make(bh, 1, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "'hidden'"),
           "bad hidden list refused: %s", err.msg);
    const char *bh0[] = {"hidden=64,0", NULL};
    tap_ok(make(bh0, 1, K, T, &st, &err) == L2D_EINVAL, "zero width refused: %s", err.msg);
}

/* raw value v of feature j as the data set would store it */
static float enc(int j, double v) { return (float)((v - MEAN[j]) / STD[j]); }

static int match(const char *text, double lat, double lon)
{
    struct rowfilter f;
    struct l2d_error err = {0};
    struct l2d_dataset_info info = mkinfo(0, 1);
    float row[D] = {enc(0, lat), enc(1, lon), 0};
    if (rowfilter_parse(text, &info, "t", "filter", &f, &err) != 0)
        return -1;
    int m = rowfilter_match(&f, row);
    rowfilter_free(&f);
    return m;
}

static void test_filter_parse(void)
{
    /* 36.00 standardised in float32 and back is not exactly 36 */
    double back = (double)enc(0, 36.0) * STD[0] + MEAN[0];
    tap_ok(back != 36.0, "round-off exists: 36 comes back as %.17g", back);
    int ok = match("latitude < 36", 36, 0) == 0 && match("latitude < 36", 35.99, 0) == 1 &&
             match("latitude <= 36", 36, 0) == 1 && match("latitude <= 36", 36.01, 0) == 0 &&
             match("latitude > 36", 36, 0) == 0 && match("latitude > 36", 36.01, 0) == 1 &&
             match("latitude >= 36", 36, 0) == 1 && match("latitude >= 36", 35.99, 0) == 0 &&
             match("latitude == 36", 36, 0) == 1 && match("latitude == 36", 36.01, 0) == 0 &&
             match("latitude != 36", 36, 0) == 0 && match("latitude != 36", 35.99, 0) == 1;
    tap_ok(ok, "each operator on both sides of the bound, the bound itself exact");
    ok = match("latitude >= 36, latitude < 38.5", 37, 0) == 1 &&
         match("latitude >= 36, latitude < 38.5", 38.5, 0) == 0 &&
         match("latitude >= 36, latitude < 38.5", 35, 0) == 0 &&
         match(" latitude>=36 ,longitude<-120", 37, -121) == 1 &&
         match(" latitude>=36 ,longitude<-120", 37, -119) == 0;
    tap_ok(ok, "comma is AND; spaces optional; negative values");
    tap_ok(match("x1 < -120", 0, -121) == 1 && match("x1 < -120", 0, -119) == 0 &&
               match("X0 == 35.5", 35.5, 0) == 1,
           "features by index x<j>");
    tap_ok(match("", 0, 0) == 1 && match("  ", 99, 99) == 1, "an empty filter keeps every row");

    struct rowfilter f;
    struct l2d_error err = {0};
    struct l2d_dataset_info info = mkinfo(0, 1);
    tap_ok(rowfilter_parse("altitude < 3", &info, "network", "filter", &f, &err) == L2D_EINVAL &&
               strstr(err.msg, "unknown feature 'altitude'") && strstr(err.msg, "latitude") &&
               strstr(err.msg, "'filter'"),
           "unknown feature: %s", err.msg);
    tap_ok(rowfilter_parse("x3 < 3", &info, "network", "filter", &f, &err) == L2D_EINVAL &&
               strstr(err.msg, "'x3'"),
           "index past the last feature: %s", err.msg);
    tap_ok(rowfilter_parse("latitude 36", &info, "network", "filter", &f, &err) == L2D_EINVAL &&
               strstr(err.msg, "no operator"),
           "no operator: %s", err.msg);
    tap_ok(rowfilter_parse("latitude =< 36", &info, "network", "filter", &f, &err) ==
                   L2D_EINVAL &&
               strstr(err.msg, "unknown operator"),
           "=< refused: %s", err.msg);
    tap_ok(rowfilter_parse("latitude < 3x", &info, "network", "filter", &f, &err) == L2D_EINVAL &&
               strstr(err.msg, "not a number"),
           "bad number: %s", err.msg);
    tap_ok(rowfilter_parse("latitude <", &info, "network", "filter", &f, &err) == L2D_EINVAL,
           "missing value: %s", err.msg);
    tap_ok(rowfilter_parse("< 3", &info, "network", "filter", &f, &err) == L2D_EINVAL &&
               strstr(err.msg, "names no feature"),
           "missing feature: %s", err.msg);
    tap_ok(rowfilter_parse("latitude < 36,", &info, "network", "filter", &f, &err) == 0 &&
               f.n == 1,
           "a trailing comma is ignored");
    rowfilter_free(&f);
    void *st = NULL;
    const char *bf[] = {"filter=latitude << 3", NULL};
    tap_ok(make(bf, 1, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "network: parameter 'filter'"),
           "create refuses a bad filter: %s", err.msg);
}

/* Targets +5 below latitude 36, -5 above: a model trained on one region
 * only ever sees one value and predicts it everywhere. */
static void test_filter_training(void)
{
    static float x[N * D], t[N], that[N];
    struct l2d_error err = {0};
    size_t below = 0;
    for (size_t i = 0; i < N; i++) {
        double lat = 32.5 + 9.5 * tunif(), lon = -124 + 10 * tunif(), inc = 0.5 + 8 * tunif();
        if (i % 50 == 0)
            lat = 36.0; /* on the bound: belongs to "latitude >= 36" */
        x[i * D] = enc(0, lat), x[i * D + 1] = enc(1, lon), x[i * D + 2] = enc(2, inc);
        t[i] = lat < 36 ? 5.0f : -5.0f;
        below += lat < 36;
    }
    struct l2d_data d = {N, D, x, NULL, t, 1};
    const char *f1[] = {"filter=latitude < 36", "hidden=", "epochs=80", "lr=0.05", "batch=32",
                        NULL};
    const char *f2[] = {"filter=latitude >= 36", "hidden=", "epochs=80", "lr=0.05", "batch=32",
                        NULL};
    const char *const *fs[2] = {f1, f2};
    for (int w = 0; w < 2; w++) {
        void *st = NULL;
        double want = w == 0 ? 5 : -5, worst = 0;
        size_t rows = w == 0 ? below : N - below;
        char expect[64];
        snprintf(expect, sizeof expect, "on %zu rows", rows);
        int ok = make(fs[w], 3, 0, 1, &st, &err) == 0 && ops->fit(st, &d, NULL, &err) == 0;
        tap_ok(ok && strstr(logbuf, expect), "filter '%s' trains on the %zu rows it keeps: %s",
               fs[w][0] + 7, rows, logbuf);
        ok = ok && ops->predict(st, &d, NULL, that, NULL, &err) == 0;
        for (size_t i = 0; ok && i < N; i++)
            worst = fmax(worst, fabs(that[i] - want));
        tap_ok(ok && worst < 0.05, "linear model trained on one region, predicts %g on every row (worst error %.3g)",
               want, worst);
        ops->destroy(st);
    }
    void *st = NULL;
    const char *f3[] = {"filter=latitude > 42", "epochs=1", NULL};
    tap_ok(make(f3, 3, 0, 1, &st, &err) == 0 && ops->fit(st, &d, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "leaves none") && strstr(err.msg, "latitude > 42"),
           "a filter that keeps no row: %s", err.msg);
    ops->destroy(st);
}

int main(void)
{
    (void)tap_skip_all;
    tap_plan(38);
    desc = l2d_plugin_entry(0);
    tap_ok(desc && desc->magic == L2D_PLUGIN_MAGIC && desc->kind == L2D_KIND_AGENT &&
               strcmp(desc->name, "network") == 0 && !l2d_plugin_entry(1),
           "descriptor");
    ops = desc->ops;
    test_learning();
    test_filter_parse();
    test_filter_training();
    return tap_done();
}
