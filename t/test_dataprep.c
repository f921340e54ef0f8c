/* Splits, standardisation and the in-memory table (framework/core/dataprep.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/dataprep.h"
#include "tap.h"

static int is_permutation(const size_t *idx, size_t n)
{
    char *seen = calloc(n ? n : 1, 1);
    int ok = seen != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (idx[i] >= n || seen[idx[i]]) ok = 0;
        else seen[idx[i]] = 1;
    }
    free(seen);
    return ok;
}

static int parts_sorted(const size_t *idx, const size_t c[3])
{
    size_t at = 0;
    for (int s = 0; s < 3; s++) {
        for (size_t i = 1; i < c[s]; i++)
            if (idx[at + i - 1] >= idx[at + i]) return 0;
        at += c[s];
    }
    return 1;
}

static void test_counts(void)
{
    struct l2d_error err = {0};
    size_t c[3];
    int rc = l2d_split_counts(10, 0.1, 0.2, c, &err);
    tap_ok(rc == 0 && c[0] == 7 && c[1] == 1 && c[2] == 2,
           "10 rows at 0.1/0.2: 7/1/2 (got %zu/%zu/%zu)", c[0], c[1], c[2]);
    /* California Housing after dropping missing rows: 20433 * 0.2 = 4086.6 -> 4087 */
    rc = l2d_split_counts(20433, 0.1, 0.2, c, &err);
    tap_ok(rc == 0 && c[0] == 14303 && c[1] == 2043 &&
               c[2] == 4087,
           "20433 rows at 0.1/0.2: 14303/2043/4087 (got %zu/%zu/%zu)", c[0], c[1], c[2]);
    rc = l2d_split_counts(5, 0.0, 0.3, c, &err);
    tap_ok(rc == 0 && c[0] == 3 && c[1] == 0 && c[2] == 2,
           "5 rows at 0/0.3: 1.5 rounds to 2 test rows (got %zu/%zu/%zu)", c[0], c[1], c[2]);
    tap_ok(l2d_split_counts(1, 0, 0, c, &err) == 0 && c[0] == 1, "1 row, no val/test: 1 train");
    tap_ok(l2d_split_counts(10, 0.5, 0.5, c, &err) == L2D_EINVAL && strstr(err.msg, "below 1"),
           "fractions summing to 1 rejected: %s", err.msg);
    tap_ok(l2d_split_counts(10, -0.1, 0.2, c, &err) == L2D_EINVAL &&
               strstr(err.msg, "val_fraction"),
           "negative val_fraction rejected: %s", err.msg);
    tap_ok(l2d_split_counts(10, 0.1, NAN, c, &err) == L2D_EINVAL &&
               strstr(err.msg, "test_fraction"),
           "NaN test_fraction rejected: %s", err.msg);
    tap_ok(l2d_split_counts(2, 0.3, 0.3, c, &err) == L2D_EINVAL &&
               strstr(err.msg, "no training rows"),
           "2 rows at 0.3/0.3 leave no training row: %s", err.msg);
    tap_ok(l2d_split_counts(0, 0.1, 0.2, c, &err) == L2D_EINVAL, "0 rows rejected");
}

static void test_split(void)
{
    struct l2d_error err = {0};
    enum { N = 1000 };
    size_t a[N], b[N], d[N], ca[3], cb[3], cd[3];
    int rc = l2d_split_rows(N, 42, 0.1, 0.2, a, ca, &err);
    tap_ok(rc == 0 && ca[0] == 700 && ca[1] == 100 && ca[2] == 200, "split 1000: 700/100/200");
    tap_ok(is_permutation(a, N), "split is a permutation of 0..999");
    tap_ok(parts_sorted(a, ca), "each split is in increasing row order");
    l2d_split_rows(N, 42, 0.1, 0.2, b, cb, &err);
    tap_ok(memcmp(a, b, sizeof a) == 0, "same seed, same split");
    l2d_split_rows(N, 43, 0.1, 0.2, d, cd, &err);
    size_t same = 0;
    for (size_t i = 700; i < N; i++) same += a[i] == d[i];
    tap_ok(memcmp(a, d, sizeof a) != 0 && same < 50,
           "another seed, another split (%zu of 300 val/test positions agree)", same);
    /* The test rows are a uniform sample: their mean index is near 499.5
     * (sd of the mean of 200 draws without replacement ~ 18). */
    double m = 0;
    for (size_t i = 800; i < N; i++) m += (double)a[i];
    m /= 200;
    tap_ok(fabs(m - 499.5) < 80, "test rows spread over the data (mean index %.1f)", m);
    /* the first half of the rows lands in train at about the train rate */
    size_t lo = 0;
    for (size_t i = 0; i < 700; i++) lo += a[i] < 500;
    tap_ok(lo > 300 && lo < 400, "train holds %zu of the first 500 rows (expect ~350)", lo);
    tap_ok(l2d_split_rows(2, 1, 0.3, 0.3, a, ca, &err) == L2D_EINVAL, "bad split is an error");
}

static void test_standardize(void)
{
    const float x0[] = {1, 10, 2, 10, 3, 10, 6, 10};
    float x[8], mean[2], std[2];
    memcpy(x, x0, sizeof x);
    int rc = l2d_standardize_fit(x, 4, 2, mean, std);
    tap_ok(rc == 0, "fit ok");
    tap_close(mean[0], 3.0, 1e-7, 0, "mean of 1,2,3,6");
    tap_close(std[0], sqrt(3.5), 1e-6, 0, "population std of 1,2,3,6 = sqrt(14/4)");
    tap_close(mean[1], 10.0, 1e-7, 0, "mean of a constant column");
    tap_ok(std[1] == 1.0f, "constant column gets std 1 (got %g)", std[1]);
    l2d_standardize_apply(x, 4, 2, mean, std);
    tap_close(x[0], -2.0 / sqrt(3.5), 1e-6, 0, "(1 - 3) / sqrt(3.5)");
    tap_close(x[6], 3.0 / sqrt(3.5), 1e-6, 0, "(6 - 3) / sqrt(3.5)");
    tap_ok(x[1] == 0 && x[7] == 0, "constant column becomes 0");
    /* large offset: a one-pass float sum of squares would lose this */
    float big[4] = {1e6f - 1, 1e6f + 1, 1e6f - 1, 1e6f + 1}, bm, bs;
    l2d_standardize_fit(big, 4, 1, &bm, &bs);
    tap_ok(bm == 1e6f && fabs(bs - 1.0) < 1e-6, "offset 1e6: mean %.9g std %.9g", bm, bs);
    float bad[2] = {1, NAN};
    tap_ok(l2d_standardize_fit(bad, 2, 1, &bm, &bs) == L2D_ENUMERIC, "NaN is L2D_ENUMERIC");
    tap_ok(l2d_standardize_fit(x, 0, 2, mean, std) == L2D_EINVAL, "no rows is L2D_EINVAL");
}

static void test_table(void)
{
    struct l2d_error err = {0};
    struct l2d_table tb;
    enum { N = 10 };
    int rc = l2d_table_alloc(&tb, N, 2, 3, 1, &err);
    tap_ok(rc == 0, "table alloc");
    for (size_t i = 0; i < N; i++) {
        tb.x[2 * i] = (float)i;
        tb.x[2 * i + 1] = (float)(i * i);
        tb.y[i] = (int32_t)(i % 3);
        tb.t[i] = 0.5f * (float)i;
    }
    rc = l2d_table_split(&tb, 7, 0.2, 0.2, "tbl", &err);
    tap_ok(rc == 0 && tb.count[0] == 6 && tb.count[1] == 2 && tb.count[2] == 2 &&
               tb.start[1] == 6 && tb.start[2] == 8,
           "table split 6/2/2");
    size_t perm[N], c[3];
    l2d_split_rows(N, 7, 0.2, 0.2, perm, c, &err);
    tap_ok(memcmp(perm, tb.row, sizeof perm) == 0, "table rows follow l2d_split_rows");
    int follow = 1;
    for (size_t r = 0; r < N; r++) {
        size_t i = tb.row[r];
        float raw0 = tb.x[2 * r] * tb.std[0] + tb.mean[0];
        float raw1 = tb.x[2 * r + 1] * tb.std[1] + tb.mean[1];
        if (fabsf(raw0 - (float)i) > 1e-4f || fabsf(raw1 - (float)(i * i)) > 1e-3f ||
            tb.y[r] != (int32_t)(i % 3) || tb.t[r] != 0.5f * (float)i)
            follow = 0;
    }
    tap_ok(follow, "x (via mean/std), y and t move together with their row");
    /* train mean of feature 0 by hand from the train rows */
    double m = 0, v = 0;
    for (size_t r = 0; r < 6; r++) m += (double)tb.row[r];
    m /= 6;
    for (size_t r = 0; r < 6; r++) v += ((double)tb.row[r] - m) * ((double)tb.row[r] - m);
    tap_close(tb.mean[0], m, 1e-5, 0, "mean = mean of the train rows' raw values");
    tap_close(tb.std[0], sqrt(v / 6), 1e-5, 0, "std = std of the train rows' raw values");
    double s = 0, ss = 0;
    for (size_t r = 0; r < 6; r++) s += tb.x[2 * r], ss += tb.x[2 * r] * tb.x[2 * r];
    tap_ok(fabs(s / 6) < 1e-5 && fabs(ss / 6 - 1) < 1e-5, "train x has mean 0, variance 1");

    struct l2d_dataset_info info;
    l2d_table_info(&tb, &info);
    tap_ok(info.n[0] == 6 && info.n[1] == 2 && info.n[2] == 2 && info.dim == 2 &&
               info.shape[0] == 2 && info.shape[1] == 1 && info.shape[2] == 1 &&
               info.n_classes == 3 && info.tdim == 1 && info.mean == tb.mean &&
               info.std == tb.std && !info.lo && !info.feature_names,
           "info fields");

    size_t idx[2] = {1, 0};
    float bx[4], bt[2];
    int32_t by[2];
    rc = l2d_table_batch(&tb, L2D_TEST, idx, 2, bx, by, bt, &err);
    tap_ok(rc == 0 && bx[0] == tb.x[2 * 9] && bx[2] == tb.x[2 * 8] && by[0] == tb.y[9] &&
               bt[1] == tb.t[8],
           "batch returns test rows in the order asked");
    rc = l2d_table_batch(&tb, L2D_VAL, idx, 2, bx, NULL, NULL, &err);
    tap_ok(rc == 0 && bx[0] == tb.x[2 * 7], "batch with y, t NULL");
    size_t far = 2;
    rc = l2d_table_batch(&tb, L2D_TEST, &far, 1, bx, by, bt, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "row 2 of a split of 2"),
           "row beyond the split is an error: %s", err.msg);
    l2d_table_free(&tb);

    l2d_table_alloc(&tb, 4, 1, 2, 0, &err);
    for (size_t i = 0; i < 4; i++) tb.x[i] = (float)i, tb.y[i] = 0;
    tb.x[2] = INFINITY;
    rc = l2d_table_split(&tb, 1, 0, 0, "tbl", &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "tbl: row 3"), "infinite feature: %s", err.msg);
    tb.x[2] = 2;
    tb.y[1] = 2;
    rc = l2d_table_split(&tb, 1, 0, 0, "tbl", &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "row 2: class 2"), "class out of range: %s",
           err.msg);
    tb.y[1] = 0;
    rc = l2d_table_split(&tb, 1, 0.5, 0.5, "tbl", &err);
    tap_ok(rc == L2D_EINVAL && strncmp(err.msg, "tbl: ", 5) == 0, "split error is prefixed: %s",
           err.msg);
    l2d_table_free(&tb);
}

int main(void)
{
    (void)tap_skip_all; /* tap.h leaves it unmarked */
    tap_plan(9 + 8 + 11 + 14);
    test_counts();
    test_split();
    test_standardize();
    test_table();
    return tap_done();
}
