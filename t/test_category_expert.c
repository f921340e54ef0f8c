/* category-expert: accuracy on assigned / other classes against the
 * binomial expectation, determinism, parameter errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "t/agent_params.h"
#include "t/tap.h"
#include "l2d/plugin.h"

#define K 10
#define N 40000
#define DIM 5

static const struct l2d_agent_ops *ops;
static const struct l2d_plugin *desc;
static float X[N * DIM];
static int32_t Y[N];
static const char *NAMES[K] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"};

/* A test-local generator (splitmix64) for the data. */
static uint64_t tseed = 12345;
static uint64_t tnext(void)
{
    uint64_t z = (tseed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static struct l2d_dataset_info mkinfo(void)
{
    struct l2d_dataset_info info = {0};
    info.n[0] = N;
    info.dim = DIM;
    info.shape[0] = DIM, info.shape[1] = 1, info.shape[2] = 1;
    info.n_classes = K;
    info.class_names = NAMES;
    return info;
}

/* create with the given overrides; returns the status, fills *st on success. */
static int make(const char *const *kv, uint64_t seed, void **st, struct l2d_error *err)
{
    struct tparams tp;
    struct l2d_host host = {sizeof host, seed, ".", NULL, NULL};
    struct l2d_dataset_info info = mkinfo();
    if (tparams_build(&tp, desc->params, kv) != 0)
        return -100;
    return ops->create(&tp.p, &host, &info, st, err);
}

static void accuracy(const int32_t *yhat, const unsigned char *assigned, double *acc_in,
                     double *acc_out, size_t *n_in, size_t *n_out)
{
    size_t ci = 0, co = 0, ni = 0, no = 0;
    for (size_t i = 0; i < N; i++) {
        if (assigned[Y[i]]) {
            ni++;
            ci += yhat[i] == Y[i];
        } else {
            no++;
            co += yhat[i] == Y[i];
        }
    }
    *acc_in = ni ? (double)ci / ni : NAN;
    *acc_out = no ? (double)co / no : NAN;
    *n_in = ni, *n_out = no;
}

/* |acc - q| within 4.5 binomial standard deviations. */
static void check_rate(double acc, double q, size_t n, const char *what)
{
    double tol = 4.5 * sqrt(q * (1 - q) / (double)n);
    tap_ok(fabs(acc - q) <= tol, "%s: accuracy %.4f, expected %.4f +- %.4f (n = %zu)", what, acc,
           q, tol, n);
}

int main(void)
{
    static int32_t yh[N], yh2[N], yh3[N];
    struct l2d_error err = {0};
    void *st = NULL;

    tap_plan(29);
    (void)tap_skip_all;
    desc = l2d_plugin_entry(0);
    tap_ok(desc && desc->magic == L2D_PLUGIN_MAGIC && desc->kind == L2D_KIND_AGENT &&
               strcmp(desc->name, "category-expert") == 0 && l2d_plugin_entry(1) == NULL,
           "descriptor: magic, kind, name, one entry");
    ops = desc->ops;

    for (size_t i = 0; i < N * DIM; i++)
        X[i] = (float)((double)(tnext() >> 11) * 0x1.0p-53 * 4.0 - 2.0);
    for (size_t i = 0; i < N; i++)
        Y[i] = (int32_t)(tnext() % K);
    struct l2d_data d = {N, DIM, X, Y, NULL, 0};

    /* p = 0.94 on classes 0, 3, 5 */
    const char *kv1[] = {"classes=0,3,5", NULL};
    tap_ok(make(kv1, 7, &st, &err) == 0, "create classes=0,3,5 (%s)", err.msg);
    tap_ok(ops->outputs(st) == L2D_AGENT_CLASS, "outputs: class only");
    tap_ok(ops->fit(st, &d, NULL, &err) == 0, "fit is a no-op");
    tap_ok(ops->predict(st, &d, yh, NULL, NULL, &err) == 0, "predict");
    unsigned char as[K] = {0};
    as[0] = as[3] = as[5] = 1;
    double ai, ao;
    size_t ni, no;
    accuracy(yh, as, &ai, &ao, &ni, &no);
    check_rate(ai, 0.94 + 0.06 / K, ni, "assigned classes, p = 0.94");
    check_rate(ao, 1.0 / K, no, "other classes");
    /* wrong answers on other classes are uniform: each wrong class ~ 1/K */
    size_t hist[K] = {0}, nwrong = 0;
    for (size_t i = 0; i < N; i++)
        if (!as[Y[i]])
            hist[yh[i]]++, nwrong++;
    int flat = 1;
    for (int c = 0; c < K; c++) {
        double q = 1.0 / K, f = (double)hist[c] / nwrong;
        if (fabs(f - q) > 4.5 * sqrt(q * (1 - q) / nwrong))
            flat = 0;
    }
    tap_ok(flat, "answers on other classes are uniform over all %d classes", K);

    /* determinism: again, reversed order, one row at a time */
    tap_ok(ops->predict(st, &d, yh2, NULL, NULL, &err) == 0 && memcmp(yh, yh2, sizeof yh) == 0,
           "a second predict gives the same answers");
    static float Xr[N * DIM];
    static int32_t Yr[N];
    for (size_t i = 0; i < N; i++) {
        memcpy(Xr + i * DIM, X + (N - 1 - i) * DIM, DIM * sizeof(float));
        Yr[i] = Y[N - 1 - i];
    }
    struct l2d_data dr = {N, DIM, Xr, Yr, NULL, 0};
    int same = ops->predict(st, &dr, yh2, NULL, NULL, &err) == 0;
    for (size_t i = 0; i < N && same; i++)
        same = yh2[i] == yh[N - 1 - i];
    tap_ok(same, "answers do not depend on row order");
    same = 1;
    for (size_t i = 0; i < 50 && same; i++) {
        struct l2d_data one = {1, DIM, X + i * DIM, Y + i, NULL, 0};
        int32_t a;
        same = ops->predict(st, &one, &a, NULL, NULL, &err) == 0 && a == yh[i];
    }
    tap_ok(same, "answers do not depend on the batch");
    ops->destroy(st);

    /* same params, same seed: identical; other seed: independent draws */
    tap_ok(make(kv1, 7, &st, &err) == 0 && ops->predict(st, &d, yh2, NULL, NULL, &err) == 0 &&
               memcmp(yh, yh2, sizeof yh) == 0,
           "a new instance with the same seed answers the same");
    ops->destroy(st);
    tap_ok(make(kv1, 8, &st, &err) == 0 && ops->predict(st, &d, yh2, NULL, NULL, &err) == 0,
           "seed 8");
    ops->destroy(st);
    size_t agree = 0;
    for (size_t i = 0; i < N; i++)
        agree += !as[Y[i]] && yh[i] == yh2[i];
    check_rate((double)agree / no, 1.0 / K, no, "seeds 7 and 8 agree on other classes by chance");
    /* another expert (different classes) with the same seed draws independently */
    const char *kv2[] = {"classes=c1, c2 ,c4", NULL};
    tap_ok(make(kv2, 7, &st, &err) == 0 && ops->predict(st, &d, yh3, NULL, NULL, &err) == 0,
           "create by class names (%s)", err.msg);
    ops->destroy(st);
    unsigned char as2[K] = {0};
    as2[1] = as2[2] = as2[4] = 1;
    accuracy(yh3, as2, &ai, &ao, &ni, &no);
    check_rate(ai, 0.94 + 0.06 / K, ni, "named classes c1,c2,c4");
    agree = 0;
    size_t nboth = 0;
    for (size_t i = 0; i < N; i++)
        if (!as[Y[i]] && !as2[Y[i]])
            nboth++, agree += yh[i] == yh3[i];
    check_rate((double)agree / nboth, 1.0 / K, nboth,
               "two experts agree by chance where both are random");

    /* p = 1: always right on assigned; p = 0: 1/K there */
    const char *kv3[] = {"classes=9", "p=1", NULL};
    tap_ok(make(kv3, 1, &st, &err) == 0 && ops->predict(st, &d, yh3, NULL, NULL, &err) == 0,
           "p = 1");
    ops->destroy(st);
    unsigned char as3[K] = {0};
    as3[9] = 1;
    accuracy(yh3, as3, &ai, &ao, &ni, &no);
    tap_ok(ai == 1.0, "p = 1: every assigned row right (%.4f)", ai);
    const char *kv4[] = {"classes=9", "p=0", NULL};
    tap_ok(make(kv4, 1, &st, &err) == 0 && ops->predict(st, &d, yh3, NULL, NULL, &err) == 0,
           "p = 0");
    ops->destroy(st);
    accuracy(yh3, as3, &ai, &ao, &ni, &no);
    check_rate(ai, 1.0 / K, ni, "p = 0: assigned rows right by chance only");

    /* errors */
    const char *bad1[] = {"classes=0,10", NULL};
    tap_ok(make(bad1, 1, &st, &err) == L2D_EINVAL && strstr(err.msg, "'10'") &&
               strstr(err.msg, "classes"),
           "class 10 of 10 refused: %s", err.msg);
    const char *bad2[] = {"classes=dog", NULL};
    tap_ok(make(bad2, 1, &st, &err) == L2D_EINVAL && strstr(err.msg, "'dog'"),
           "unknown class name refused: %s", err.msg);
    const char *bad3[] = {"classes= ", NULL};
    tap_ok(make(bad3, 1, &st, &err) == L2D_EINVAL && strstr(err.msg, "empty"),
           "empty class list refused: %s", err.msg);
    const char *bad4[] = {"classes=1", "p=1.5", NULL};
    tap_ok(make(bad4, 1, &st, &err) == L2D_EINVAL && strstr(err.msg, "'p'"),
           "p = 1.5 refused: %s", err.msg);
    const char *bad5[] = {"classes=1,,2", NULL};
    tap_ok(make(bad5, 1, &st, &err) == L2D_EINVAL, "empty item refused: %s", err.msg);

    tap_ok(make(kv1, 7, &st, &err) == 0, "create");
    struct l2d_data noy = {N, DIM, X, NULL, NULL, 0};
    tap_ok(ops->predict(st, &noy, yh3, NULL, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "true classes"),
           "predict without y refused: %s", err.msg);
    struct l2d_data baddim = {N / 2, DIM * 2, X, Y, NULL, 0};
    tap_ok(ops->predict(st, &baddim, yh3, NULL, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "features"),
           "wrong row width refused: %s", err.msg);
    ops->destroy(st);
    return tap_done();
}
