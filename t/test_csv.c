/* The `csv` dataset plugin, through its descriptor, on the fixtures in
 * t/data/csv/ and on data/california_housing.csv; and the parser itself.
 * California reference numbers (row counts, class counts, mean target) come
 * from Python's csv module:
 *   rows = list(csv.DictReader(open('data/california_housing.csv')))
 *   kept = [r for r in rows if r['total_bedrooms'] != '']
 *   collections.Counter(r['ocean_proximity'] for r in kept)
 *   sum(float(r['median_house_value']) * 1e-5 for r in kept) / len(kept)
 *   mean of the non-empty total_bedrooms = 537.8705525375618 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsparams.h"
#include "l2d/plugin.h"
#include "csv_parse.h"
#include "tap.h"

#define FIX L2D_ABS_SRCDIR "/t/data/csv/"

static const struct l2d_plugin *desc;
static const struct l2d_dataset_ops *ops;

/* All rows of all splits, raw (un-standardised) features. */
struct rows {
    struct l2d_dataset_info info;
    size_t n;
    float *raw; /* [n][dim] */
    int32_t *y;
    float *t;   /* [n][tdim] */
};

/* the plugin's last log line, and all lines since the last open ("...\n") */
static char logged[L2D_ERRMSG_MAX], log_all[4 * L2D_ERRMSG_MAX];
static void log_line(void *self, const char *msg)
{
    (void)self;
    snprintf(logged, sizeof logged, "%s", msg);
    size_t at = strlen(log_all);
    snprintf(log_all + at, sizeof log_all - at, "%s\n", msg);
}

static int open_csv(const char *const *over, const char *data_dir, void **st,
                    struct l2d_error *err)
{
    struct dsparams d;
    dsp_build(&d, desc->params, over);
    struct l2d_host host = {sizeof host, 11, data_dir, log_line, NULL};
    *st = (void *)1;
    log_all[0] = '\0';
    int rc = ops->open(&d.p, &host, st, err);
    if (rc && *st != NULL) tap_diag("open failed but left a state");
    return rc;
}

static void get_rows(void *st, struct rows *r)
{
    struct l2d_error err = {0};
    memset(r, 0, sizeof *r);
    if (!st) return;
    ops->info(st, &r->info, &err);
    size_t dim = r->info.dim, td = r->info.tdim;
    r->n = r->info.n[0] + r->info.n[1] + r->info.n[2];
    r->raw = malloc(r->n * dim * sizeof *r->raw);
    r->y = malloc(r->n * sizeof *r->y);
    r->t = malloc((r->n * td + 1) * sizeof *r->t);
    size_t at = 0;
    for (int s = 0; s < 3; s++) {
        size_t n = r->info.n[s];
        size_t *idx = malloc((n + 1) * sizeof *idx);
        for (size_t i = 0; i < n; i++) idx[i] = i;
        if (ops->batch(st, (enum l2d_split)s, idx, n, r->raw + at * dim, r->y + at,
                       r->t + at * td, &err))
            tap_diag("batch: %s", err.msg);
        free(idx);
        at += n;
    }
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < dim; j++)
            r->raw[i * dim + j] = r->raw[i * dim + j] * r->info.std[j] + r->info.mean[j];
}

static void free_rows(struct rows *r) { free(r->raw), free(r->y), free(r->t); }

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void test_small(void)
{
    struct l2d_error err = {0};
    void *st;
    const char *o[] = {"path=" FIX "small.csv", "class=kind",        "target=price",
                       "target_scale=0.01",     "val_fraction=0.2", "test_fraction=0.2", NULL};
    int rc = open_csv(o, NULL, &st, &err);
    tap_ok(rc == 0, "small.csv opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    struct rows r;
    get_rows(st, &r);
    const struct l2d_dataset_info *in = &r.info;
    tap_ok(in->n[0] == 6 && in->n[1] == 2 && in->n[2] == 2 && in->dim == 2 && in->tdim == 1 &&
               in->n_classes == 3,
           "10 rows 6/2/2, 2 features, 3 classes, 1 target");
    tap_ok(!strcmp(in->feature_names[0], "x1") && !strcmp(in->feature_names[1], "x2"),
           "features x1, x2 (text column 'note' left out)");
    tap_ok(!strcmp(in->class_names[0], "bird") && !strcmp(in->class_names[1], "cat") &&
               !strcmp(in->class_names[2], "dog"),
           "class names sorted: bird, cat, dog");
    tap_ok(!in->lo && !in->hi && in->mean && in->std, "mean/std, no range");
    /* kind of row k (1-based): cat dog cat bird dog cat dog bird cat dog */
    const int kind[11] = {-1, 1, 2, 1, 0, 2, 1, 2, 0, 1, 2};
    int seen[11] = {0}, good = 1;
    for (size_t i = 0; i < r.n; i++) {
        double k = r.raw[2 * i];
        int ki = (int)lround(k);
        if (ki < 1 || ki > 10 || !near(k, ki, 1e-5) || !near(r.raw[2 * i + 1], 10.0 * ki, 1e-4) ||
            r.y[i] != kind[ki] || !near(r.t[i], ki, 1e-6)) {
            tap_diag("row %zu: x1 %g x2 %g y %d t %g", i, k, r.raw[2 * i + 1], r.y[i], r.t[i]);
            good = 0;
        } else
            seen[ki]++;
    }
    for (int k = 1; k <= 10; k++) good &= seen[k] == 1;
    tap_ok(good, "every row once: x1 = k, x2 = 10k, class of row k, target = price * 0.01");
    free_rows(&r);
    ops->close(st);

    /* the same file by a relative path under data_dir, and from the source tree */
    const char *rel[] = {"path=small.csv", NULL};
    rc = open_csv(rel, L2D_ABS_SRCDIR "/t/data/csv", &st, &err);
    tap_ok(rc == 0, "relative path under data_dir: %s", rc ? err.msg : "ok");
    if (!rc) {
        struct l2d_dataset_info info;
        ops->info(st, &info, &err);
        tap_ok(info.dim == 3 && info.n_classes == 0 && info.tdim == 0 &&
                   !strcmp(info.feature_names[2], "price"),
               "no class/target: features x1, x2, price (text 'kind', 'note' left out): dim %zu", info.dim);
        ops->close(st);
    } else
        tap_ok(0, "no class/target");
    const char *two[] = {"path=" FIX "small.csv", "target=price, x2", "target_scale=0.5",
                         "val_fraction=0", "test_fraction=0", NULL};
    rc = open_csv(two, NULL, &st, &err);
    if (!rc) {
        struct rows r2;
        get_rows(st, &r2);
        int ok2 = r2.info.tdim == 2 && r2.info.dim == 1 && r2.n == 10;
        for (size_t i = 0; ok2 && i < r2.n; i++) /* rows in file order: row k = i + 1 */
            ok2 = r2.t[2 * i] == 50.0f * (float)(i + 1) && r2.t[2 * i + 1] == 5.0f * (float)(i + 1);
        tap_ok(ok2, "two target columns: tdim 2, t = (price, x2) * 0.5, feature x1 only");
        free_rows(&r2);
        ops->close(st);
    } else
        tap_ok(0, "two target columns: %s", err.msg);
    const char *tree[] = {"path=t/data/csv/small.csv", NULL};
    rc = open_csv(tree, NULL, &st, &err);
    tap_ok(rc == 0, "path relative to the source tree: %s", rc ? err.msg : "ok");
    if (!rc) ops->close(st);
}

static void test_crlf(void)
{
    struct l2d_error err = {0};
    void *st;
    const char *o[] = {"path=" FIX "crlf.csv", "class=cls", "val_fraction=0", "test_fraction=0",
                       NULL};
    int rc = open_csv(o, NULL, &st, &err);
    tap_ok(rc == 0, "CRLF, BOM, blank line, spaces, no final newline: %s",
           rc ? err.msg : "ok");
    if (rc) return;
    struct rows r;
    get_rows(st, &r);
    tap_ok(r.n == 4 && r.info.n[0] == 4 && r.info.dim == 2 && r.info.n_classes == 3 &&
               !strcmp(r.info.feature_names[0], "a") && !strcmp(r.info.feature_names[1], "b") &&
               !strcmp(r.info.class_names[2], "2"),
           "4 rows, features a, b, numeric classes 0..2");
    const float a[4] = {0.5f, 1.5f, 2.5f, 3.5f}, b[4] = {1, 2, 3, 4};
    const int32_t y[4] = {1, 0, 2, 1};
    int good = 1;
    for (int i = 0; i < 4; i++)
        good &= near(r.raw[2 * i], a[i], 1e-6) && near(r.raw[2 * i + 1], b[i], 1e-6) &&
                r.y[i] == y[i];
    tap_ok(good, "rows in file order with their values (last line has no newline)");
    tap_close(r.info.mean[0], 2.0, 1e-7, 0, "mean of a");
    tap_close(r.info.std[0], sqrt(1.25), 1e-6, 0, "std of a = sqrt(1.25)");
    size_t i0 = 0;
    float x0[2];
    ops->batch(st, L2D_TRAIN, &i0, 1, x0, NULL, NULL, &err);
    tap_close(x0[0], -1.5 / sqrt(1.25), 1e-6, 0, "standardised a of row 1");
    free_rows(&r);
    ops->close(st);
}

static void test_missing(void)
{
    struct l2d_error err = {0};
    void *st;
    struct rows r;
    const char *drop[] = {"path=" FIX "missing.csv", "class=c", "target=t", "val_fraction=0",
                          "test_fraction=0", NULL};
    int rc = open_csv(drop, NULL, &st, &err);
    get_rows(st, &r);
    tap_ok(rc == 0 && r.n == 2 && near(r.raw[0], 5, 1e-6) && near(r.raw[1], 10, 1e-6) &&
               r.y[0] == 1 && r.t[0] == 5 && near(r.raw[2], 6, 1e-6) && r.y[1] == 0 &&
               r.t[1] == 6,
           "missing=drop: rows 6 and 7 remain (%zu rows)", r.n);
    free_rows(&r);
    ops->close(st);

    const char *mean[] = {"path=" FIX "missing.csv", "class=c", "target=t", "missing=mean",
                          "val_fraction=0", "test_fraction=0", NULL};
    rc = open_csv(mean, NULL, &st, &err);
    get_rows(st, &r);
    /* f2 mean over 4,6,8,10,12 = 8; f1 mean over 1,2,4,5,6 = 3.6 */
    const float f1[4] = {1, 3.6f, 5, 6}, f2[4] = {8, 6, 10, 12}, t[4] = {1, 3, 5, 6};
    int good = rc == 0 && r.n == 4;
    for (size_t i = 0; good && i < 4; i++)
        good = near(r.raw[2 * i], f1[i], 1e-5) && near(r.raw[2 * i + 1], f2[i], 1e-5) &&
               r.t[i] == t[i];
    tap_ok(good, "missing=mean: empty features get the column mean, rows without class or "
                 "target dropped (%zu rows)", r.n);
    free_rows(&r);
    ops->close(st);

    const char *errm[] = {"path=" FIX "missing.csv", "class=c", "target=t", "missing=error",
                          NULL};
    rc = open_csv(errm, NULL, &st, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "missing.csv:2: column 'f2' is empty"),
           "missing=error: %s", err.msg);

    const char *only[] = {"path=" FIX "missing.csv", "class=c", "target=t", "features=f1",
                          "val_fraction=0", "test_fraction=0", NULL};
    rc = open_csv(only, NULL, &st, &err);
    get_rows(st, &r);
    tap_ok(rc == 0 && r.n == 3 && r.info.dim == 1 && near(r.raw[0], 1, 1e-6) &&
               near(r.raw[1], 5, 1e-6) && near(r.raw[2], 6, 1e-6),
           "features=f1: an empty f2 no longer drops line 2 (%zu rows)", r.n);
    free_rows(&r);
    ops->close(st);
}

static void bad(const char *const *o, const char *want, const char *what)
{
    struct l2d_error err = {0};
    void *st;
    int rc = open_csv(o, NULL, &st, &err);
    tap_ok(rc != 0 && st == NULL && strstr(err.msg, want), "%s: %s", what, err.msg);
    if (!rc) ops->close(st);
}

static void test_bad(void)
{
#define P(f) "path=" FIX f
    bad((const char *[]){P("ragged.csv"), NULL}, "ragged.csv:4: 2 fields, header has 3",
        "ragged row");
    bad((const char *[]){P("notnum.csv"), NULL}, "notnum.csv:3: column 'b': 'abc' is not a number",
        "text in a numeric column");
    bad((const char *[]){P("notnum.csv"), "features=a,b", NULL},
        "notnum.csv:3: column 'b': 'abc' is not a number", "text in a listed feature");
    bad((const char *[]){P("nonfinite.csv"), NULL},
        "nonfinite.csv:3: column 'b': 'inf' is not a finite number", "inf");
    bad((const char *[]){P("empty.csv"), NULL}, "empty.csv: the file is empty", "empty file");
    bad((const char *[]){P("noheader.csv"), NULL}, "noheader.csv:1: no header row", "no header");
    bad((const char *[]){P("headeronly.csv"), NULL}, "headeronly.csv: no data rows",
        "header only");
    bad((const char *[]){P("dropall.csv"), NULL}, "dropall.csv: no rows left", "all dropped");
    bad((const char *[]){P("dup.csv"), NULL}, "dup.csv:1: column 'a' appears twice",
        "duplicate column");
    bad((const char *[]){P("badclass.csv"), "class=c", NULL},
        "badclass.csv:3: column 'c': class '0.5' is not an integer", "fractional class");
    bad((const char *[]){P("small.csv"), "class=nosuch", NULL},
        "small.csv: no column 'nosuch' (class)", "unknown class column");
    bad((const char *[]){P("small.csv"), "features=x1, zz", NULL},
        "small.csv: no column 'zz' (features)", "unknown feature column");
    bad((const char *[]){P("small.csv"), "target=kind", NULL},
        "small.csv:2: column 'kind': 'cat' is not a number", "text target");
    bad((const char *[]){P("small.csv"), "class=kind", "features=x1,kind", NULL},
        "column 'kind' is a feature and the class", "feature is the class");
    bad((const char *[]){P("small.csv"), "class=kind", "target=kind", NULL},
        "both the class and a target", "class is the target");
    bad((const char *[]){P("small.csv"), "target=price", "target_scale=0", NULL},
        "target_scale 0", "zero target_scale");
    bad((const char *[]){P("small.csv"), "val_fraction=0.6", "test_fraction=0.5", NULL},
        "small.csv: val_fraction 0.6 + test_fraction 0.5", "fractions above 1");
    bad((const char *[]){"path=no/such/file.csv", NULL}, "cannot open 'no/such/file.csv' (tried",
        "missing file");
#undef P
}

/* ---- the parser: quoting, delimiters, line ends, headers ------------------- */

static int cells_are(const struct csv_file *f, size_t row, const char *const *want)
{
    for (size_t c = 0; c < f->n_cols; c++)
        if (strcmp(csv_cell(f, row, c), want[c])) {
            tap_diag("row %zu column %zu: '%s', want '%s'", row, c, csv_cell(f, row, c),
                     want[c]);
            return 0;
        }
    return 1;
}

static void test_parser(void)
{
    struct l2d_error err = {0};
    struct csv_file f;
    int rc = csv_load(FIX "quoted.csv", "quoted.csv", &f, &err);
    tap_ok(rc == 0 && f.n_rows == 4 && f.n_cols == 4 && !strcmp(f.names[0], "id") &&
               !strcmp(f.names[1], "name") && !strcmp(f.names[3], "y") &&
               cells_are(&f, 0, (const char *[]){"1", "Smith, John", "1.5", "2.5"}) &&
               cells_are(&f, 1, (const char *[]){"2", "He said \"hi\"", "3", "4"}) &&
               cells_are(&f, 2, (const char *[]){"3", "multi\nline, \"text\"", "5", "6"}) &&
               cells_are(&f, 3, (const char *[]){"4", "", "7", ""}),
           "quoted header and fields: commas, \"\", a newline, blanks around quotes: %s",
           rc ? err.msg : "ok");
    tap_ok(rc == 0 && f.line[0] == 2 && f.line[1] == 3 && f.line[2] == 4 && f.line[3] == 6,
           "rows start on physical lines 2 3 4 6 (row 3 spans lines 4-5)");
    csv_free(&f);

    struct csv_options semi = {';', 0}, tab = {'\t', 0}, ws = {CSV_WHITESPACE, 0},
                       nohead = {',', 1};
    rc = csv_load_opt(FIX "semicolon.csv", "s.csv", &semi, &f, &err);
    tap_ok(rc == 0 && f.n_cols == 4 && f.n_rows == 2 && !strcmp(f.names[2], "c;d") &&
               cells_are(&f, 1, (const char *[]){"2.5", "4", "6", "y"}),
           "delimiter ';': a quoted ';' in a name, blanks trimmed: %s", rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load_opt(FIX "tab.csv", "t.csv", &tab, &f, &err);
    tap_ok(rc == 0 && f.n_cols == 4 && f.n_rows == 3 &&
               cells_are(&f, 0, (const char *[]){"1", "2", "one two", "0"}) &&
               cells_are(&f, 1, (const char *[]){"3", "", "three", "1"}),
           "delimiter tab: an empty field, spaces kept inside and trimmed around: %s",
           rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load_opt(FIX "space.txt", "w.txt", &ws, &f, &err);
    tap_ok(rc == 0 && f.n_cols == 3 && f.n_rows == 3 && !strcmp(f.names[0], "Weight") &&
               !strcmp(f.names[2], "Pulse") &&
               cells_are(&f, 0, (const char *[]){"191", "36", "50"}) &&
               cells_are(&f, 1, (const char *[]){"189", "37", "52"}) &&
               cells_are(&f, 2, (const char *[]){"193", "38", "58"}) && f.line[2] == 4,
           "whitespace: runs of spaces and tabs, leading and trailing ones, a quoted field: %s",
           rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load(FIX "cr.csv", "cr.csv", &f, &err);
    tap_ok(rc == 0 && f.n_rows == 2 && f.line[1] == 3 &&
               cells_are(&f, 1, (const char *[]){"3", "4", "y"}),
           "lone CR line ends: %s", rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load_opt(FIX "noheader.csv", "n.csv", &nohead, &f, &err);
    tap_ok(rc == 0 && f.n_rows == 2 && f.line[0] == 1 && !strcmp(f.names[0], "1") &&
               !strcmp(f.names[2], "3") && cells_are(&f, 0, (const char *[]){"1", "2", "3"}),
           "header off: columns 1 2 3, the first line is row 1: %s", rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load(FIX "unnamed.csv", "u.csv", &f, &err);
    tap_ok(rc == 0 && f.n_cols == 5 && !strcmp(f.names[0], "unnamed_1") && f.unnamed[0] &&
               !strcmp(f.names[4], "unnamed_5") && f.unnamed[4] && !f.unnamed[1] &&
               cells_are(&f, 2, (const char *[]){"2", "3.5", "6", "x", ""}),
           "nameless columns (index, trailing comma) are unnamed_1, unnamed_5: %s",
           rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load(FIX "trailing.csv", "tr.csv", &f, &err);
    tap_ok(rc == 0 && f.n_cols == 2 && f.n_rows == 2 &&
               cells_are(&f, 1, (const char *[]){"3", "4"}),
           "empty fields past the last column are ignored: %s", rc ? err.msg : "ok");
    csv_free(&f);
    rc = csv_load(FIX "pandas.csv", "p.csv", &f, &err);
    tap_ok(rc == 0 && !strcmp(f.names[1], "1") && f.n_rows == 2,
           "column numbers as names (pandas' 0,1,2,...) are a header: %s", rc ? err.msg : "ok");
    csv_free(&f);
}

/* ---- real data: iris and wine (UCI, through scikit-learn) ------------------ */

static void test_iris_wine(void)
{
    struct l2d_error err = {0};
    void *st;
    struct rows r;
    const char *o[] = {"path=" FIX "iris.csv", "class=species", "val_fraction=0",
                       "test_fraction=0", NULL};
    int rc = open_csv(o, NULL, &st, &err);
    tap_ok(rc == 0, "iris.csv (quoted names and species) opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    get_rows(st, &r);
    const struct l2d_dataset_info *in = &r.info;
    tap_ok(r.n == 150 && in->dim == 4 && in->n_classes == 3 && in->tdim == 0 &&
               !strcmp(in->feature_names[0], "sepal length (cm)") &&
               !strcmp(in->feature_names[3], "petal width (cm)") &&
               !strcmp(in->class_names[0], "setosa") &&
               !strcmp(in->class_names[1], "versicolor") &&
               !strcmp(in->class_names[2], "virginica"),
           "150 rows, 4 features, classes setosa versicolor virginica");
    size_t cnt[3] = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.y[i] >= 0 && r.y[i] < 3) cnt[r.y[i]]++;
    tap_ok(cnt[0] == 50 && cnt[1] == 50 && cnt[2] == 50, "50 rows per species");
    /* make_real.py: means and population std over the 150 rows */
    static const double mean[4] = {5.843333333333335, 3.057333333333334, 3.7580000000000027,
                                   1.199333333333334};
    static const double sd[4] = {0.8253012917851409, 0.43441096773549437, 1.7594040657753032,
                                 0.7596926279021594};
    int good = 1;
    for (int j = 0; j < 4; j++)
        good &= near(in->mean[j], mean[j], 1e-5) && near(in->std[j], sd[j], 1e-5);
    tap_ok(good, "feature means and std as Python's (5.8433 3.0573 3.758 1.1993)");
    const float *x0 = r.raw, *x149 = r.raw + 149 * 4;
    tap_ok(near(x0[0], 5.1, 1e-5) && near(x0[1], 3.5, 1e-5) && near(x0[2], 1.4, 1e-5) &&
               near(x0[3], 0.2, 1e-5) && r.y[0] == 0 && near(x149[0], 5.9, 1e-5) &&
               near(x149[1], 3.0, 1e-5) && near(x149[2], 5.1, 1e-5) &&
               near(x149[3], 1.8, 1e-5) && r.y[149] == 2,
           "row 1 (5.1 3.5 1.4 0.2 setosa), row 150 (5.9 3.0 5.1 1.8 virginica)");
    free_rows(&r);
    ops->close(st);

    const char *two[] = {"path=" FIX "iris.csv", "class=species",
                         "features=petal width (cm), sepal length (cm)", NULL};
    rc = open_csv(two, NULL, &st, &err);
    if (!rc) {
        struct l2d_dataset_info info;
        ops->info(st, &info, &err);
        tap_ok(info.dim == 2 && !strcmp(info.feature_names[0], "petal width (cm)") &&
                   info.n[0] + info.n[1] + info.n[2] == 150,
               "features listed by names with spaces and parentheses");
        ops->close(st);
    } else
        tap_ok(0, "features with spaces: %s", err.msg);

    const char *w[] = {"path=" FIX "wine.csv", "class=class", "val_fraction=0",
                       "test_fraction=0", NULL};
    rc = open_csv(w, NULL, &st, &err);
    get_rows(st, &r);
    size_t wc[3] = {0};
    for (size_t i = 0; !rc && i < r.n; i++)
        if (r.y[i] >= 0 && r.y[i] < 3) wc[r.y[i]]++;
    tap_ok(rc == 0 && r.n == 178 && r.info.dim == 13 && r.info.n_classes == 3 &&
               !strcmp(r.info.class_names[0], "1") && !strcmp(r.info.class_names[2], "3") &&
               wc[0] == 59 && wc[1] == 71 && wc[2] == 48 && r.y[0] == 0 && r.y[177] == 2,
           "wine.csv: classes 1..3 become 0..2 named 1 2 3, 59/71/48 rows: %s",
           rc ? err.msg : "ok");
    tap_ok(rc == 0 && near(r.info.mean[12], 746.8932584269663, 1e-3) &&
               !strcmp(r.info.feature_names[11], "od280/od315_of_diluted_wines") &&
               near(r.raw[12], 1065, 1e-3),
           "wine: proline mean 746.8933, row 1 proline 1065");
    free_rows(&r);
    if (!rc) ops->close(st);
}

/* ---- the dataset through the plugin: the rules on small fixtures ----------- */

/* Opens with overrides and all rows in file order (no val/test). */
static int open_all(const char *const *over, void **st, struct rows *r, struct l2d_error *err)
{
    const char *o[16];
    size_t n = 0;
    while (over[n] && n < 13) o[n] = over[n], n++;
    o[n++] = "val_fraction=0";
    o[n++] = "test_fraction=0";
    o[n] = NULL;
    int rc = open_csv(o, NULL, st, err);
    if (rc) memset(r, 0, sizeof *r);
    else get_rows(*st, r);
    return rc;
}

static void close_all(void *st, struct rows *r)
{
    free_rows(r);
    if (st) ops->close(st);
}

static int ys_are(const struct rows *r, const int32_t *y, size_t n)
{
    if (r->n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (r->y[i] != y[i]) return 0;
    return 1;
}

static void test_rules(void)
{
    struct l2d_error err = {0};
    void *st;
    struct rows r;
#define P(f) "path=" FIX f
    int rc = open_all((const char *[]){P("quoted.csv"), NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.n == 3 && r.info.dim == 3 && !strcmp(r.info.feature_names[1], "x") &&
               near(r.raw[1], 1.5, 1e-6) && near(r.raw[2], 2.5, 1e-6) &&
               near(r.raw[4], 3, 1e-6) && near(r.raw[7], 5, 1e-6) && near(r.raw[8], 6, 1e-6) &&
               strstr(log_all, "quoted.csv: not features: name (no numbers)\n") != NULL,
           "quoted.csv: quoted numbers are numbers, text 'name' left out, \"\" y drops row 4: "
           "%s",
           rc ? err.msg : "ok");
    close_all(st, &r);

    rc = open_all((const char *[]){P("semicolon.csv"), "delimiter=semicolon", "class=cls", NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.n == 2 && r.info.dim == 3 && !strcmp(r.info.feature_names[2], "c;d") &&
               near(r.raw[3], 2.5, 1e-6) && near(r.raw[5], 6, 1e-6) && r.y[1] == 1,
           "delimiter = semicolon: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("semicolon.csv"), "delimiter=;", "class=cls", NULL}, &st,
                  &r, &err);
    tap_ok(rc == 0 && r.n == 2, "delimiter = ';': %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("tab.csv"), "delimiter=tab", "class=cls", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.n == 2 && r.info.dim == 2 && near(r.raw[2], 5, 1e-6) &&
               near(r.raw[3], 6, 1e-6) && r.y[0] == 0 && r.y[1] == 1,
           "delimiter = tab: text 'name' left out, the row with an empty b dropped: %s",
           rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("tab.csv"), "delimiter=\\t", "class=cls", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.n == 2, "delimiter = \\t: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("space.txt"), "delimiter=whitespace", "target=Pulse", NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.n == 3 && r.info.dim == 2 && r.t[2] == 58 && near(r.raw[2], 189, 1e-4),
           "delimiter = whitespace: %s", rc ? err.msg : "ok");
    close_all(st, &r);

    /* missing values: NA tokens and "" */
    rc = open_all((const char *[]){P("na.csv"), "class=c", "target=t", NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.n == 2 && near(r.raw[0], 5, 1e-6) && near(r.raw[1], 10, 1e-6) &&
               r.t[0] == 5 && r.y[0] == 1 && near(r.raw[2], 10, 1e-6) && r.t[1] == 10 &&
               r.y[1] == 0 && r.info.n_classes == 2,
           "NA N/A NaN nan ? null NULL \"\" are missing; missing=drop keeps lines 6, 11: %s",
           rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("na.csv"), "class=c", "target=t", "missing=mean", NULL},
                  &st, &r, &err);
    {
        /* means over the numbers of each column: f1 38/7, f2 76/7 */
        const double m1 = 38.0 / 7, m2 = 76.0 / 7;
        const double f1[8] = {1, m1, 5, m1, 7, m1, 9, 10}, f2[8] = {m2, 6, 10, 12, m2, 16, m2, 20};
        const float t[8] = {1, 3, 5, 6, 7, 8, 9, 10};
        int good = rc == 0 && r.n == 8;
        for (size_t i = 0; good && i < 8; i++)
            good = near(r.raw[2 * i], f1[i], 1e-5) && near(r.raw[2 * i + 1], f2[i], 1e-5) &&
                   r.t[i] == t[i];
        tap_ok(good, "missing=mean: NA features get the mean (f1 38/7, f2 76/7), rows with NA "
                     "class or target dropped: %s",
               rc ? err.msg : "ok");
    }
    close_all(st, &r);
    bad((const char *[]){P("na.csv"), "class=c", "target=t", "missing=error", NULL},
        "na.csv:2: column 'f2' is missing ('NA', in na_values) (missing = error)",
        "missing=error names the NA token");
    bad((const char *[]){P("na.csv"), "class=c", "target=t", "na_values=NA,N/A,?,null,NULL,nan",
                         NULL},
        "na.csv:4: column 'f1': 'NaN' is not a finite number", "na_values without NaN");
    rc = open_all((const char *[]){P("na.csv"), "class=c", "target=t", "features=f2",
                                   "na_values=NA, N/A , ?,nan", NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.n == 5, "na_values list with blanks: lines 4 6 7 9 11 (%zu rows): %s", r.n,
           rc ? err.msg : "ok");
    close_all(st, &r);

    /* classes */
    static const int32_t neg[5] = {0, 1, 0, 1, 1}, flt[5] = {0, 1, 1, 0, 0},
                         one[5] = {0, 1, 2, 1, 0}, gap[5] = {0, 1, 3, 1, 0},
                         mix[5] = {0, 3, 1, 2, 0}, cna[3] = {0, 1, 0};
    rc = open_all((const char *[]){P("classes.csv"), "class=neg", "features=x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.n_classes == 2 && !strcmp(r.info.class_names[0], "-1") &&
               !strcmp(r.info.class_names[1], "1") && ys_are(&r, neg, 5) &&
               strstr(log_all, "classes.csv: classes 0=-1 1=1\n") != NULL,
           "classes -1/1: 0/1 named -1, 1: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=flt", "features=x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.n_classes == 2 && !strcmp(r.info.class_names[0], "1") &&
               !strcmp(r.info.class_names[1], "2") && ys_are(&r, flt, 5),
           "classes 1.0/2.0/2/1: 0/1 named 1, 2: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=one", "features=x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.n_classes == 3 && !strcmp(r.info.class_names[0], "1") &&
               !strcmp(r.info.class_names[2], "3") && ys_are(&r, one, 5),
           "classes 1..3: 0..2 named 1 2 3: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=gap", "features=x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.n_classes == 4 && !strcmp(r.info.class_names[2], "2") &&
               !strcmp(r.info.class_names[3], "3") && ys_are(&r, gap, 5),
           "classes 0 1 3: index = value, 4 classes: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=big", "features=x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.n_classes == 2 && !strcmp(r.info.class_names[1], "5000") &&
               ys_are(&r, neg, 5),
           "classes 0/5000: 0/1 named 0, 5000: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=mixed", "features=x", NULL}, &st,
                  &r, &err);
    tap_ok(rc == 0 && r.info.n_classes == 4 && !strcmp(r.info.class_names[0], "1") &&
               !strcmp(r.info.class_names[3], "b") && ys_are(&r, mix, 5),
           "numbers and text: text classes sorted 1 2 a b: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("classes.csv"), "class=cna", "features=x", "missing=mean",
                                   NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.info.n_classes == 2 && ys_are(&r, cna, 3) && near(r.raw[1], 3, 1e-6),
           "NA and empty classes: rows dropped also under missing=mean: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    bad((const char *[]){P("classes.csv"), "class=cna", "features=x", "missing=error", NULL},
        "classes.csv:3: column 'cna' is missing ('NA', in na_values)", "NA class, missing=error");
    bad((const char *[]){P("classes.csv"), "class=single", "features=x", NULL},
        "classes.csv: class column 'single' has a single value '7' (in 5 rows)",
        "one class only");
    bad((const char *[]){"path=data/california_housing.csv", "class=median_house_value", NULL},
        "california_housing.csv: class column 'median_house_value' has 3842 distinct values "
        "(at most 1000; is it a regression target?)",
        "a class column with too many values");

    /* features */
    rc = open_all((const char *[]){P("unnamed.csv"), "class=cls", NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.info.dim == 2 && !strcmp(r.info.feature_names[0], "a") &&
               !strcmp(r.info.feature_names[1], "b") && r.n == 3 &&
               strstr(log_all, "not features: unnamed_1 (no name), unnamed_5 (no name)\n"),
           "nameless columns are not features by default: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("unnamed.csv"), "class=cls", "features=unnamed_1,a", NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.info.dim == 2 && near(r.raw[4], 2, 1e-6), "... but may be listed: %s",
           rc ? err.msg : "ok");
    close_all(st, &r);
    bad((const char *[]){P("mixed.csv"), NULL},
        "mixed.csv:3: column 'b': 'x7' is not a number (the column mixes numbers and text, 1 "
        "text values; to leave it out, list the features: features = a,c)",
        "numbers and text among the features");
    rc = open_all((const char *[]){P("mixed.csv"), "features=a,c", NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.info.dim == 2 && r.n == 3, "... features = a,c: %s",
           rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("noheader.csv"), "header=false", "class=3", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.n == 2 && r.info.dim == 2 && !strcmp(r.info.feature_names[1], "2") &&
               !strcmp(r.info.class_names[1], "6") && near(r.raw[2], 4, 1e-6),
           "header = false: columns named 1 2 3: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("excel.csv"), "class=cls", "decimal=,", "na_values=-999",
                                   "missing=mean", NULL},
                  &st, &r, &err);
    tap_ok(rc == 0 && r.n == 3 && r.info.dim == 2 && near(r.raw[0], 1.5, 1e-6) &&
               near(r.raw[1], 2, 1e-6) && near(r.raw[2], 2.5, 1e-6) && near(r.raw[3], 3, 1e-6) &&
               near(r.raw[4], 3, 1e-6) && near(r.raw[5], 4, 1e-6) && r.y[1] == 1,
           "Excel: sep=; line, decimal ',', -999 in na_values, ';;;;' lines skipped: %s",
           rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("excel.csv"), "class=cls", NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.n == 3 && r.info.dim == 1 && !strcmp(r.info.feature_names[0], "b") &&
               strstr(log_all, "not features: a (no numbers), unnamed_4 (no name)"),
           "decimal '.': '1,5' is text, so a is left out: %s", rc ? err.msg : "ok");
    close_all(st, &r);
    bad((const char *[]){P("small.csv"), "decimal=,", NULL},
        "small.csv: decimal = ',' needs another delimiter", "decimal and delimiter both ','");
    rc = open_all((const char *[]){P("spaced.csv"), "class=cls", "features=y,x", NULL}, &st, &r,
                  &err);
    tap_ok(rc == 0 && r.info.dim == 2 && !strcmp(r.info.feature_names[1], " x ") &&
               near(r.raw[0], 2, 1e-6) && near(r.raw[1], 1, 1e-6),
           "listed names match quoted names with blanks (\" x \"): %s", rc ? err.msg : "ok");
    close_all(st, &r);
    rc = open_all((const char *[]){P("cr.csv"), "class=c", NULL}, &st, &r, &err);
    tap_ok(rc == 0 && r.n == 2 && r.info.dim == 2, "CR line ends: %s", rc ? err.msg : "ok");
    close_all(st, &r);
#undef P
}

static void test_bad_files(void)
{
#define P(f) "path=" FIX f
    bad((const char *[]){P("iris_sklearn_head.csv"), NULL},
        "iris_sklearn_head.csv:1: column 1 of the header is the number '150': the first line "
        "must name the columns",
        "scikit-learn's count line");
    bad((const char *[]){P("quoted_lines.csv"), "features=v", NULL},
        "quoted_lines.csv:5: column 'v': 'oops' is not a number",
        "line numbers count the lines inside quotes");
    bad((const char *[]){P("quoted_ragged.csv"), NULL}, "quoted_ragged.csv:4: 2 fields, header has 3",
        "ragged row after a two-line record");
    bad((const char *[]){P("rownames.csv"), NULL},
        "rownames.csv:2: 3 fields, header has 2 (row names? the header has no name for the "
        "first column)",
        "R row names");
    bad((const char *[]){P("unclosed.csv"), NULL},
        "unclosed.csv:3: field 2: the quote opened here is never closed", "unclosed quote");
    bad((const char *[]){P("afterquote.csv"), NULL}, "afterquote.csv:3: field 2: 'x' after the "
                                                     "closing quote",
        "text after a closing quote");
    bad((const char *[]){P("semicolon.csv"), NULL},
        "semicolon.csv:1: the header is one column 'a;b;\"c;d\";cls': is the delimiter ';'?",
        "wrong delimiter");
    bad((const char *[]){P("onecol.csv"), "delimiter=tab", NULL},
        "onecol.csv:1: the header is one column 'a;b;c': is the delimiter ';'? (it is set to tab",
        "wrong delimiter (tab)");
    bad((const char *[]){P("small.csv"), "delimiter=ab", NULL}, "csv: delimiter = 'ab'",
        "bad delimiter");
    bad((const char *[]){P("small.csv"), "delimiter=", NULL},
        "csv: delimiter is empty (in an INI file a bare ';' or '#' starts a comment",
        "empty delimiter");
    bad((const char *[]){P("small.csv"), "delimiter=\"", NULL}, "csv: delimiter = '\"'",
        "quote as delimiter");
    bad((const char *[]){P("small.csv"), "decimal=;", NULL}, "csv: decimal = ';': '.' or ','",
        "bad decimal");
    bad((const char *[]){P("binary.csv"), NULL}, "binary.csv:3: NUL byte: not a text CSV file",
        "NUL bytes");
    bad((const char *[]){P("control.csv"), NULL},
        "control.csv:3: control byte 0x07: not a text CSV file", "control byte");
    bad((const char *[]){P("gzip.csv"), NULL},
        "gzip.csv: a gzip-compressed file, not CSV text: decompress it first", "gzip");
    bad((const char *[]){P("utf16.csv"), NULL}, "utf16.csv: UTF-16 text: save the file as UTF-8",
        "UTF-16");
    bad((const char *[]){P("blank.csv"), NULL}, "blank.csv: the file is empty (only blank lines)",
        "blank lines only");
    bad((const char *[]){P("dup.csv"), NULL}, "dup.csv:1: column 'a' appears twice (columns 1 "
                                              "and 2)",
        "duplicate names");
    bad((const char *[]){P("small.csv"), "class=Kind", NULL},
        "small.csv: no column 'Kind' (class); did you mean 'kind'? the 5 columns are: x1, x2, "
        "kind, price, note",
        "unknown class lists the columns");
    bad((const char *[]){P("small.csv"), "target=pric", NULL},
        "small.csv: no column 'pric' (target); the 5 columns are: x1, x2, kind, price, note",
        "unknown target lists the columns");
    bad((const char *[]){P("noheader.csv"), "header=false", "class=4", NULL},
        "noheader.csv: no column '4' (class); the 3 columns are: 1, 2, 3", "header=false names");
#undef P
}

static void test_california(void)
{
    struct l2d_error err = {0};
    struct csv_file f;
    int rc = csv_load(L2D_ABS_SRCDIR "/data/california_housing.csv", "housing.csv", &f, &err);
    size_t empty = 0;
    for (size_t r = 0; !rc && r < f.n_rows; r++) empty += !*csv_cell(&f, r, 4);
    tap_ok(rc == 0 && f.n_rows == 20640 && f.n_cols == 10 && f.line[0] == 2 &&
               f.line[20639] == 20641 && !strcmp(f.names[9], "ocean_proximity") &&
               !strcmp(csv_cell(&f, 0, 8), "452600.0") &&
               !strcmp(csv_cell(&f, 0, 9), "NEAR BAY") && empty == 207,
           "parser: 20640 rows x 10 columns, row 1 value 452600.0, 207 empty total_bedrooms");
    csv_free(&f);

    void *st;
    const char *o[] = {"path=data/california_housing.csv", "class=ocean_proximity",
                       "target=median_house_value", "target_scale=1e-5", NULL};
    rc = open_csv(o, NULL, &st, &err);
    tap_ok(rc == 0, "California Housing opens by its relative path: %s", rc ? err.msg : "ok");
    if (rc) return;
    tap_ok(strstr(logged, "20640 rows, 207 dropped (empty fields), 8 features, 5 classes") != NULL,
           "log: %s", logged);
    struct rows r;
    get_rows(st, &r);
    const struct l2d_dataset_info *in = &r.info;
    tap_ok(r.n == 20433 && in->n[0] == 14303 && in->n[1] == 2043 && in->n[2] == 4087,
           "20640 - 207 = 20433 rows, split 14303/2043/4087 (got %zu)", r.n);
    static const char *const feats[8] = {"longitude",   "latitude",       "housing_median_age",
                                         "total_rooms", "total_bedrooms", "population",
                                         "households",  "median_income"};
    static const char *const cls[5] = {"<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY",
                                       "NEAR OCEAN"};
    int names = in->dim == 8 && in->n_classes == 5 && in->tdim == 1;
    for (int j = 0; names && j < 8; j++) names = !strcmp(in->feature_names[j], feats[j]);
    for (int c = 0; names && c < 5; c++) names = !strcmp(in->class_names[c], cls[c]);
    tap_ok(names, "8 features in file order, classes '<1H OCEAN' INLAND ISLAND 'NEAR BAY' "
                  "'NEAR OCEAN'");
    size_t cnt[5] = {0};
    double tsum = 0;
    long row1 = -1;
    for (size_t i = 0; i < r.n; i++) {
        if (r.y[i] >= 0 && r.y[i] < 5) cnt[r.y[i]]++;
        tsum += r.t[i];
        const float *x = r.raw + i * 8;
        if (near(x[0], -122.23, 1e-3) && near(x[1], 37.88, 1e-3) && near(x[7], 8.3252, 1e-4))
            row1 = (long)i;
    }
    tap_ok(cnt[0] == 9034 && cnt[1] == 6496 && cnt[2] == 5 && cnt[3] == 2270 && cnt[4] == 2628,
           "class counts 9034 6496 5 2270 2628 (got %zu %zu %zu %zu %zu)", cnt[0], cnt[1],
           cnt[2], cnt[3], cnt[4]);
    tap_close(tsum / (double)r.n, 2.068644131551934, 1e-6, 0, "mean target (units of 100,000)");
    tap_ok(row1 >= 0 && near(r.t[row1], 4.526, 1e-6) && r.y[row1] == 3 &&
               near(r.raw[row1 * 8 + 4], 129.0, 1e-3),
           "row 1 (-122.23, 37.88, income 8.3252): target 4.526, NEAR BAY, 129 bedrooms");
    /* standardised on train: the train rows' x has mean 0 */
    double m = 0;
    for (size_t i = 0; i < in->n[0]; i++) m += (r.raw[i * 8 + 7] - in->mean[7]) / in->std[7];
    tap_ok(fabs(m / (double)in->n[0]) < 1e-4, "train median_income standardised (mean %.2g)",
           m / (double)in->n[0]);
    free_rows(&r);
    ops->close(st);

    const char *om[] = {"path=data/california_housing.csv", "target=median_house_value",
                        "missing=mean", NULL};
    rc = open_csv(om, NULL, &st, &err);
    get_rows(st, &r);
    long r291 = -1;
    for (size_t i = 0; !rc && i < r.n; i++) {
        const float *x = r.raw + i * 8;
        if (near(x[0], -122.16, 1e-3) && near(x[1], 37.77, 1e-3) && near(x[3], 1256, 1e-2) &&
            near(x[7], 4.375, 1e-4))
            r291 = (long)i;
    }
    tap_ok(rc == 0 && r.n == 20640 && r.info.n_classes == 0 && r291 >= 0 &&
               near(r.raw[r291 * 8 + 4], 537.8705525375618, 1e-3) &&
               near(r.t[r291], 161900.0, 1e-2),
           "missing=mean: 20640 rows, file line 292 gets total_bedrooms 537.8706, target in USD");
    free_rows(&r);
    ops->close(st);
}

int main(void)
{
    (void)tap_skip_all;
    tap_plan(1 + 10 + 6 + 4 + 18 + 10 + 7 + 32 + 21 + 10);
    desc = l2d_plugin_entry(0);
    tap_ok(desc && desc->magic == L2D_PLUGIN_MAGIC && desc->kind == L2D_KIND_DATASET &&
               !strcmp(desc->name, "csv") && l2d_plugin_entry(1) == NULL,
           "descriptor: dataset 'csv'");
    ops = desc->ops;
    test_small();
    test_crlf();
    test_missing();
    test_bad();
    test_parser();
    test_iris_wine();
    test_rules();
    test_bad_files();
    test_california();
    return tap_done();
}
