/* Lloyd's k-means with k-means++ seeding; see kmeans.h. */
#include "kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rowrng.h"

size_t kmeans_nearest(const float *centroids, size_t k, size_t dim, const float *row, double *d2)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
        const float *m = centroids + c * dim;
        double s = 0;
        for (size_t j = 0; j < dim; j++) {
            double e = (double)row[j] - (double)m[j];
            s += e * e;
        }
        if (s < bd) {
            bd = s;
            best = c;
        }
    }
    if (d2)
        *d2 = bd;
    return best;
}

/* k-means++: each next centre is a row drawn with probability
 * proportional to its squared distance to the nearest centre so far. */
static void seed_pp(const float *x, size_t n, size_t dim, size_t k, uint64_t *g, float *cent,
                    double *dmin)
{
    size_t first = (size_t)rowrng_below(g, n);
    memcpy(cent, x + first * dim, dim * sizeof *cent);
    for (size_t i = 0; i < n; i++)
        kmeans_nearest(cent, 1, dim, x + i * dim, &dmin[i]);
    for (size_t c = 1; c < k; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += dmin[i];
        size_t pick = 0;
        if (total > 0) {
            double u = rowrng_uniform(g) * total, acc = 0;
            pick = n - 1;
            for (size_t i = 0; i < n; i++) {
                acc += dmin[i];
                if (u < acc && dmin[i] > 0) {
                    pick = i;
                    break;
                }
            }
        } else {
            pick = (size_t)rowrng_below(g, n); /* all points already centres */
        }
        float *m = cent + c * dim;
        memcpy(m, x + pick * dim, dim * sizeof *m);
        for (size_t i = 0; i < n; i++) {
            double d;
            kmeans_nearest(m, 1, dim, x + i * dim, &d);
            if (d < dmin[i])
                dmin[i] = d;
        }
    }
}

/* Assign every row; returns how many labels changed, the inertia in *w
 * and each row's squared distance in d2. */
static size_t assign(const float *x, size_t n, size_t dim, const float *cent, size_t k,
                     size_t *lab, double *d2, double *w)
{
    size_t changed = 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = kmeans_nearest(cent, k, dim, x + i * dim, &d2[i]);
        changed += c != lab[i];
        lab[i] = c;
        s += d2[i];
    }
    *w = s;
    return changed;
}

/* Centroids = means of their rows (double sums). An empty cluster takes
 * the row farthest from its centroid, which lowers the inertia; if every
 * row sits on a centroid it stays where it is. */
static void update(const float *x, size_t n, size_t dim, float *cent, size_t k, size_t *lab,
                   double *d2, double *sum, size_t *cnt)
{
    memset(sum, 0, k * dim * sizeof *sum);
    memset(cnt, 0, k * sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        cnt[lab[i]]++;
        for (size_t j = 0; j < dim; j++)
            sum[lab[i] * dim + j] += x[i * dim + j];
    }
    for (size_t c = 0; c < k; c++) {
        if (cnt[c]) {
            for (size_t j = 0; j < dim; j++)
                cent[c * dim + j] = (float)(sum[c * dim + j] / (double)cnt[c]);
            continue;
        }
        size_t far = 0;
        for (size_t i = 1; i < n; i++)
            if (d2[i] > d2[far])
                far = i;
        if (d2[far] > 0) {
            memcpy(cent + c * dim, x + far * dim, dim * sizeof *cent);
            d2[far] = 0;
            lab[far] = c;
        }
    }
}

int kmeans_fit(const float *x, size_t n, size_t dim, size_t k, unsigned iters, unsigned restarts,
               uint64_t seed, float *centroids, double *inertia, struct l2d_error *err)
{
    if (k < 1 || n < k)
        return l2d_seterr(err, L2D_EINVAL, "k-means: %zu clusters asked of %zu rows", k, n);
    if (restarts < 1)
        restarts = 1;
    size_t *lab = malloc(n * sizeof *lab);
    size_t *cnt = malloc(k * sizeof *cnt);
    double *d2 = malloc(n * sizeof *d2);
    double *sum = malloc(k * dim * sizeof *sum);
    float *cent = malloc(k * dim * sizeof *cent);
    if (!lab || !cnt || !d2 || !sum || !cent) {
        free(lab), free(cnt), free(d2), free(sum), free(cent);
        return l2d_seterr(err, L2D_ENOMEM, "k-means: out of memory (%zu rows, k = %zu)", n, k);
    }
    double best = INFINITY;
    for (unsigned r = 0; r < restarts; r++) {
        uint64_t g = rowrng_mix(seed ^ rowrng_mix(0x6b6d65616e73ULL + r));
        seed_pp(x, n, dim, k, &g, cent, d2);
        for (size_t i = 0; i < n; i++)
            lab[i] = SIZE_MAX;
        double w;
        for (unsigned it = 0; it < iters; it++) {
            if (assign(x, n, dim, cent, k, lab, d2, &w) == 0)
                break;
            update(x, n, dim, cent, k, lab, d2, sum, cnt);
        }
        assign(x, n, dim, cent, k, lab, d2, &w);
        if (w < best) { /* strict: the earliest restart wins a tie */
            best = w;
            memcpy(centroids, cent, k * dim * sizeof *cent);
        }
    }
    free(lab), free(cnt), free(d2), free(sum), free(cent);
    if (!isfinite(best))
        return l2d_seterr(err, L2D_ENUMERIC, "k-means: non-finite inertia (non-finite features?)");
    if (inertia)
        *inertia = best;
    return kmeans_order(centroids, k, dim, x, n, err);
}

struct ordkey {
    size_t size, idx;
    const float *c;
    size_t dim;
};

static int ordcmp(const void *a, const void *b)
{
    const struct ordkey *p = a, *q = b;
    if (p->size != q->size)
        return p->size > q->size ? -1 : 1;
    for (size_t j = 0; j < p->dim; j++)
        if (p->c[j] != q->c[j])
            return p->c[j] < q->c[j] ? -1 : 1;
    return p->idx < q->idx ? -1 : p->idx > q->idx;
}

int kmeans_order(float *centroids, size_t k, size_t dim, const float *x, size_t n,
                 struct l2d_error *err)
{
    struct ordkey *key = calloc(k, sizeof *key);
    float *copy = malloc(k * dim * sizeof *copy);
    if (!key || !copy) {
        free(key), free(copy);
        return l2d_seterr(err, L2D_ENOMEM, "k-means: out of memory");
    }
    memcpy(copy, centroids, k * dim * sizeof *copy);
    for (size_t c = 0; c < k; c++)
        key[c] = (struct ordkey){0, c, copy + c * dim, dim};
    for (size_t i = 0; i < n; i++)
        key[kmeans_nearest(copy, k, dim, x + i * dim, NULL)].size++;
    qsort(key, k, sizeof *key, ordcmp);
    for (size_t c = 0; c < k; c++)
        memcpy(centroids + c * dim, key[c].c, dim * sizeof *centroids);
    free(key), free(copy);
    return 0;
}

size_t kmeans_elbow(const double *inertia, size_t zmax, enum kmeans_elbow_rule rule)
{
    if (zmax < 3)
        return 1;
    if (rule == KMEANS_ELBOW_KNEEDLE) {
        double w1 = inertia[0], wz = inertia[zmax - 1];
        if (!(w1 > wz))
            return 1;
        size_t best = 1;
        double bd = 0;
        for (size_t k = 1; k <= zmax; k++) {
            double xk = (double)(k - 1) / (double)(zmax - 1);
            double yk = (inertia[k - 1] - wz) / (w1 - wz);
            double d = (1.0 - xk) - yk;
            if (d > bd + 1e-12) {
                bd = d;
                best = k;
            }
        }
        return best;
    }
    /* Zero inertia (k >= distinct rows) is floored so the log is finite. */
    double floor_w = inertia[0] > 0 ? inertia[0] * 1e-12 : 1e-300;
    size_t best = 2;
    double bd = -INFINITY;
    for (size_t k = 2; k + 1 <= zmax; k++) {
        double a = log(fmax(inertia[k - 2], floor_w)), b = log(fmax(inertia[k - 1], floor_w)),
               c = log(fmax(inertia[k], floor_w));
        double d = a - 2 * b + c;
        if (d > bd + 1e-12) {
            bd = d;
            best = k;
        }
    }
    return best;
}
