/* `csv` dataset: a table from a CSV file with a header row.
 *
 * Columns: `class` names the class column (numbers: non-negative integers,
 * used as class indices; text: the sorted distinct values, so the indices do
 * not depend on the row order), `target` the regression target column(s)
 * (comma list, times target_scale), `features` the feature columns (comma
 * list; empty: every other column that holds numbers; a column with no
 * number at all, like a text label, is left out).
 *
 * Empty fields, in the columns used only: missing = drop drops the row;
 * missing = mean fills an empty feature with the column's mean over all rows
 * that have a value there (a row with no class or target is still dropped);
 * missing = error stops at the first one.
 *
 * A relative path is looked for under host->data_dir (else the working
 * directory), then under the installed data directory and the source tree,
 * so `path = data/california_housing.csv` works from a build tree and after
 * `make install`. The run seed picks the split; features are standardised
 * on the training split. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_parse.h"
#include "l2d/dataprep.h"
#include "l2d/plugin.h"

#define CSV_MAX_CLASSES 1000

static const struct l2d_param_spec csv_params[] = {
    {"path", L2D_PARAM_STRING, NULL, 0, 0, NULL,
     "CSV file; relative: data_dir (or cwd), then the installed data, then the source tree"},
    {"class", L2D_PARAM_STRING, "", 0, 0, NULL, "class column (empty: no class)"},
    {"target", L2D_PARAM_STRING, "", 0, 0, NULL,
     "regression target column(s), comma list (empty: no target)"},
    {"target_scale", L2D_PARAM_DOUBLE, "1", 1, 0, NULL,
     "multiplies the targets (e.g. 1e-5: dollars to units of 100,000)"},
    {"features", L2D_PARAM_STRING, "", 0, 0, NULL,
     "feature columns, comma list (empty: every other numeric column)"},
    {"missing", L2D_PARAM_ENUM, "drop", 0, 0, "drop|mean|error",
     "empty field in a used column: drop the row, use the column mean (features), or fail"},
    {"val_fraction", L2D_PARAM_DOUBLE, "0.1", 0, 0.99, NULL, "fraction of rows for validation"},
    {"test_fraction", L2D_PARAM_DOUBLE, "0.2", 0, 0.99, NULL, "fraction of rows for test"},
    L2D_PARAMS_END};

enum missing_mode { MISSING_DROP, MISSING_MEAN, MISSING_ERROR };

struct csvds {
    struct l2d_table tb;
    char **feature_names; /* [dim] */
    char **class_names;   /* [n_classes] */
};

static void free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void csv_close(void *state)
{
    struct csvds *s = state;
    if (!s) return;
    free_strings(s->feature_names, s->tb.dim);
    free_strings(s->class_names, s->tb.n_classes);
    l2d_table_free(&s->tb);
    free(s);
}

/* ---- finding the file ----------------------------------------------------- */

static int readable(const char *path) { return access(path, R_OK) == 0; }

static int join(char *out, size_t cap, const char *dir, const char *path)
{
    int n = snprintf(out, cap, "%s/%s", dir, path);
    return n >= 0 && (size_t)n < cap;
}

/* First readable candidate into out; otherwise an error listing the tries. */
static int resolve_path(const char *path, const char *data_dir, char *out, size_t cap,
                        struct l2d_error *err)
{
    const char *cand[3];
    char bufs[3][4096];
    size_t nc = 0;
    if (path[0] == '/') {
        cand[nc++] = path;
    } else {
        if (data_dir && *data_dir) {
            if (join(bufs[0], sizeof bufs[0], data_dir, path)) cand[nc++] = bufs[0];
        } else {
            cand[nc++] = path;
        }
#ifdef L2D_PKGDATADIR
        if (join(bufs[1], sizeof bufs[1], L2D_PKGDATADIR, path)) cand[nc++] = bufs[1];
#endif
#ifdef L2D_ABS_SRCDIR
        if (join(bufs[2], sizeof bufs[2], L2D_ABS_SRCDIR, path)) cand[nc++] = bufs[2];
#endif
    }
    for (size_t i = 0; i < nc; i++)
        if (readable(cand[i])) {
            if (strlen(cand[i]) >= cap) break;
            strcpy(out, cand[i]);
            return 0;
        }
    int e = errno;
    char tried[L2D_ERRMSG_MAX] = "";
    size_t at = 0;
    for (size_t i = 0; i < nc && at < sizeof tried; i++) {
        int n = snprintf(tried + at, sizeof tried - at, "%s%s", i ? ", " : "", cand[i]);
        if (n < 0) break;
        at += (size_t)n;
    }
    return l2d_seterr(err, L2D_EIO, "csv: cannot open '%s' (tried %s): %s", path, tried,
                      strerror(e ? e : ENOENT));
}

/* ---- columns -------------------------------------------------------------- */

/* Splits a comma list into column indices; *n gets the count. */
static int column_list(const struct csv_file *f, const char *list, const char *what, long **out,
                       size_t *n, struct l2d_error *err)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(list);
    long *cols = malloc((strlen(list) / 2 + 1) * sizeof *cols);
    if (!copy || !cols) {
        free(copy), free(cols);
        return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') tok++;
        char *e = tok + strlen(tok);
        while (e > tok && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
        if (!*tok) continue;
        long c = csv_column(f, tok);
        if (c < 0) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: no column '%s' (%s)", f->label, tok, what);
            break;
        }
        for (size_t k = 0; k < *n; k++)
            if (cols[k] == c) {
                rc = l2d_seterr(err, L2D_EINVAL, "%s: column '%s' listed twice (%s)", f->label,
                                tok, what);
                break;
            }
        if (rc) break;
        cols[(*n)++] = c;
    }
    free(copy);
    if (rc) {
        free(cols);
        *n = 0;
        return rc;
    }
    *out = cols;
    return 0;
}

/* Every non-empty value of column c must be a finite number. */
static int check_numeric(const struct csv_file *f, long c, struct l2d_error *err)
{
    for (size_t r = 0; r < f->n_rows; r++) {
        const char *s = csv_cell(f, r, (size_t)c);
        double v;
        if (!*s) continue;
        int k = csv_number(s, &v);
        if (k)
            return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column '%s': '%s' is not a %snumber",
                              f->label, f->line[r], f->names[c], s, k > 0 ? "finite " : "");
    }
    return 0;
}

/* Auto feature detection: 1 if the column holds at least one number. */
static int has_number(const struct csv_file *f, size_t c)
{
    for (size_t r = 0; r < f->n_rows; r++) {
        double v;
        if (csv_number(csv_cell(f, r, c), &v) >= 0) return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Class names and per-row indices (-1 for an empty field). */
static int class_column(const struct csv_file *f, long c, int32_t *cls, char ***names_out,
                        unsigned *k_out, struct l2d_error *err)
{
    int numeric = 1;
    for (size_t r = 0; r < f->n_rows && numeric; r++) {
        double v;
        const char *s = csv_cell(f, r, (size_t)c);
        if (*s && csv_number(s, &v) != 0) numeric = 0;
    }
    if (numeric) {
        long maxc = -1;
        for (size_t r = 0; r < f->n_rows; r++) {
            const char *s = csv_cell(f, r, (size_t)c);
            double v;
            cls[r] = -1;
            if (!*s) continue;
            csv_number(s, &v);
            if (!(v >= 0 && v < CSV_MAX_CLASSES && v == floor(v)))
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: column '%s': class '%s' is not an integer in [0, %d)",
                                  f->label, f->line[r], f->names[c], s, CSV_MAX_CLASSES);
            cls[r] = (int32_t)v;
            if (cls[r] > maxc) maxc = cls[r];
        }
        if (maxc < 0)
            return l2d_seterr(err, L2D_EINVAL, "%s: class column '%s' is empty", f->label,
                              f->names[c]);
        unsigned k = (unsigned)maxc + 1;
        char **names = calloc(k, sizeof *names);
        if (!names) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
        for (unsigned i = 0; i < k; i++) {
            char b[16];
            snprintf(b, sizeof b, "%u", i);
            if (!(names[i] = strdup(b))) {
                free_strings(names, k);
                return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
            }
        }
        *names_out = names;
        *k_out = k;
        return 0;
    }
    /* categorical: sorted distinct values */
    const char **vals = malloc(f->n_rows * sizeof *vals);
    if (!vals) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    size_t nv = 0;
    for (size_t r = 0; r < f->n_rows; r++) {
        const char *s = csv_cell(f, r, (size_t)c);
        if (*s) vals[nv++] = s;
    }
    qsort(vals, nv, sizeof *vals, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        if (k == 0 || strcmp(vals[i], vals[k - 1])) vals[k++] = vals[i];
    if (k > CSV_MAX_CLASSES) {
        free(vals);
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: class column '%s' has %zu distinct values (at most %d)", f->label,
                          f->names[c], k, CSV_MAX_CLASSES);
    }
    for (size_t r = 0; r < f->n_rows; r++) {
        const char *s = csv_cell(f, r, (size_t)c);
        cls[r] = -1;
        if (!*s) continue;
        const char **hit = bsearch(&s, vals, k, sizeof *vals, cmp_str);
        cls[r] = (int32_t)(hit - vals);
    }
    char **names = calloc(k ? k : 1, sizeof *names);
    int rc = names ? 0 : L2D_ENOMEM;
    for (size_t i = 0; !rc && i < k; i++)
        if (!(names[i] = strdup(vals[i]))) rc = L2D_ENOMEM;
    free(vals);
    if (rc) {
        free_strings(names, k);
        return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    *names_out = names;
    *k_out = (unsigned)k;
    return 0;
}

/* ---- open ------------------------------------------------------------------ */

struct plan {
    long class_col;
    long *feat, *targ;
    size_t nfeat, ntarg;
    int32_t *cls;      /* [n_rows], -1 where empty */
    double *fill;      /* [nfeat] column means (missing = mean) */
    char *keep;        /* [n_rows] */
    size_t kept;
};

static void plan_free(struct plan *pl)
{
    free(pl->feat), free(pl->targ), free(pl->cls), free(pl->fill), free(pl->keep);
}

static int choose_columns(const struct csv_file *f, const struct l2d_params *p, struct plan *pl,
                          struct l2d_error *err)
{
    const char *cname = l2d_param_str(p, "class", "");
    const char *tlist = l2d_param_str(p, "target", "");
    const char *flist = l2d_param_str(p, "features", "");
    int rc;
    pl->class_col = -1;
    if (*cname && (pl->class_col = csv_column(f, cname)) < 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: no column '%s' (class)", f->label, cname);
    if ((rc = column_list(f, tlist, "target", &pl->targ, &pl->ntarg, err))) return rc;
    for (size_t k = 0; k < pl->ntarg; k++) {
        if (pl->targ[k] == pl->class_col)
            return l2d_seterr(err, L2D_EINVAL, "%s: column '%s' is both the class and a target",
                              f->label, cname);
        if ((rc = check_numeric(f, pl->targ[k], err))) return rc;
    }
    if (*flist) {
        if ((rc = column_list(f, flist, "features", &pl->feat, &pl->nfeat, err))) return rc;
        for (size_t k = 0; k < pl->nfeat; k++) {
            int clash = pl->feat[k] == pl->class_col;
            for (size_t j = 0; j < pl->ntarg; j++) clash |= pl->feat[k] == pl->targ[j];
            if (clash)
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s: column '%s' is a feature and the class or a target",
                                  f->label, f->names[pl->feat[k]]);
        }
    } else {
        pl->feat = malloc(f->n_cols * sizeof *pl->feat);
        if (!pl->feat) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
        for (size_t c = 0; c < f->n_cols; c++) {
            int used = (long)c == pl->class_col;
            for (size_t j = 0; j < pl->ntarg; j++) used |= (long)c == pl->targ[j];
            if (!used && has_number(f, c)) pl->feat[pl->nfeat++] = (long)c;
        }
    }
    if (pl->nfeat == 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: no feature columns (numeric columns besides "
                                           "the class and the target)", f->label);
    for (size_t k = 0; k < pl->nfeat; k++)
        if ((rc = check_numeric(f, pl->feat[k], err))) {
            if (!*flist) {
                /* say why an unlisted column was taken as a feature */
                char tmp[L2D_ERRMSG_MAX];
                snprintf(tmp, sizeof tmp, "%s", err->msg);
                l2d_seterr(err, rc, "%s (list the features to leave the column out)", tmp);
            }
            return rc;
        }
    return 0;
}

static int apply_missing(const struct csv_file *f, enum missing_mode mode, struct plan *pl,
                         struct l2d_error *err)
{
    pl->keep = malloc(f->n_rows);
    pl->fill = calloc(pl->nfeat, sizeof *pl->fill);
    if (!pl->keep || !pl->fill) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    if (mode == MISSING_MEAN)
        for (size_t k = 0; k < pl->nfeat; k++) {
            double s = 0, v;
            size_t cnt = 0;
            for (size_t r = 0; r < f->n_rows; r++)
                if (csv_number(csv_cell(f, r, (size_t)pl->feat[k]), &v) == 0) s += v, cnt++;
            if (cnt == 0)
                return l2d_seterr(err, L2D_EINVAL, "%s: column '%s' has no value to average",
                                  f->label, f->names[pl->feat[k]]);
            pl->fill[k] = s / (double)cnt;
        }
    pl->kept = 0;
    for (size_t r = 0; r < f->n_rows; r++) {
        long empty = -1;
        int feature_only = 1;
        if (pl->class_col >= 0 && !*csv_cell(f, r, (size_t)pl->class_col))
            empty = pl->class_col, feature_only = 0;
        for (size_t k = 0; empty < 0 && k < pl->ntarg; k++)
            if (!*csv_cell(f, r, (size_t)pl->targ[k])) empty = pl->targ[k], feature_only = 0;
        for (size_t k = 0; empty < 0 && k < pl->nfeat; k++)
            if (!*csv_cell(f, r, (size_t)pl->feat[k])) empty = pl->feat[k];
        if (empty >= 0 && mode == MISSING_ERROR)
            return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column '%s' is empty (missing = error)",
                              f->label, f->line[r], f->names[empty]);
        pl->keep[r] = empty < 0 || (mode == MISSING_MEAN && feature_only);
        pl->kept += pl->keep[r];
    }
    if (pl->kept == 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: no rows left: all %zu rows have an empty field in a used column",
                          f->label, f->n_rows);
    return 0;
}

static int fill_table(const struct csv_file *f, const struct plan *pl, double scale,
                      struct l2d_table *tb)
{
    size_t i = 0;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (!pl->keep[r]) continue;
        for (size_t k = 0; k < pl->nfeat; k++) {
            double v;
            if (csv_number(csv_cell(f, r, (size_t)pl->feat[k]), &v) != 0) v = pl->fill[k];
            tb->x[i * pl->nfeat + k] = (float)v;
        }
        for (size_t k = 0; k < pl->ntarg; k++) {
            double v = 0;
            csv_number(csv_cell(f, r, (size_t)pl->targ[k]), &v);
            tb->t[i * pl->ntarg + k] = (float)(v * scale);
        }
        if (tb->y) tb->y[i] = pl->cls[r];
        i++;
    }
    return 0;
}

static void say(const struct l2d_host *host, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct l2d_host *host, const char *fmt, ...)
{
    if (!host || !host->log) return;
    char msg[L2D_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host->log(host->log_self, msg);
}

static int csv_open(const struct l2d_params *p, const struct l2d_host *host, void **state,
                    struct l2d_error *err)
{
    *state = NULL;
    const char *path = l2d_param_str(p, "path", "");
    const char *mode_s = l2d_param_str(p, "missing", "drop");
    double scale = l2d_param_double(p, "target_scale", 1);
    if (!*path) return l2d_seterr(err, L2D_EINVAL, "csv: path is empty");
    if (!(isfinite(scale) && scale != 0))
        return l2d_seterr(err, L2D_EINVAL, "csv: target_scale %g: must be finite and non-zero",
                          scale);
    enum missing_mode mode;
    if (!strcmp(mode_s, "drop")) mode = MISSING_DROP;
    else if (!strcmp(mode_s, "mean")) mode = MISSING_MEAN;
    else if (!strcmp(mode_s, "error")) mode = MISSING_ERROR;
    else return l2d_seterr(err, L2D_EINVAL, "csv: missing = '%s': drop, mean or error", mode_s);

    char full[4096];
    int rc = resolve_path(path, host ? host->data_dir : NULL, full, sizeof full, err);
    if (rc) return rc;
    struct csv_file f;
    rc = csv_load(full, NULL, &f, err);
    if (rc) {
        csv_free(&f);
        return rc;
    }
    struct plan pl = {0};
    struct csvds *s = calloc(1, sizeof *s);
    char **class_names = NULL;
    unsigned n_classes = 0;
    if (!s) rc = l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    if (!rc) rc = choose_columns(&f, p, &pl, err);
    if (!rc && pl.class_col >= 0) {
        pl.cls = malloc(f.n_rows * sizeof *pl.cls);
        rc = pl.cls ? class_column(&f, pl.class_col, pl.cls, &class_names, &n_classes, err)
                    : l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    if (!rc) rc = apply_missing(&f, mode, &pl, err);
    if (!rc) rc = l2d_table_alloc(&s->tb, pl.kept, pl.nfeat, n_classes, (unsigned)pl.ntarg, err);
    if (!rc) {
        s->class_names = class_names; /* owned by s from here */
        class_names = NULL;
        fill_table(&f, &pl, scale, &s->tb);
        s->feature_names = calloc(pl.nfeat, sizeof *s->feature_names);
        for (size_t k = 0; s->feature_names && k < pl.nfeat; k++)
            if (!(s->feature_names[k] = strdup(f.names[pl.feat[k]]))) {
                free_strings(s->feature_names, pl.nfeat);
                s->feature_names = NULL;
            }
        if (!s->feature_names) rc = l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    if (!rc)
        rc = l2d_table_split(&s->tb, host ? host->seed : 0, l2d_param_double(p, "val_fraction", 0.1),
                             l2d_param_double(p, "test_fraction", 0.2), f.label, err);
    if (!rc)
        say(host, "csv: %s: %zu rows, %zu dropped (empty fields), %zu features, %u classes, %zu "
                  "targets; split %zu/%zu/%zu",
            f.label, f.n_rows, f.n_rows - pl.kept, pl.nfeat, n_classes, pl.ntarg,
            s->tb.count[0], s->tb.count[1], s->tb.count[2]);
    if (class_names) free_strings(class_names, n_classes);
    plan_free(&pl);
    csv_free(&f);
    if (rc) {
        csv_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int csv_info(void *state, struct l2d_dataset_info *info, struct l2d_error *err)
{
    const struct csvds *s = state;
    l2d_table_info(&s->tb, info);
    info->feature_names = (const char *const *)s->feature_names;
    info->class_names = (const char *const *)s->class_names;
    return 0;
}

static int csv_batch(void *state, enum l2d_split split, const size_t *idx, size_t n, float *x,
                     int32_t *y, float *t, struct l2d_error *err)
{
    const struct csvds *s = state;
    return l2d_table_batch(&s->tb, split, idx, n, x, y, t, err);
}

static const struct l2d_dataset_ops csv_ops = {csv_open, csv_info, csv_batch, csv_close};

static const struct l2d_plugin csv_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_DATASET, "csv", "1.0",
                      "a table from a CSV file: numeric features, a class and/or a target column",
                      csv_params, &csv_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &csv_plugin : NULL;
}
