/* Seeded splits, standardisation and the in-memory table behind the
 * tabular dataset plugins. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/dataprep.h"
#include "l2d/engine.h"

int l2d_split_counts(size_t n, double val_frac, double test_frac, size_t counts[3],
                     struct l2d_error *err)
{
    if (!(isfinite(val_frac) && val_frac >= 0 && val_frac < 1))
        return l2d_seterr(err, L2D_EINVAL, "val_fraction %g: must lie in [0, 1)", val_frac);
    if (!(isfinite(test_frac) && test_frac >= 0 && test_frac < 1))
        return l2d_seterr(err, L2D_EINVAL, "test_fraction %g: must lie in [0, 1)", test_frac);
    if (val_frac + test_frac >= 1)
        return l2d_seterr(err, L2D_EINVAL,
                          "val_fraction %g + test_fraction %g: must be below 1", val_frac,
                          test_frac);
    size_t nv = (size_t)floor((double)n * val_frac + 0.5);
    size_t nt = (size_t)floor((double)n * test_frac + 0.5);
    if (nv + nt >= n)
        return l2d_seterr(err, L2D_EINVAL,
                          "%zu rows: no training rows left after %zu validation and %zu test rows",
                          n, nv, nt);
    counts[0] = n - nv - nt;
    counts[1] = nv;
    counts[2] = nt;
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int l2d_split_rows(size_t n, uint64_t seed, double val_frac, double test_frac, size_t *idx,
                   size_t counts[3], struct l2d_error *err)
{
    int rc = l2d_split_counts(n, val_frac, test_frac, counts, err);
    if (rc) return rc;
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix(seed, "l2d-split"));
    for (size_t i = 0; i < n; i++) idx[i] = i;
    l2d_rng_shuffle(&rng, idx, n);
    /* Sorted within each split, so a split's rows keep the file order. */
    size_t at = 0;
    for (int s = 0; s < 3; s++) {
        qsort(idx + at, counts[s], sizeof *idx, cmp_size);
        at += counts[s];
    }
    return 0;
}

int l2d_standardize_fit(const float *x, size_t n, size_t dim, float *mean, float *std)
{
    if (n == 0) return L2D_EINVAL;
    double *acc = calloc(dim ? 2 * dim : 1, sizeof *acc);
    if (!acc) return L2D_ENOMEM;
    double *sum = acc, *ss = acc + dim;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++) {
            double v = x[i * dim + j];
            if (!isfinite(v)) {
                free(acc);
                return L2D_ENUMERIC;
            }
            sum[j] += v;
        }
    for (size_t j = 0; j < dim; j++) sum[j] /= (double)n;
    /* Two passes: sums of squares about the mean do not cancel. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++) {
            double d = x[i * dim + j] - sum[j];
            ss[j] += d * d;
        }
    for (size_t j = 0; j < dim; j++) {
        double sd = sqrt(ss[j] / (double)n);
        mean[j] = (float)sum[j];
        std[j] = (sd > 0 && (float)sd > 0) ? (float)sd : 1.0f;
    }
    free(acc);
    return 0;
}

void l2d_standardize_apply(float *x, size_t n, size_t dim, const float *mean, const float *std)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++) x[i * dim + j] = (x[i * dim + j] - mean[j]) / std[j];
}

/* ---- table ---------------------------------------------------------------- */

void l2d_table_free(struct l2d_table *tb)
{
    if (!tb) return;
    free(tb->x);
    free(tb->y);
    free(tb->t);
    free(tb->row);
    free(tb->mean);
    free(tb->std);
    memset(tb, 0, sizeof *tb);
}

static void *alloc_array(size_t n, size_t size)
{
    if (n == 0) n = 1;
    if (n > SIZE_MAX / size) return NULL;
    return malloc(n * size);
}

int l2d_table_alloc(struct l2d_table *tb, size_t n, size_t dim, unsigned n_classes,
                    unsigned tdim, struct l2d_error *err)
{
    memset(tb, 0, sizeof *tb);
    if (dim == 0) return l2d_seterr(err, L2D_EINVAL, "table: no features");
    if (dim > SIZE_MAX / sizeof(float) / (n ? n : 1))
        return l2d_seterr(err, L2D_ENOMEM, "table: %zu x %zu values do not fit in memory", n, dim);
    tb->n = n;
    tb->dim = dim;
    tb->n_classes = n_classes;
    tb->tdim = tdim;
    tb->x = alloc_array(n * dim, sizeof *tb->x);
    tb->row = alloc_array(n, sizeof *tb->row);
    tb->mean = alloc_array(dim, sizeof *tb->mean);
    tb->std = alloc_array(dim, sizeof *tb->std);
    if (n_classes) tb->y = alloc_array(n, sizeof *tb->y);
    if (tdim) tb->t = alloc_array(n, (size_t)tdim * sizeof *tb->t);
    if (!tb->x || !tb->row || !tb->mean || !tb->std || (n_classes && !tb->y) ||
        (tdim && !tb->t)) {
        l2d_table_free(tb);
        return l2d_seterr(err, L2D_ENOMEM, "table: out of memory for %zu rows x %zu features", n,
                          dim);
    }
    return 0;
}

/* Gathers rows perm[0..n) of src (width w elements of size sz) into a new buffer. */
static void *gather(const void *src, const size_t *perm, size_t n, size_t w, size_t sz)
{
    char *dst = alloc_array(n, w * sz);
    if (!dst) return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(dst + i * w * sz, (const char *)src + perm[i] * w * sz, w * sz);
    return dst;
}

int l2d_table_split(struct l2d_table *tb, uint64_t seed, double val_frac, double test_frac,
                    const char *who, struct l2d_error *err)
{
    if (!who) who = "table";
    for (size_t i = 0; i < tb->n; i++) {
        for (size_t j = 0; j < tb->dim; j++)
            if (!isfinite(tb->x[i * tb->dim + j]))
                return l2d_seterr(err, L2D_ENUMERIC, "%s: row %zu, feature %zu is not finite", who,
                                  i + 1, j + 1);
        for (unsigned j = 0; j < tb->tdim; j++)
            if (!isfinite(tb->t[i * tb->tdim + j]))
                return l2d_seterr(err, L2D_ENUMERIC, "%s: row %zu, target %u is not finite", who,
                                  i + 1, j + 1);
        if (tb->n_classes && (tb->y[i] < 0 || (unsigned)tb->y[i] >= tb->n_classes))
            return l2d_seterr(err, L2D_EINVAL, "%s: row %zu: class %d outside [0, %u)", who,
                              i + 1, (int)tb->y[i], tb->n_classes);
    }
    size_t *perm = alloc_array(tb->n, sizeof *perm);
    if (!perm) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
    int rc = l2d_split_rows(tb->n, seed, val_frac, test_frac, perm, tb->count, err);
    if (rc) {
        free(perm);
        if (err) {
            char tmp[L2D_ERRMSG_MAX];
            snprintf(tmp, sizeof tmp, "%s", err->msg);
            l2d_seterr(err, rc, "%s: %s", who, tmp);
        }
        return rc;
    }
    float *x = gather(tb->x, perm, tb->n, tb->dim, sizeof(float));
    int32_t *y = tb->y ? gather(tb->y, perm, tb->n, 1, sizeof(int32_t)) : NULL;
    float *t = tb->t ? gather(tb->t, perm, tb->n, tb->tdim, sizeof(float)) : NULL;
    if (!x || (tb->y && !y) || (tb->t && !t)) {
        free(x);
        free(y);
        free(t);
        free(perm);
        return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
    }
    free(tb->x);
    free(tb->y);
    free(tb->t);
    tb->x = x;
    tb->y = y;
    tb->t = t;
    memcpy(tb->row, perm, tb->n * sizeof *perm);
    free(perm);
    tb->start[0] = 0;
    tb->start[1] = tb->count[0];
    tb->start[2] = tb->count[0] + tb->count[1];
    rc = l2d_standardize_fit(tb->x, tb->count[0], tb->dim, tb->mean, tb->std);
    if (rc) return l2d_seterr(err, rc, "%s: standardisation failed", who);
    l2d_standardize_apply(tb->x, tb->n, tb->dim, tb->mean, tb->std);
    return 0;
}

void l2d_table_info(const struct l2d_table *tb, struct l2d_dataset_info *info)
{
    memset(info, 0, sizeof *info);
    for (int s = 0; s < 3; s++) info->n[s] = tb->count[s];
    info->dim = tb->dim;
    info->shape[0] = (unsigned)tb->dim;
    info->shape[1] = 1;
    info->shape[2] = 1;
    info->n_classes = tb->n_classes;
    info->tdim = tb->tdim;
    info->mean = tb->mean;
    info->std = tb->std;
}

int l2d_table_batch(const struct l2d_table *tb, enum l2d_split split, const size_t *idx,
                    size_t n, float *x, int32_t *y, float *t, struct l2d_error *err)
{
    if ((int)split < 0 || (int)split > 2)
        return l2d_seterr(err, L2D_EINVAL, "batch: unknown split %d", (int)split);
    size_t cnt = tb->count[split], at = tb->start[split];
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= cnt)
            return l2d_seterr(err, L2D_EINVAL, "batch: row %zu of a split of %zu rows", idx[i],
                              cnt);
    for (size_t i = 0; i < n; i++) {
        size_t r = at + idx[i];
        if (x) memcpy(x + i * tb->dim, tb->x + r * tb->dim, tb->dim * sizeof *x);
        if (y && tb->y) y[i] = tb->y[r];
        if (t && tb->t) memcpy(t + i * tb->tdim, tb->t + r * tb->tdim, tb->tdim * sizeof *t);
    }
    return 0;
}
