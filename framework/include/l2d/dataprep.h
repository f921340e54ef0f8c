/* l2d data preparation: seeded train/val/test splits, standardisation, and
 * an in-memory table that implements a dataset plugin's info()/batch().
 * Public: out-of-tree dataset plugins use it (link libl2d). */
#ifndef L2D_DATAPREP_H
#define L2D_DATAPREP_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per split: test = round(n * test_frac), val = round(n * val_frac),
 * train = the rest. Fractions must be finite, in [0, 1), sum below 1, and
 * leave at least one training row. */
int l2d_split_counts(size_t n, double val_frac, double test_frac, size_t counts[3],
                     struct l2d_error *err);

/* A seeded permutation of 0..n-1 in idx[n]: idx[0 .. counts[0]) are the
 * training rows, then counts[1] validation rows, then counts[2] test rows,
 * each part in increasing order. Same (n, seed, fractions), same result. */
int l2d_split_rows(size_t n, uint64_t seed, double val_frac, double test_frac, size_t *idx,
                   size_t counts[3], struct l2d_error *err);

/* Per-feature mean and (population) standard deviation of x[n][dim], summed
 * in double; a feature with std 0 gets std 1 so applying it is a shift.
 * Returns 0, L2D_EINVAL if n == 0, or L2D_ENUMERIC if x holds a non-finite
 * value (mean/std are then unspecified). */
int l2d_standardize_fit(const float *x, size_t n, size_t dim, float *mean, float *std);
/* x = (x - mean) / std, in place. */
void l2d_standardize_apply(float *x, size_t n, size_t dim, const float *mean, const float *std);

/* ---- an in-memory tabular data set ------------------------------------- */

/* A dataset plugin fills x (and y, t) for all n rows, then calls
 * l2d_table_split(), which reorders the rows into train | val | test and
 * standardises x on the training rows; info() and batch() then come from
 * l2d_table_info() and l2d_table_batch(). */
struct l2d_table {
    size_t n, dim;
    unsigned n_classes;  /* 0: no class label (y == NULL) */
    unsigned tdim;       /* 0: no regression target (t == NULL) */
    float *x;            /* [n][dim] */
    int32_t *y;          /* [n], each in [0, n_classes) */
    float *t;            /* [n][tdim] */
    /* set by l2d_table_split(): */
    size_t count[3];     /* rows per split */
    size_t start[3];     /* first row of each split in x/y/t */
    size_t *row;         /* [n]: the row's index before the split */
    float *mean, *std;   /* [dim]: raw = x * std + mean */
};

/* Zeroes *tb and allocates x, y (if n_classes), t (if tdim), row, mean, std. */
int l2d_table_alloc(struct l2d_table *tb, size_t n, size_t dim, unsigned n_classes,
                    unsigned tdim, struct l2d_error *err);
/* Checks every value (finite x and t, y in range), then splits and
 * standardises as above. Call once. `who` prefixes error messages. */
int l2d_table_split(struct l2d_table *tb, uint64_t seed, double val_frac, double test_frac,
                    const char *who, struct l2d_error *err);
/* Fills n, dim, shape {dim, 1, 1}, n_classes, tdim, mean, std; names, lo and
 * hi are left NULL for the caller to set. */
void l2d_table_info(const struct l2d_table *tb, struct l2d_dataset_info *info);
/* The dataset op batch() over a split table: rows idx[0..n) of `split`. */
int l2d_table_batch(const struct l2d_table *tb, enum l2d_split split, const size_t *idx,
                    size_t n, float *x, int32_t *y, float *t, struct l2d_error *err);
void l2d_table_free(struct l2d_table *tb);

#ifdef __cplusplus
}
#endif
#endif
