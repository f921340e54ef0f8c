/* `synthetic` dataset: clustered tabular data with a class label and a
 * regression target, generated in memory (the built-in default: no files).
 *
 * The data are a mixture of `clusters` Gaussian blobs in `features`
 * dimensions. Inside each cluster the class is the argmax of a
 * cluster-specific linear score (with a bias towards one class per
 * cluster), and the target is a cluster-specific smooth function (a sine
 * along one direction plus a slope along another, at a cluster level).
 * A single model is therefore mediocre overall while an expert can be good
 * on some clusters, the setting of the multi-task deferral experiments.
 *
 * Seeds: `data_seed` fixes the data (cluster layout first, then the rows,
 * from separate streams, so changing n keeps the clusters); the run seed
 * (host->seed) fixes the train/val/test split only. Features are
 * standardised on the training split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"
#include "l2d/dataprep.h"
#include "l2d/plugin.h"

static const struct l2d_param_spec synthetic_params[] = {
    {"n", L2D_PARAM_INT, "4000", 10, 1e8, NULL, "rows in all (train + val + test)"},
    {"features", L2D_PARAM_INT, "8", 1, 4096, NULL, "feature dimension"},
    {"classes", L2D_PARAM_INT, "4", 2, 1000, NULL, "number of classes"},
    {"clusters", L2D_PARAM_INT, "6", 1, 1000, NULL, "number of Gaussian clusters"},
    {"target", L2D_PARAM_BOOL, "true", 0, 0, NULL, "add a scalar regression target"},
    {"noise", L2D_PARAM_DOUBLE, "0.1", 0, 1, NULL,
     "label noise (probability of a uniformly random class) and target noise sd"},
    {"separation", L2D_PARAM_DOUBLE, "3", 0, 100, NULL,
     "sd of the cluster centres, in units of the within-cluster sd"},
    {"data_seed", L2D_PARAM_INT, "0", 0, 9007199254740992.0, NULL,
     "seed of the generated data (the run seed only picks the split)"},
    {"val_fraction", L2D_PARAM_DOUBLE, "0.1", 0, 0.99, NULL, "fraction of rows for validation"},
    {"test_fraction", L2D_PARAM_DOUBLE, "0.2", 0, 0.99, NULL, "fraction of rows for test"},
    L2D_PARAMS_END};

struct synthetic {
    struct l2d_table tb;
    char **feature_names, **class_names;
};

/* Per-cluster structure. */
struct cluster {
    double weight, scale, level, amp, freq, phase;
    double *centre;  /* [D] */
    double *wcls;    /* [C][D] class score weights */
    double *bcls;    /* [C] class score bias */
    double *dir_sin; /* [D] unit direction of the sine */
    double *dir_lin; /* [D] unit direction of the slope */
};

static void unit_vector(struct l2d_rng *r, double *v, size_t d)
{
    double nn = 0;
    for (size_t j = 0; j < d; j++) v[j] = l2d_rng_normal(r), nn += v[j] * v[j];
    nn = sqrt(nn);
    for (size_t j = 0; j < d; j++) v[j] = nn > 0 ? v[j] / nn : (j == 0);
}

static void free_names(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void synthetic_close(void *state)
{
    struct synthetic *s = state;
    if (!s) return;
    free_names(s->feature_names, s->tb.dim);
    free_names(s->class_names, s->tb.n_classes);
    l2d_table_free(&s->tb);
    free(s);
}

static char **make_names(const char *prefix, size_t n)
{
    char **names = calloc(n, sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%zu", prefix, i);
        if (!(names[i] = strdup(buf))) {
            free_names(names, n);
            return NULL;
        }
    }
    return names;
}

static int generate(struct l2d_table *tb, size_t Z, double noise, double sep, uint64_t data_seed,
                    struct l2d_error *err)
{
    size_t n = tb->n, D = tb->dim, C = tb->n_classes;
    struct cluster *cl = calloc(Z, sizeof *cl);
    /* one block for all per-cluster vectors: centre, wcls, bcls, dir_sin, dir_lin */
    size_t per = D + C * D + C + D + D;
    double *block = malloc(Z * per * sizeof *block);
    double *score = malloc(C * sizeof *score);
    double *u = malloc(D * sizeof *u);
    if (!cl || !block || !score || !u) {
        free(cl), free(block), free(score), free(u);
        return l2d_seterr(err, L2D_ENOMEM, "synthetic: out of memory");
    }
    struct l2d_rng r;
    l2d_rng_seed(&r, l2d_seed_mix(data_seed, "synthetic-structure"));
    double wsum = 0;
    for (size_t k = 0; k < Z; k++) {
        struct cluster *c = &cl[k];
        double *p = block + k * per;
        c->centre = p, p += D;
        c->wcls = p, p += C * D;
        c->bcls = p, p += C;
        c->dir_sin = p, p += D;
        c->dir_lin = p;
        c->weight = 0.5 + l2d_rng_uniform(&r); /* unequal cluster sizes */
        wsum += c->weight;
        c->scale = 0.6 + 0.8 * l2d_rng_uniform(&r);
        for (size_t j = 0; j < D; j++) c->centre[j] = sep * l2d_rng_normal(&r);
        for (size_t j = 0; j < C * D; j++) c->wcls[j] = l2d_rng_normal(&r) / sqrt((double)D);
        for (size_t j = 0; j < C; j++) c->bcls[j] = 0.5 * l2d_rng_normal(&r);
        c->bcls[k % C] += 1.0; /* each cluster leans towards one class */
        unit_vector(&r, c->dir_sin, D);
        unit_vector(&r, c->dir_lin, D);
        c->level = l2d_rng_normal(&r);
        c->amp = 0.5 + 1.5 * l2d_rng_uniform(&r);
        c->freq = 0.5 + 1.5 * l2d_rng_uniform(&r);
        c->phase = 6.283185307179586 * l2d_rng_uniform(&r);
    }

    l2d_rng_seed(&r, l2d_seed_mix(data_seed, "synthetic-rows"));
    for (size_t i = 0; i < n; i++) {
        /* a fixed number of draws per row, so rows do not depend on noise */
        double pick = l2d_rng_uniform(&r) * wsum;
        size_t k = 0;
        while (k + 1 < Z && pick >= cl[k].weight) pick -= cl[k].weight, k++;
        const struct cluster *c = &cl[k];
        for (size_t j = 0; j < D; j++) {
            u[j] = l2d_rng_normal(&r); /* position in the cluster, in units of its scale */
            tb->x[i * D + j] = (float)(c->centre[j] + c->scale * u[j]);
        }
        double flip = l2d_rng_uniform(&r);
        size_t random_class = (size_t)l2d_rng_below(&r, C);
        double tnoise = l2d_rng_normal(&r);

        size_t best = 0;
        for (size_t m = 0; m < C; m++) {
            double s = c->bcls[m];
            for (size_t j = 0; j < D; j++) s += c->wcls[m * D + j] * u[j];
            score[m] = s;
            if (s > score[best]) best = m;
        }
        if (tb->y) tb->y[i] = (int32_t)(flip < noise ? random_class : best);
        if (tb->t) {
            double a = 0, b = 0;
            for (size_t j = 0; j < D; j++) a += c->dir_sin[j] * u[j], b += c->dir_lin[j] * u[j];
            tb->t[i] = (float)(c->level + c->amp * sin(c->freq * a + c->phase) + b +
                               noise * tnoise);
        }
    }
    free(cl), free(block), free(score), free(u);
    return 0;
}

static int synthetic_open(const struct l2d_params *p, const struct l2d_host *host, void **state,
                          struct l2d_error *err)
{
    int64_t n = l2d_param_int(p, "n", 4000), D = l2d_param_int(p, "features", 8);
    int64_t C = l2d_param_int(p, "classes", 4), Z = l2d_param_int(p, "clusters", 6);
    int with_t = l2d_param_int(p, "target", 1) != 0;
    double noise = l2d_param_double(p, "noise", 0.1), sep = l2d_param_double(p, "separation", 3);
    int64_t data_seed = l2d_param_int(p, "data_seed", 0);
    double vf = l2d_param_double(p, "val_fraction", 0.1);
    double tf = l2d_param_double(p, "test_fraction", 0.2);
    *state = NULL;
    /* the host validates ranges; these guard direct callers */
    if (n < 1 || D < 1 || C < 2 || Z < 1 || !(noise >= 0 && noise <= 1) || !(sep >= 0))
        return l2d_seterr(err, L2D_EINVAL,
                          "synthetic: need n >= 1, features >= 1, classes >= 2, clusters >= 1, "
                          "noise in [0, 1], separation >= 0");
    struct synthetic *s = calloc(1, sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "synthetic: out of memory");
    int rc = l2d_table_alloc(&s->tb, (size_t)n, (size_t)D, (unsigned)C, with_t ? 1u : 0u, err);
    if (!rc) rc = generate(&s->tb, (size_t)Z, noise, sep, (uint64_t)data_seed, err);
    if (!rc)
        rc = l2d_table_split(&s->tb, host ? host->seed : 0, vf, tf, "synthetic", err);
    if (!rc) {
        s->feature_names = make_names("x", (size_t)D);
        s->class_names = make_names("c", (size_t)C);
        if (!s->feature_names || !s->class_names)
            rc = l2d_seterr(err, L2D_ENOMEM, "synthetic: out of memory");
    }
    if (rc) {
        synthetic_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int synthetic_info(void *state, struct l2d_dataset_info *info, struct l2d_error *err)
{
    const struct synthetic *s = state;
    l2d_table_info(&s->tb, info);
    info->feature_names = (const char *const *)s->feature_names;
    info->class_names = (const char *const *)s->class_names;
    return 0;
}

static int synthetic_batch(void *state, enum l2d_split split, const size_t *idx, size_t n,
                           float *x, int32_t *y, float *t, struct l2d_error *err)
{
    const struct synthetic *s = state;
    return l2d_table_batch(&s->tb, split, idx, n, x, y, t, err);
}

static const struct l2d_dataset_ops synthetic_ops = {sizeof(struct l2d_dataset_ops), synthetic_open, synthetic_info,
                                                     synthetic_batch, synthetic_close};

static const struct l2d_plugin synthetic_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_DATASET, "synthetic", "1.0",
                      "clustered tabular data with a class and a regression target, no files",
                      synthetic_params, &synthetic_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &synthetic_plugin : NULL;
}
