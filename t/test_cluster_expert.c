/* k-means (exact recovery of separated blobs, inertia by brute force,
 * elbow) and cluster-expert (right on its clusters, random elsewhere,
 * determinism, parameter errors). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "plugins/agents/kmeans.h"
#include "t/agent_params.h"
#include "t/tap.h"

static uint64_t tseed = 99;
static uint64_t tnext(void)
{
    uint64_t z = (tseed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double tunif(void) { return (double)(tnext() >> 11) * 0x1.0p-53; }
static double tnormal(void)
{
    double u = tunif(), v = tunif();
    return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}

/* blobs: nb groups of sizes[g] rows around centres[g][dim] (sd), labels in g */
static void blobs(size_t nb, const size_t *sizes, const double *centres, size_t dim, double sd,
                  float *x, size_t *g)
{
    size_t i = 0;
    for (size_t b = 0; b < nb; b++)
        for (size_t r = 0; r < sizes[b]; r++, i++) {
            g[i] = b;
            for (size_t j = 0; j < dim; j++)
                x[i * dim + j] = (float)(centres[b * dim + j] + sd * tnormal());
        }
}

#define NB 4
#define D 3
static const size_t SZ[NB] = {400, 300, 200, 100}; /* distinct: fixes the order */
static const double CEN[NB * D] = {5, 5, 0, -5, 5, 1, 5, -5, -1, -5, -5, 0};
#define NTOT 1000

static const struct l2d_plugin *desc;
static const struct l2d_agent_ops *ops;
static char logbuf[L2D_ERRMSG_MAX];
static void logfn(void *self, const char *m)
{
    (void)self;
    snprintf(logbuf, sizeof logbuf, "%s", m);
}

static int make(const char *const *kv, uint64_t seed, unsigned ncls, unsigned tdim, void **st,
                struct l2d_error *err)
{
    struct tparams tp;
    struct l2d_host host = {sizeof host, seed, ".", logfn, NULL};
    struct l2d_dataset_info info = {0};
    info.n[0] = NTOT, info.dim = D, info.shape[0] = D, info.shape[1] = info.shape[2] = 1;
    info.n_classes = ncls;
    info.tdim = tdim;
    if (tparams_build(&tp, desc->params, kv) != 0)
        return -100;
    return ops->create(&tp.p, &host, &info, st, err);
}

static void test_kmeans(void)
{
    static float x[NTOT * D], c[NB * D], c2[NB * D];
    static size_t g[NTOT];
    struct l2d_error err = {0};
    blobs(NB, SZ, CEN, D, 0.5, x, g);
    double w;
    tap_ok(kmeans_fit(x, NTOT, D, NB, 300, 3, 42, c, &w, &err) == 0, "k-means k = 4 (%s)",
           err.msg);
    /* sizes 400 > 300 > 200 > 100: cluster b must be blob b, row by row */
    size_t wrong = 0;
    for (size_t i = 0; i < NTOT; i++)
        wrong += kmeans_nearest(c, NB, D, x + i * D, NULL) != g[i];
    tap_ok(wrong == 0, "every row in its own blob, clusters ordered by size (%zu wrong)", wrong);
    double maxerr = 0, brute = 0;
    for (size_t b = 0; b < NB; b++) {
        double mean[D] = {0};
        for (size_t i = 0; i < NTOT; i++)
            if (g[i] == b)
                for (size_t j = 0; j < D; j++)
                    mean[j] += x[i * D + j] / (double)SZ[b];
        for (size_t j = 0; j < D; j++)
            maxerr = fmax(maxerr, fabs(mean[j] - c[b * D + j]));
        for (size_t i = 0; i < NTOT; i++)
            if (g[i] == b)
                for (size_t j = 0; j < D; j++)
                    brute += (x[i * D + j] - mean[j]) * (x[i * D + j] - mean[j]);
    }
    tap_ok(maxerr < 1e-5, "centroids are the blob means (max error %.2g)", maxerr);
    tap_close(w, brute, 0, 1e-5, "inertia = brute-force sum of squares about the blob means");
    tap_ok(kmeans_fit(x, NTOT, D, NB, 300, 3, 42, c2, NULL, &err) == 0 &&
               memcmp(c, c2, sizeof c) == 0,
           "same seed, identical centroids");
    tap_ok(kmeans_fit(x, NTOT, D, NB, 300, 1, 7, c2, NULL, &err) == 0 &&
               fabs(c2[0] - c[0]) < 1e-5 && fabs(c2[D * NB - 1] - c[D * NB - 1]) < 1e-5,
           "another seed finds the same clusters in the same order");
    tap_ok(kmeans_fit(x, 3, D, 4, 10, 1, 1, c2, NULL, &err) == L2D_EINVAL,
           "k > n refused: %s", err.msg);
    /* duplicate rows: 2 distinct points, k = 3 -> zero inertia, one empty cluster */
    float dup[5 * 2] = {1, 1, 1, 1, 1, 1, 3, 3, 3, 3};
    float cd[3 * 2];
    int rdup = kmeans_fit(dup, 5, 2, 3, 50, 2, 3, cd, &w, &err);
    tap_ok(rdup == 0 && w == 0.0 && cd[0] == 1 &&
               cd[2] == 3,
           "fewer distinct rows than k: inertia %g, largest cluster first", w);

    /* elbow on the inertia curve of the 4 blobs */
    double curve[10];
    float ctmp[10 * D];
    int ok = 1;
    for (size_t k = 1; k <= 10; k++)
        ok &= kmeans_fit(x, NTOT, D, k, 300, 3, 5, ctmp, &curve[k - 1], &err) == 0;
    tap_ok(ok && kmeans_elbow(curve, 10, KMEANS_ELBOW_LOGCURV) == 4,
           "log-curvature elbow on 4 blobs: %zu", kmeans_elbow(curve, 10, KMEANS_ELBOW_LOGCURV));
    tap_ok(kmeans_elbow(curve, 10, KMEANS_ELBOW_KNEEDLE) == 4, "kneedle elbow on 4 blobs: %zu",
           kmeans_elbow(curve, 10, KMEANS_ELBOW_KNEEDLE));
    /* hand-made curves: W = 100, 50, 25, 1, .9, .8, .7 -> both give 4;
     * a square of 4 equal blobs (W = 8, 4, 2, 0.01 ...) where plain second
     * differences tie between 2 and 4: the log rule still finds 4 */
    double h1[7] = {100, 50, 25, 1, 0.9, 0.8, 0.7};
    tap_ok(kmeans_elbow(h1, 7, KMEANS_ELBOW_LOGCURV) == 4 &&
               kmeans_elbow(h1, 7, KMEANS_ELBOW_KNEEDLE) == 4,
           "hand curve: elbow 4 by both rules");
    double h2[6] = {8, 4, 2, 0.01, 0.009, 0.008};
    tap_ok(kmeans_elbow(h2, 6, KMEANS_ELBOW_LOGCURV) == 4, "square of blobs: log rule gives 4");
    /* kneedle by hand: x = 0, .5, 1; y = 1, .2, 0 -> distances 0, .3, 0 -> 2 */
    double h3[3] = {10, 2, 0};
    tap_ok(kmeans_elbow(h3, 3, KMEANS_ELBOW_KNEEDLE) == 2 &&
               kmeans_elbow(h3, 3, KMEANS_ELBOW_LOGCURV) == 2,
           "three-point curve: 2");

    /* 6 blobs at random places in 5-D, elbow over 1..10 */
    enum { B6 = 6, D6 = 5 };
    static double cen6[B6 * D6];
    size_t sz6[B6];
    for (size_t b = 0; b < B6; b++) {
        sz6[b] = 150 + 30 * b;
        for (size_t j = 0; j < D6; j++)
            cen6[b * D6 + j] = 20 * tunif() - 10;
    }
    static float x6[2000 * D6];
    static size_t g6[2000];
    size_t n6 = 0;
    for (size_t b = 0; b < B6; b++)
        n6 += sz6[b];
    blobs(B6, sz6, cen6, D6, 0.4, x6, g6);
    static float c6[10 * D6];
    ok = 1;
    for (size_t k = 1; k <= 10; k++)
        ok &= kmeans_fit(x6, n6, D6, k, 300, 4, 11, c6, &curve[k - 1], &err) == 0;
    tap_ok(ok && kmeans_elbow(curve, 10, KMEANS_ELBOW_LOGCURV) == 6,
           "log-curvature elbow on 6 blobs in 5-D: %zu",
           kmeans_elbow(curve, 10, KMEANS_ELBOW_LOGCURV));
}

static void test_expert(void)
{
    enum { K = 5, T = 2 };
    static float xtr[NTOT * D], xte[NTOT * D], ttr[NTOT * T], tte[NTOT * T], that[NTOT * T],
        that2[NTOT * T];
    static int32_t ytr[NTOT], yte[NTOT], yhat[NTOT], yhat2[NTOT];
    static size_t gtr[NTOT], gte[NTOT];
    struct l2d_error err = {0};
    void *st = NULL;
    blobs(NB, SZ, CEN, D, 0.5, xtr, gtr);
    blobs(NB, SZ, CEN, D, 0.5, xte, gte);
    for (size_t i = 0; i < NTOT; i++) {
        ytr[i] = (int32_t)(tnext() % K);
        yte[i] = (int32_t)(tnext() % K);
        for (int j = 0; j < T; j++) {
            ttr[i * T + j] = (float)(j == 0 ? 10 * tunif() : -3 + tunif());
            tte[i * T + j] = (float)(j == 0 ? 12 * tunif() - 1 : -3 + tunif());
        }
    }
    float lo[T] = {INFINITY, INFINITY}, hi[T] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < NTOT; i++)
        for (int j = 0; j < T; j++)
            lo[j] = fminf(lo[j], ttr[i * T + j]), hi[j] = fmaxf(hi[j], ttr[i * T + j]);
    struct l2d_data tr = {NTOT, D, xtr, ytr, ttr, T}, te = {NTOT, D, xte, yte, tte, T};

    const char *kv[] = {"cls_clusters=C1,c3", "reg_clusters= 2 , 3", NULL};
    tap_ok(make(kv, 5, K, T, &st, &err) == 0, "create (%s)", err.msg);
    tap_ok(ops->outputs(st) == (L2D_AGENT_CLASS | L2D_AGENT_TARGET), "outputs class and target");
    tap_ok(ops->fit(st, &tr, NULL, &err) == 0, "fit with the elbow (%s)", err.msg);
    tap_ok(strstr(logbuf, "elbow Z = 4") != NULL, "log: %s", logbuf);
    tap_ok(ops->predict(st, &te, yhat, that, NULL, &err) == 0, "predict test rows");
    size_t right_in = 0, n_in = 0, right_out = 0, n_out = 0, exact_in = 0, nr_in = 0,
           inrange = 0, exact_out = 0, nr_out = 0;
    double mean0 = 0;
    for (size_t i = 0; i < NTOT; i++) {
        int cin = gte[i] == 0 || gte[i] == 2, rin = gte[i] == 1 || gte[i] == 2;
        if (cin)
            n_in++, right_in += yhat[i] == yte[i];
        else
            n_out++, right_out += yhat[i] == yte[i];
        if (rin) {
            nr_in++;
            exact_in += that[i * T] == tte[i * T] && that[i * T + 1] == tte[i * T + 1];
        } else {
            nr_out++;
            exact_out += that[i * T] == tte[i * T];
            int ok = 1;
            for (int j = 0; j < T; j++)
                ok &= that[i * T + j] >= lo[j] && that[i * T + j] <= hi[j];
            inrange += ok;
            mean0 += that[i * T] / 1.0;
        }
    }
    tap_ok(right_in == n_in, "class right on every row of C1 and C3 (%zu/%zu)", right_in, n_in);
    double q = 1.0 / K, acc = (double)right_out / n_out, tol = 4.5 * sqrt(q * (1 - q) / n_out);
    tap_ok(fabs(acc - q) <= tol, "class right by chance on C2, C4: %.3f vs %.3f +- %.3f", acc, q,
           tol);
    tap_ok(exact_in == nr_in, "target exact on every row of C2 and C3 (%zu/%zu)", exact_in, nr_in);
    tap_ok(inrange == nr_out && exact_out == 0,
           "target elsewhere inside [min t, max t] of training, never the truth (%zu/%zu)",
           inrange, nr_out);
    mean0 /= nr_out;
    double mid = 0.5 * (lo[0] + hi[0]), sd = (hi[0] - lo[0]) / sqrt(12.0 * nr_out);
    tap_ok(fabs(mean0 - mid) < 4.5 * sd, "random targets centred on the training range: %.3f vs %.3f",
           mean0, mid);

    /* determinism and independence of asking for targets */
    tap_ok(ops->predict(st, &te, yhat2, NULL, NULL, &err) == 0 &&
               memcmp(yhat, yhat2, sizeof yhat) == 0,
           "class answers the same with or without targets asked");
    struct l2d_data half = {NTOT / 2, D, xte + (NTOT / 2) * D, yte + NTOT / 2, tte + (NTOT / 2) * T, T};
    tap_ok(ops->predict(st, &half, yhat2, that2, NULL, &err) == 0 &&
               memcmp(yhat + NTOT / 2, yhat2, NTOT / 2 * sizeof *yhat) == 0 &&
               memcmp(that + NTOT / 2 * T, that2, NTOT / 2 * T * sizeof *that) == 0,
           "answers do not depend on the batch");
    struct l2d_data noy = {NTOT, D, xte, NULL, tte, T};
    tap_ok(ops->predict(st, &noy, yhat2, NULL, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "true classes"),
           "predict without y refused: %s", err.msg);
    struct l2d_data not = {NTOT, D, xte, yte, NULL, 0};
    tap_ok(ops->predict(st, &not, NULL, that2, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "true targets"),
           "predict without t refused: %s", err.msg);
    ops->destroy(st);

    /* errors */
    const char *b1[] = {"z=4", "cls_clusters=C1,C5", NULL};
    tap_ok(make(b1, 5, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "cls_clusters") &&
               strstr(err.msg, "C5") && strstr(err.msg, "'z'"),
           "C5 with z = 4 refused at create: %s", err.msg);
    const char *b2[] = {"reg_clusters=5", NULL};
    tap_ok(make(b2, 5, K, T, &st, &err) == 0, "create reg_clusters=5 with the elbow");
    tap_ok(ops->fit(st, &tr, NULL, &err) == L2D_EINVAL && strstr(err.msg, "reg_clusters") &&
               strstr(err.msg, "Z = 4") && strstr(err.msg, "elbow"),
           "C5 when the elbow finds 4 refused at fit: %s", err.msg);
    tap_ok(ops->predict(st, &te, yhat2, NULL, NULL, &err) == L2D_EINVAL &&
               strstr(err.msg, "before fit"),
           "predict before fit refused: %s", err.msg);
    ops->destroy(st);
    const char *b3[] = {"cls_clusters=C0", NULL};
    tap_ok(make(b3, 5, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "'C0'"),
           "C0 refused: %s", err.msg);
    const char *b4[] = {"cls_clusters=1,x", NULL};
    tap_ok(make(b4, 5, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "'x'"),
           "'x' refused: %s", err.msg);
    const char *b5[] = {"z_max=2", NULL};
    tap_ok(make(b5, 5, K, T, &st, &err) == L2D_EINVAL && strstr(err.msg, "'z_max' = 2"),
           "z_max = 2 refused: %s", err.msg);
    tap_ok(make(NULL, 5, 0, 0, &st, &err) == L2D_EINVAL, "no classes and no targets refused: %s",
           err.msg);

    /* class-only data: outputs CLASS only; fixed z */
    const char *k1[] = {"z=4", "cls_clusters=4", NULL};
    tap_ok(make(k1, 5, K, 0, &st, &err) == 0 && ops->outputs(st) == L2D_AGENT_CLASS,
           "class-only data: outputs class only");
    struct l2d_data trc = {NTOT, D, xtr, ytr, NULL, 0}, tec = {NTOT, D, xte, yte, NULL, 0};
    size_t r4 = 0, n4 = 0;
    int okc = ops->fit(st, &trc, NULL, &err) == 0 &&
              ops->predict(st, &tec, yhat, NULL, NULL, &err) == 0;
    for (size_t i = 0; okc && i < NTOT; i++)
        if (gte[i] == 3)
            n4++, r4 += yhat[i] == yte[i];
    tap_ok(okc && n4 == 100 && r4 == n4, "z = 4: right on all of C4, the smallest blob (%zu/%zu)",
           r4, n4);
    ops->destroy(st);

    /* two experts of one run share the clustering, even on structureless
     * data where k-means solutions depend on the seed: with 1000 classes
     * chance agreement is rare, so the rows each gets right are its C1 */
    enum { NU = 3000, KU = 1000 };
    static float xu[NU * D];
    static int32_t yu[NU], ya[NU], yb[NU];
    for (size_t i = 0; i < NU * D; i++)
        xu[i] = (float)tunif();
    for (size_t i = 0; i < NU; i++)
        yu[i] = (int32_t)(tnext() % KU);
    struct l2d_data du = {NU, D, xu, yu, NULL, 0};
    const char *ea[] = {"z=5", "cls_clusters=1", NULL}, *eb[] = {"z=5", "cls_clusters=1,2", NULL};
    void *sa = NULL, *sb = NULL;
    int oku = make(ea, 77, KU, 0, &sa, &err) == 0 && make(eb, 77, KU, 0, &sb, &err) == 0 &&
              ops->fit(sa, &du, NULL, &err) == 0 && ops->fit(sb, &du, NULL, &err) == 0 &&
              ops->predict(sa, &du, ya, NULL, NULL, &err) == 0 &&
              ops->predict(sb, &du, yb, NULL, NULL, &err) == 0;
    size_t a_not_b = 0, ra = 0;
    for (size_t i = 0; i < NU; i++) {
        ra += ya[i] == yu[i];
        a_not_b += ya[i] == yu[i] && yb[i] != yu[i];
    }
    tap_ok(oku && ra > NU / 10 && a_not_b <= 15,
           "experts with other lists share C1 (%zu right, %zu not right for the other)", ra,
           a_not_b);
    ops->destroy(sa);
    ops->destroy(sb);
}

int main(void)
{
    (void)tap_skip_all;
    tap_plan(40);
    desc = l2d_plugin_entry(0);
    tap_ok(desc && desc->magic == L2D_PLUGIN_MAGIC && desc->kind == L2D_KIND_AGENT &&
               strcmp(desc->name, "cluster-expert") == 0 && !l2d_plugin_entry(1),
           "descriptor");
    ops = desc->ops;
    test_kmeans();
    test_expert();
    return tap_done();
}
