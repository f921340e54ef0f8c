/* cluster-expert: the simulated experts of MT Table 1 (docs/protocols.md §1).
 *
 * fit() clusters the training features with Lloyd's k-means (k-means++
 * seeding, `restarts` runs, lowest inertia kept), Z = z or, with z = 0,
 * the elbow of the inertia curve over k = 1..z_max (rule `elbow`, see
 * kmeans.h: log_curvature by default). Clusters are numbered C1..CZ by
 * size on the training split, largest first (ties: centroid coordinates in
 * lexicographic order). The clustering depends only on the host seed and
 * the k-means parameters, never on the expertise lists, so two experts of
 * one run with the same k-means parameters share C1..CZ, as the paper's
 * M1 and M2 do.
 *
 * predict(): a row belongs to its nearest centroid. In a cluster listed in
 * cls_clusters the class answer is the true class, elsewhere uniform over
 * all classes; in a cluster of reg_clusters the target answer is the true
 * target, elsewhere uniform on [min t, max t] of the training targets (per
 * target dimension). Random draws come from hash(seed, expertise lists,
 * row features) (rowrng.h): the same row always gets the same answer. */
#include <math.h>
#include <stdlib.h>

#include "idlist.h"
#include "kmeans.h"
#include "l2d/plugin.h"
#include "rowrng.h"

#define WHO "cluster-expert"
#define MAX_Z 1000

struct clexp {
    size_t dim;
    unsigned n_classes, tdim;
    int64_t z, z_max;
    unsigned iters, restarts;
    enum kmeans_elbow_rule rule;
    uint64_t km_seed, draw_seed;
    /* expertise as 1-based cluster numbers, checked against Z at fit */
    long *cls, *reg;
    size_t ncls, nreg;
    /* after fit */
    size_t k;
    float *cent;        /* [k][dim] */
    unsigned char *mcls, *mreg; /* [k] */
    float *tmin, *tmax; /* [tdim] */
    void (*log)(void *, const char *);
    void *log_self;
};

static const struct l2d_param_spec clexp_params[] = {
    {"z", L2D_PARAM_INT, "0", 0, MAX_Z, NULL, "number of clusters Z; 0: the elbow over 1..z_max"},
    {"z_max", L2D_PARAM_INT, "10", 3, MAX_Z, NULL, "largest Z the elbow search tries"},
    {"elbow", L2D_PARAM_ENUM, "log_curvature", 0, 0, "log_curvature|kneedle",
     "elbow rule: max second difference of log inertia, or kneedle (max gap below the chord)"},
    {"kmeans_iters", L2D_PARAM_INT, "300", 1, 100000, NULL, "most Lloyd iterations per run"},
    {"restarts", L2D_PARAM_INT, "4", 1, 1000, NULL, "k-means++ restarts; the lowest inertia wins"},
    {"cls_clusters", L2D_PARAM_STRING, "", 0, 0, NULL,
     "clusters where the class answer is right: comma list of C1..CZ or 1..Z"},
    {"reg_clusters", L2D_PARAM_STRING, "", 0, 0, NULL,
     "clusters where the target answer is right: comma list of C1..CZ or 1..Z"},
    L2D_PARAMS_END};

static void clexp_destroy(void *state)
{
    struct clexp *s = state;
    if (!s)
        return;
    free(s->cls), free(s->reg), free(s->cent), free(s->mcls), free(s->mreg);
    free(s->tmin), free(s->tmax);
    free(s);
}

/* "C3", "c3" or "3" -> 3, with 1 <= n <= MAX_Z. */
static int parse_clusters(const char *text, const char *key, long **out, size_t *nout,
                          struct l2d_error *err)
{
    size_t cap = 0, n = 0;
    long *v = NULL;
    const char *rest = text;
    char tok[64];
    int r;
    *out = NULL, *nout = 0;
    while ((r = idlist_next(&rest, tok, sizeof tok)) != 0) {
        long c = 0;
        const char *num = (tok[0] == 'C' || tok[0] == 'c') ? tok + 1 : tok;
        if (r < 0 || idlist_uint(num, &c) != 0 || c < 1 || c > MAX_Z) {
            free(v);
            return l2d_seterr(err, L2D_EINVAL,
                              WHO ": parameter '%s': '%.60s' is not a cluster (C1..C%d or 1..%d)",
                              key, r < 0 ? "(item too long)" : tok, MAX_Z, MAX_Z);
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            long *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
            }
            v = nv;
        }
        v[n++] = c;
    }
    *out = v, *nout = n;
    return 0;
}

/* Every listed cluster must exist among the k found. */
static int check_lists(const struct clexp *s, size_t k, struct l2d_error *err)
{
    static const char *const keys[2] = {"cls_clusters", "reg_clusters"};
    const long *l[2] = {s->cls, s->reg};
    size_t n[2] = {s->ncls, s->nreg};
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < n[w]; i++)
            if ((size_t)l[w][i] > k)
                return l2d_seterr(err, L2D_EINVAL,
                                  WHO ": parameter '%s' lists C%ld but there are only Z = %zu "
                                  "clusters (%s)",
                                  keys[w], l[w][i], k,
                                  s->z ? "parameter 'z'" : "chosen by the elbow; set 'z'");
    return 0;
}

static int clexp_create(const struct l2d_params *p, const struct l2d_host *host,
                        const struct l2d_dataset_info *info, void **state, struct l2d_error *err)
{
    *state = NULL;
    if (!info || (info->n_classes == 0 && info->tdim == 0))
        return l2d_seterr(err, L2D_EINVAL, WHO ": the data set has neither classes nor targets");
    struct clexp *s = calloc(1, sizeof *s);
    if (!s)
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    s->dim = info->dim;
    s->n_classes = info->n_classes;
    s->tdim = info->tdim;
    s->z = l2d_param_int(p, "z", 0);
    s->z_max = l2d_param_int(p, "z_max", 10);
    int64_t iters = l2d_param_int(p, "kmeans_iters", 300);
    int64_t restarts = l2d_param_int(p, "restarts", 4);
    const char *rule = l2d_param_str(p, "elbow", "log_curvature");
    int rc = 0;
    if (s->z < 0 || s->z > MAX_Z)
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'z' = %lld is outside 0..%d",
                        (long long)s->z, MAX_Z);
    else if (s->z == 0 && (s->z_max < 3 || s->z_max > MAX_Z))
        rc = l2d_seterr(err, L2D_EINVAL,
                        WHO ": parameter 'z_max' = %lld is outside 3..%d (the elbow needs 3)",
                        (long long)s->z_max, MAX_Z);
    else if (iters < 1 || iters > 100000)
        rc = l2d_seterr(err, L2D_EINVAL,
                        WHO ": parameter 'kmeans_iters' = %lld is outside 1..100000",
                        (long long)iters);
    else if (restarts < 1 || restarts > 1000)
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'restarts' = %lld is outside 1..1000",
                        (long long)restarts);
    else if (strcmp(rule, "log_curvature") == 0)
        s->rule = KMEANS_ELBOW_LOGCURV;
    else if (strcmp(rule, "kneedle") == 0)
        s->rule = KMEANS_ELBOW_KNEEDLE;
    else
        rc = l2d_seterr(err, L2D_EINVAL,
                        WHO ": parameter 'elbow' = '%.60s' is not log_curvature|kneedle", rule);
    if (rc) {
        clexp_destroy(s);
        return rc;
    }
    s->iters = (unsigned)iters;
    s->restarts = (unsigned)restarts;
    const char *cls = l2d_param_str(p, "cls_clusters", "");
    const char *reg = l2d_param_str(p, "reg_clusters", "");
    rc = parse_clusters(cls, "cls_clusters", &s->cls, &s->ncls, err);
    if (!rc)
        rc = parse_clusters(reg, "reg_clusters", &s->reg, &s->nreg, err);
    if (!rc && s->z)
        rc = check_lists(s, (size_t)s->z, err);
    /* known from the data set's info: refused when the run is planned, not
     * when each cell fits (the same check stays in fit) */
    if (!rc && s->z && info->n[L2D_TRAIN] && (size_t)s->z > info->n[L2D_TRAIN])
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'z' = %lld exceeds the %zu training rows",
                        (long long)s->z, info->n[L2D_TRAIN]);
    if (rc) {
        clexp_destroy(s);
        return rc;
    }
    uint64_t seed = host ? host->seed : 0;
    s->km_seed = rowrng_hash_str(seed, WHO "/kmeans");
    uint64_t h = rowrng_hash_str(seed, WHO "/draws");
    h = rowrng_hash_str(h, cls);
    s->draw_seed = rowrng_hash_str(h ^ 0x7c, reg);
    if (host) {
        s->log = host->log;
        s->log_self = host->log_self;
    }
    *state = s;
    return 0;
}

static unsigned clexp_outputs(void *state)
{
    const struct clexp *s = state;
    return (s->n_classes ? L2D_AGENT_CLASS : 0u) | (s->tdim ? L2D_AGENT_TARGET : 0u);
}

static void say(const struct clexp *s, const char *msg)
{
    if (s->log)
        s->log(s->log_self, msg);
}

/* Z by the elbow: inertia for k = 1..z_max, logged. */
static int choose_z(struct clexp *s, const struct l2d_data *tr, size_t *k, struct l2d_error *err)
{
    size_t zmax = (size_t)s->z_max;
    if (zmax > tr->n)
        zmax = tr->n;
    if (zmax < 3)
        return l2d_seterr(err, L2D_EINVAL, WHO ": the elbow needs at least 3 training rows");
    double *w = malloc(zmax * sizeof *w);
    float *c = malloc(zmax * tr->dim * sizeof *c);
    if (!w || !c) {
        free(w), free(c);
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    }
    int rc = 0;
    for (size_t kk = 1; kk <= zmax && !rc; kk++)
        rc = kmeans_fit(tr->x, tr->n, tr->dim, kk, s->iters, s->restarts, s->km_seed, c,
                        &w[kk - 1], err);
    if (!rc) {
        *k = kmeans_elbow(w, zmax, s->rule);
        char msg[L2D_ERRMSG_MAX];
        int len = snprintf(msg, sizeof msg, WHO ": elbow Z = %zu; inertia", *k);
        for (size_t kk = 1; kk <= zmax && len > 0 && (size_t)len < sizeof msg; kk++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, " %zu:%.6g", kk, w[kk - 1]);
        say(s, msg);
    }
    free(w), free(c);
    return rc;
}

static int clexp_fit(void *state, const struct l2d_data *tr, const struct l2d_data *val,
                     struct l2d_error *err)
{
    struct clexp *s = state;
    (void)val;
    if (tr->dim != s->dim)
        return l2d_seterr(err, L2D_EINVAL, WHO ": training rows have %zu features, the data set %zu",
                          tr->dim, s->dim);
    if (s->tdim && (!tr->t || tr->tdim != s->tdim))
        return l2d_seterr(err, L2D_EINVAL, WHO ": fit needs the training targets (%u per row)",
                          s->tdim);
    for (size_t i = 0; i < tr->n * tr->dim; i++)
        if (!isfinite(tr->x[i]))
            return l2d_seterr(err, L2D_ENUMERIC, WHO ": training row %zu has a non-finite feature",
                              i / tr->dim);
    size_t k = (size_t)s->z;
    if (k > tr->n)
        return l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'z' = %zu exceeds the %zu training rows",
                          k, tr->n);
    int rc = k ? 0 : choose_z(s, tr, &k, err);
    if (rc || (rc = check_lists(s, k, err)))
        return rc;

    free(s->cent), free(s->mcls), free(s->mreg), free(s->tmin), free(s->tmax);
    s->cent = malloc(k * s->dim * sizeof *s->cent);
    s->mcls = calloc(k, 1);
    s->mreg = calloc(k, 1);
    s->tmin = calloc(s->tdim ? s->tdim : 1, sizeof *s->tmin);
    s->tmax = calloc(s->tdim ? s->tdim : 1, sizeof *s->tmax);
    s->k = 0;
    if (!s->cent || !s->mcls || !s->mreg || !s->tmin || !s->tmax)
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    rc = kmeans_fit(tr->x, tr->n, tr->dim, k, s->iters, s->restarts, s->km_seed, s->cent, NULL,
                    err);
    if (rc)
        return rc;
    for (size_t i = 0; i < s->ncls; i++)
        s->mcls[s->cls[i] - 1] = 1;
    for (size_t i = 0; i < s->nreg; i++)
        s->mreg[s->reg[i] - 1] = 1;
    for (unsigned j = 0; j < s->tdim; j++) {
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < tr->n; i++) {
            float v = tr->t[i * s->tdim + j];
            if (!isfinite(v))
                return l2d_seterr(err, L2D_ENUMERIC,
                                  WHO ": training row %zu has a non-finite target", i);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        s->tmin[j] = lo;
        s->tmax[j] = hi;
    }
    s->k = k;
    return 0;
}

static int clexp_predict(void *state, const struct l2d_data *d, int32_t *yhat, float *that,
                         double *cost, struct l2d_error *err)
{
    const struct clexp *s = state;
    (void)cost;
    if (!s->k)
        return l2d_seterr(err, L2D_EINVAL, WHO ": predict before fit");
    if (d->dim != s->dim)
        return l2d_seterr(err, L2D_EINVAL, WHO ": rows have %zu features, the data set %zu",
                          d->dim, s->dim);
    int want_y = yhat && s->n_classes, want_t = that && s->tdim;
    if (want_y && d->n && !d->y)
        return l2d_seterr(err, L2D_EINVAL, WHO ": predict needs the true classes (y is NULL)");
    if (want_t && d->n && (!d->t || d->tdim != s->tdim))
        return l2d_seterr(err, L2D_EINVAL, WHO ": predict needs the true targets (%u per row)",
                          s->tdim);
    for (size_t i = 0; i < d->n; i++) {
        const float *row = d->x + i * d->dim;
        size_t c = kmeans_nearest(s->cent, s->k, s->dim, row, NULL);
        uint64_t g = rowrng_hash_row(s->draw_seed, row, s->dim);
        /* The draws are made in a fixed order whatever is wanted, so the
         * class answer does not depend on whether targets are asked too. */
        int32_t ry = s->n_classes ? (int32_t)rowrng_below(&g, s->n_classes) : 0;
        if (want_y) {
            int32_t y = d->y[i];
            if (y < 0 || (unsigned)y >= s->n_classes)
                return l2d_seterr(err, L2D_EINVAL, WHO ": row %zu has class %d, outside 0..%u", i,
                                  (int)y, s->n_classes - 1);
            yhat[i] = s->mcls[c] ? y : ry;
        }
        for (unsigned j = 0; j < s->tdim; j++) {
            double u = rowrng_uniform(&g);
            if (want_t)
                that[i * s->tdim + j] =
                    s->mreg[c] ? d->t[i * s->tdim + j]
                               : (float)(s->tmin[j] + u * ((double)s->tmax[j] - s->tmin[j]));
        }
    }
    return 0;
}

static const struct l2d_agent_ops clexp_ops = {sizeof(struct l2d_agent_ops), clexp_create, clexp_outputs, clexp_fit,
                                               clexp_predict, clexp_destroy};

static const struct l2d_plugin clexp_desc =
    L2D_PLUGIN_HEADER(L2D_KIND_AGENT, "cluster-expert", "1.0",
                      "simulated expert right on chosen k-means clusters, random elsewhere "
                      "(MT Table 1)",
                      clexp_params, &clexp_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &clexp_desc : NULL;
}
