/* `csv` dataset: a table from a CSV file.
 *
 * Reading (csv_parse.h): RFC 4180 quoting (a quoted field may hold the
 * delimiter, "" and line ends; a quoted number is a number), `delimiter`
 * comma, semicolon, tab, pipe or whitespace (an Excel "sep=;" first line
 * also sets it), `decimal` '.' or ','; blanks around unquoted fields are
 * trimmed; a line of delimiters only is blank; the first line names the
 * columns unless header = false (columns "1", "2", ...). A nameless header
 * field (a pandas index, a trailing delimiter) gives a column "unnamed_<n>"
 * that is never picked as a feature by default.
 *
 * Columns: `class` names the class column, `target` the regression target
 * column(s) (comma list, times target_scale), `features` the feature
 * columns (comma list; empty: every other column that holds numbers; a
 * column with no number at all, like a text label or yes/no, is left out,
 * and one with numbers and text is an error that names a value).
 *
 * Classes: text values are sorted (strcmp) and numbered 0..k-1. Numbers
 * must be whole; when they are written as integers from 0 (0..k-1, gaps
 * allowed while max + 1 <= 2 k), the value is the class index; otherwise
 * (1..k, -1/1, 1.0/2.0, 0/5000) the sorted distinct values are numbered
 * 0..k-1 and named as numbers ("-1", "1"). A class column needs at least
 * two distinct values and at most CSV_MAX_CLASSES.
 *
 * Missing values: an empty field or one of `na_values` (NA, N/A, NaN, nan,
 * null, NULL, ?, by default; "" quoted is empty), in the columns used only.
 * missing = drop drops the row; missing = mean fills a missing feature with
 * the column's mean over the rows that have a value there (a row with no
 * class or target is still dropped); missing = error stops at the first.
 *
 * A relative path is looked for under host->data_dir (else the working
 * directory), then under the installed data directory ($(pkgdatadir)) and,
 * for the l2d of a build tree only, the source tree, so `path = data/california_housing.csv` works from a build tree and after
 * `make install`. The run seed picks the split; features are standardised
 * on the training split. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "csv_parse.h"
#include "host/dirs.h"
#include "l2d/dataprep.h"
#include "l2d/plugin.h"

#define CSV_MAX_CLASSES 1000

static const struct l2d_param_spec csv_params[] = {
    {"path", L2D_PARAM_STRING, NULL, 0, 0, NULL,
     "CSV file; relative: data_dir (or cwd), then the installed data (a build tree's l2d: then the source tree)"},
    {"delimiter", L2D_PARAM_STRING, ",", 0, 0, NULL,
     "field separator: ',' (comma), semicolon, tab (or \\t), pipe, whitespace (runs of "
     "blanks), or one other character; fields may be quoted (\"a,b\", \"\" for a quote)"},
    {"header", L2D_PARAM_BOOL, "true", 0, 0, NULL,
     "the first line names the columns (false: columns are named 1, 2, ...)"},
    {"class", L2D_PARAM_STRING, "", 0, 0, NULL,
     "class column (empty: no class). Text: sorted values are classes 0..k-1. Whole numbers "
     "from 0 (0..k-1, max+1 <= 2k): the value is the class; other whole numbers (1..k, -1/1, "
     "1.0/2.0): sorted values become 0..k-1, named by value. Needs 2..1000 distinct values"},
    {"target", L2D_PARAM_STRING, "", 0, 0, NULL,
     "regression target column(s), comma list (empty: no target)"},
    {"target_scale", L2D_PARAM_DOUBLE, "1", 1, 0, NULL,
     "multiplies the targets (e.g. 1e-5: dollars to units of 100,000)"},
    {"features", L2D_PARAM_STRING, "", 0, 0, NULL,
     "feature columns, comma list (empty: every other column with numbers; text-only and "
     "nameless columns are left out)"},
    {"decimal", L2D_PARAM_STRING, ".", 0, 0, NULL,
     "decimal mark of the numbers: '.' or ',' (3,5; then the delimiter cannot be ',')"},
    {"na_values", L2D_PARAM_STRING, "NA,N/A,NaN,nan,null,NULL,?", 0, 0, NULL,
     "comma list of values that mean missing, besides an empty field"},
    {"missing", L2D_PARAM_ENUM, "drop", 0, 0, "drop|mean|error",
     "missing value in a used column: drop the row, use the column mean (features; a row "
     "with no class or target is dropped), or fail"},
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
        /* the installed data; the source tree only for a build tree's libl2d */
        if (join(bufs[1], sizeof bufs[1], l2d_pkgdatadir(), path)) cand[nc++] = bufs[1];
        const char *src = l2d_build_source_dir();
        if (src && join(bufs[2], sizeof bufs[2], src, path)) cand[nc++] = bufs[2];
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


/* ---- values ------------------------------------------------------------------ */

struct ctx {
    const struct csv_file *f;
    char **na; /* na_values, trimmed */
    size_t *na_len;
    size_t n_na;
    char decimal; /* '.' or ',' */
};

enum kind { K_MISSING, K_NUMBER, K_NONFINITE, K_TEXT };

/* What cell (r, c) holds; *v gets a number's value. */
static enum kind cell_kind(const struct ctx *cx, size_t r, size_t c, double *v)
{
    const char *s = csv_cell(cx->f, r, c);
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return K_MISSING;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    for (size_t i = 0; i < cx->n_na; i++) /* before numbers: na_values may hold -999 */
        if (cx->na_len[i] == n && !memcmp(s, cx->na[i], n)) return K_MISSING;
    int k;
    char tmp[64];
    if (cx->decimal == ',' && n < sizeof tmp && memchr(s, ',', n)) {
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        for (char *q = tmp; (q = strchr(q, ',')); q++) *q = '.';
        k = csv_number(tmp, v);
    } else {
        k = csv_number(s, v);
    }
    if (k == 0) return K_NUMBER;
    return k > 0 ? K_NONFINITE : K_TEXT;
}

static int is_missing(const struct ctx *cx, size_t r, size_t c)
{
    double v;
    return cell_kind(cx, r, c, &v) == K_MISSING;
}

struct colscan {
    size_t numbers, texts, nonfinite;
    size_t first_text, first_nonfinite; /* rows */
};

static void scan_column(const struct ctx *cx, size_t c, struct colscan *cs)
{
    memset(cs, 0, sizeof *cs);
    for (size_t r = 0; r < cx->f->n_rows; r++) {
        double v;
        switch (cell_kind(cx, r, c, &v)) {
        case K_NUMBER: cs->numbers++; break;
        case K_TEXT:
            if (!cs->texts++) cs->first_text = r;
            break;
        case K_NONFINITE:
            if (!cs->nonfinite++) cs->first_nonfinite = r;
            break;
        case K_MISSING: break;
        }
    }
}

/* Appends to out[cap] at *at, keeping the text whole and terminated. */
static void append(char *out, size_t cap, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *out, size_t cap, size_t *at, const char *fmt, ...)
{
    if (*at >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    *at += (size_t)n < cap - *at ? (size_t)n : cap - *at - 1;
}

/* Names cols[0..n) as "a,b,c" into out[cap], cut short with ",..." when long. */
static void name_list(const struct csv_file *f, const long *cols, size_t n, char *out,
                      size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (at + strlen(f->names[cols[k]]) + 6 >= cap) {
            append(out, cap, &at, ",...");
            break;
        }
        append(out, cap, &at, "%s%s", k ? "," : "", f->names[cols[k]]);
    }
}

/* The error for a column name that matches nothing: a near match (case
 * aside) and the columns there are. */
static int no_column(const struct csv_file *f, const char *name, const char *what,
                     struct l2d_error *err)
{
    char hint[L2D_ERRMSG_MAX - 128];
    size_t at = 0;
    hint[0] = '\0';
    for (size_t c = 0; c < f->n_cols; c++)
        if (!strcasecmp(f->names[c], name)) {
            append(hint, sizeof hint, &at, "did you mean '%s'? ", f->names[c]);
            break;
        }
    append(hint, sizeof hint, &at, "the %zu columns are: ", f->n_cols);
    for (size_t c = 0; c < f->n_cols; c++) {
        if (at + strlen(f->names[c]) + 12 >= sizeof hint) {
            append(hint, sizeof hint, &at, "...");
            break;
        }
        append(hint, sizeof hint, &at, "%s%s", c ? ", " : "", f->names[c]);
    }
    return l2d_seterr(err, L2D_EINVAL, "%s: no column '%s' (%s); %s", f->label, name, what,
                      hint);
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
            rc = no_column(f, tok, what, err);
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

/* Every value of column c must be a finite number or missing. `suggest`,
 * when not NULL, is a features list that would leave the column out. */
static int check_numeric(const struct ctx *cx, long c, const char *suggest,
                         struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    struct colscan cs;
    scan_column(cx, (size_t)c, &cs);
    if (cs.texts) {
        size_t r = cs.first_text;
        const char *s = csv_cell(f, r, (size_t)c);
        if (suggest)
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%zu: column '%s': '%s' is not a number (the column mixes "
                              "numbers and text, %zu text values; to leave it out, list the "
                              "features: features = %s)",
                              f->label, f->line[r], f->names[c], s, cs.texts, suggest);
        return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column '%s': '%s' is not a number",
                          f->label, f->line[r], f->names[c], s);
    }
    if (cs.nonfinite) {
        size_t r = cs.first_nonfinite;
        return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column '%s': '%s' is not a finite number",
                          f->label, f->line[r], f->names[c], csv_cell(f, r, (size_t)c));
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Written as a plain non-negative integer ("0", "12"; not "1.0", "-1", "+1")? */
static int plain_index(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!(*s >= '0' && *s <= '9')) return 0;
    while (*s >= '0' && *s <= '9') s++;
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

static char **class_names_alloc(size_t k)
{
    return calloc(k ? k : 1, sizeof(char *));
}

/* Numeric classes (see the top of the file): cls[r] for each row, -1 where missing. */
static int numeric_classes(const struct ctx *cx, long c, int32_t *cls, char ***names_out,
                           unsigned *k_out, struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    double *val = malloc(f->n_rows * sizeof *val), *dist = malloc(f->n_rows * sizeof *dist);
    if (!val || !dist) {
        free(val), free(dist);
        return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    size_t nv = 0;
    int plain = 1, rc = 0;
    for (size_t r = 0; r < f->n_rows && !rc; r++) {
        cls[r] = -1;
        if (cell_kind(cx, r, (size_t)c, &val[r]) != K_NUMBER) continue;
        const char *s = csv_cell(f, r, (size_t)c);
        if (val[r] != floor(val[r]) || fabs(val[r]) > 1e15)
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s:%zu: column '%s': class '%s' is not an integer (numeric classes "
                            "are whole numbers; is it a target?)",
                            f->label, f->line[r], f->names[c], s);
        plain &= plain_index(s);
        cls[r] = 0;
        dist[nv++] = val[r];
    }
    size_t k = 0;
    if (!rc) {
        qsort(dist, nv, sizeof *dist, cmp_double);
        for (size_t i = 0; i < nv; i++)
            if (k == 0 || dist[i] != dist[k - 1]) dist[k++] = dist[i];
        if (k == 1)
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s: class column '%s' has a single value '%.17g' (in %zu rows): "
                            "nothing to classify",
                            f->label, f->names[c], dist[0], nv);
        else if (k > CSV_MAX_CLASSES)
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s: class column '%s' has %zu distinct values (at most %d; is it "
                            "a regression target?)",
                            f->label, f->names[c], k, CSV_MAX_CLASSES);
    }
    if (rc) {
        free(val), free(dist);
        return rc;
    }
    double maxv = dist[k - 1];
    int identity = plain && dist[0] == 0 && maxv < CSV_MAX_CLASSES && maxv + 1 <= 2.0 * (double)k;
    size_t nk = identity ? (size_t)maxv + 1 : k;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (cls[r] < 0) continue;
        if (identity) {
            cls[r] = (int32_t)val[r];
        } else {
            const double *hit = bsearch(&val[r], dist, k, sizeof *dist, cmp_double);
            cls[r] = (int32_t)(hit - dist);
        }
    }
    char **names = class_names_alloc(nk);
    for (size_t i = 0; names && i < nk; i++) {
        char b[32];
        snprintf(b, sizeof b, "%.17g", identity ? (double)i : dist[i]);
        if (!(names[i] = strdup(b))) {
            free_strings(names, nk);
            names = NULL;
        }
    }
    free(val), free(dist);
    if (!names) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    *names_out = names;
    *k_out = (unsigned)nk;
    return 0;
}

/* Class names and per-row indices (-1 where missing). */
static int class_column(const struct ctx *cx, long c, int32_t *cls, char ***names_out,
                        unsigned *k_out, struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    struct colscan cs;
    scan_column(cx, (size_t)c, &cs);
    if (cs.numbers + cs.texts + cs.nonfinite == 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: class column '%s' has no values (all missing)",
                          f->label, f->names[c]);
    if (cs.texts + cs.nonfinite == 0) return numeric_classes(cx, c, cls, names_out, k_out, err);
    /* text: sorted distinct values */
    const char **vals = malloc(f->n_rows * sizeof *vals);
    if (!vals) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    size_t nv = 0;
    for (size_t r = 0; r < f->n_rows; r++)
        if (!is_missing(cx, r, (size_t)c)) vals[nv++] = csv_cell(f, r, (size_t)c);
    qsort(vals, nv, sizeof *vals, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        if (k == 0 || strcmp(vals[i], vals[k - 1])) vals[k++] = vals[i];
    int rc = 0;
    if (k == 1)
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: class column '%s' has a single value '%s' (in %zu rows): nothing "
                        "to classify",
                        f->label, f->names[c], vals[0], nv);
    else if (k > CSV_MAX_CLASSES)
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: class column '%s' has %zu distinct values (at most %d)", f->label,
                        f->names[c], k, CSV_MAX_CLASSES);
    if (rc) {
        free(vals);
        return rc;
    }
    for (size_t r = 0; r < f->n_rows; r++) {
        cls[r] = -1;
        if (is_missing(cx, r, (size_t)c)) continue;
        const char *s = csv_cell(f, r, (size_t)c);
        const char **hit = bsearch(&s, vals, k, sizeof *vals, cmp_str);
        cls[r] = (int32_t)(hit - vals);
    }
    char **names = class_names_alloc(k);
    rc = names ? 0 : L2D_ENOMEM;
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
    int32_t *cls;      /* [n_rows], -1 where missing */
    double *fill;      /* [nfeat] column means (missing = mean) */
    char *keep;        /* [n_rows] */
    size_t kept;
    char left_out[L2D_ERRMSG_MAX - 64]; /* columns not taken as features, for the log */
};

static void plan_free(struct plan *pl)
{
    free(pl->feat), free(pl->targ), free(pl->cls), free(pl->fill), free(pl->keep);
}

static int used_elsewhere(const struct plan *pl, size_t c)
{
    int used = (long)c == pl->class_col;
    for (size_t j = 0; j < pl->ntarg; j++) used |= (long)c == pl->targ[j];
    return used;
}

/* features empty: every other named column with numbers. A column of text
 * only is left out; one that mixes numbers and text is an error. */
static int auto_features(const struct ctx *cx, struct plan *pl, struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    pl->feat = malloc(f->n_cols * sizeof *pl->feat);
    if (!pl->feat) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    size_t at = 0;
    long mixed = -1;
    for (size_t c = 0; c < f->n_cols; c++) {
        if (used_elsewhere(pl, c)) continue;
        struct colscan cs;
        scan_column(cx, c, &cs);
        const char *why = f->unnamed[c] ? "no name" : cs.numbers == 0 ? "no numbers" : NULL;
        if (why) {
            append(pl->left_out, sizeof pl->left_out, &at, "%s%s (%s)", at ? ", " : "",
                   f->names[c], why);
            continue;
        }
        if (cs.texts && mixed < 0) mixed = (long)c;
        pl->feat[pl->nfeat++] = (long)c;
    }
    if (mixed >= 0) {
        /* the other features, for the suggestion */
        long *rest = malloc(pl->nfeat * sizeof *rest);
        if (!rest) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
        size_t nr = 0;
        for (size_t k = 0; k < pl->nfeat; k++) {
            struct colscan cs;
            scan_column(cx, (size_t)pl->feat[k], &cs);
            if (!cs.texts) rest[nr++] = pl->feat[k];
        }
        char list[200];
        name_list(f, rest, nr, list, sizeof list);
        free(rest);
        return check_numeric(cx, mixed, list, err);
    }
    return 0;
}

static int choose_columns(const struct ctx *cx, const struct l2d_params *p, struct plan *pl,
                          struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    const char *cname = l2d_param_str(p, "class", "");
    const char *tlist = l2d_param_str(p, "target", "");
    const char *flist = l2d_param_str(p, "features", "");
    int rc;
    pl->class_col = -1;
    while (*cname == ' ' || *cname == '\t') cname++;
    if (*cname && (pl->class_col = csv_column(f, cname)) < 0)
        return no_column(f, cname, "class", err);
    if ((rc = column_list(f, tlist, "target", &pl->targ, &pl->ntarg, err))) return rc;
    for (size_t k = 0; k < pl->ntarg; k++) {
        if (pl->targ[k] == pl->class_col)
            return l2d_seterr(err, L2D_EINVAL, "%s: column '%s' is both the class and a target",
                              f->label, cname);
        if ((rc = check_numeric(cx, pl->targ[k], NULL, err))) return rc;
    }
    if (*flist) {
        if ((rc = column_list(f, flist, "features", &pl->feat, &pl->nfeat, err))) return rc;
        for (size_t k = 0; k < pl->nfeat; k++) {
            if (used_elsewhere(pl, (size_t)pl->feat[k]))
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s: column '%s' is a feature and the class or a target",
                                  f->label, f->names[pl->feat[k]]);
        }
    } else if ((rc = auto_features(cx, pl, err)))
        return rc;
    if (pl->nfeat == 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: no feature columns (numeric columns besides the class and the "
                          "target)",
                          f->label);
    for (size_t k = 0; k < pl->nfeat; k++)
        if ((rc = check_numeric(cx, pl->feat[k], NULL, err))) return rc;
    return 0;
}

/* The first missing used column of row r, or -1; *label_or_target is set
 * when it is the class or a target. */
static long first_missing(const struct ctx *cx, const struct plan *pl, size_t r,
                          int *label_or_target)
{
    *label_or_target = 1;
    if (pl->class_col >= 0 && pl->cls[r] < 0) return pl->class_col;
    for (size_t k = 0; k < pl->ntarg; k++)
        if (is_missing(cx, r, (size_t)pl->targ[k])) return pl->targ[k];
    *label_or_target = 0;
    for (size_t k = 0; k < pl->nfeat; k++)
        if (is_missing(cx, r, (size_t)pl->feat[k])) return pl->feat[k];
    return -1;
}

static int apply_missing(const struct ctx *cx, enum missing_mode mode, struct plan *pl,
                         struct l2d_error *err)
{
    const struct csv_file *f = cx->f;
    pl->keep = malloc(f->n_rows);
    pl->fill = calloc(pl->nfeat, sizeof *pl->fill);
    if (!pl->keep || !pl->fill) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    if (mode == MISSING_MEAN)
        for (size_t k = 0; k < pl->nfeat; k++) {
            double s = 0, v;
            size_t cnt = 0;
            for (size_t r = 0; r < f->n_rows; r++)
                if (cell_kind(cx, r, (size_t)pl->feat[k], &v) == K_NUMBER) s += v, cnt++;
            if (cnt == 0)
                return l2d_seterr(err, L2D_EINVAL, "%s: column '%s' has no value to average",
                                  f->label, f->names[pl->feat[k]]);
            pl->fill[k] = s / (double)cnt;
        }
    pl->kept = 0;
    for (size_t r = 0; r < f->n_rows; r++) {
        int lt;
        long miss = first_missing(cx, pl, r, &lt);
        if (miss >= 0 && mode == MISSING_ERROR) {
            const char *s = csv_cell(f, r, (size_t)miss);
            if (!*s)
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: column '%s' is empty (missing = error)", f->label,
                                  f->line[r], f->names[miss]);
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%zu: column '%s' is missing ('%s', in na_values) "
                              "(missing = error)",
                              f->label, f->line[r], f->names[miss], s);
        }
        pl->keep[r] = miss < 0 || (mode == MISSING_MEAN && !lt);
        pl->kept += pl->keep[r];
    }
    if (pl->kept == 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: no rows left: all %zu rows miss a value in a used column",
                          f->label, f->n_rows);
    return 0;
}

static void fill_table(const struct ctx *cx, const struct plan *pl, double scale,
                       struct l2d_table *tb)
{
    const struct csv_file *f = cx->f;
    size_t i = 0;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (!pl->keep[r]) continue;
        for (size_t k = 0; k < pl->nfeat; k++) {
            double v;
            if (cell_kind(cx, r, (size_t)pl->feat[k], &v) != K_NUMBER) v = pl->fill[k];
            tb->x[i * pl->nfeat + k] = (float)v;
        }
        for (size_t k = 0; k < pl->ntarg; k++) {
            double v = 0;
            cell_kind(cx, r, (size_t)pl->targ[k], &v);
            tb->t[i * pl->ntarg + k] = (float)(v * scale);
        }
        if (tb->y) tb->y[i] = pl->cls[r];
        i++;
    }
}

/* ---- parameters ------------------------------------------------------------- */

/* The delimiter parameter as a byte (CSV_WHITESPACE for runs of blanks). */
static int parse_delimiter(const char *s, char *out, struct l2d_error *err)
{
    if (!*s)
        return l2d_seterr(err, L2D_EINVAL,
                          "csv: delimiter is empty (in an INI file a bare ';' or '#' starts a "
                          "comment: write semicolon, or quote it: \";\")");
    static const struct {
        const char *name;
        char d;
    } names[] = {{"comma", ','},     {"semicolon", ';'}, {"tab", '\t'},  {"\\t", '\t'},
                 {"pipe", '|'},      {"whitespace", CSV_WHITESPACE},    {"space", CSV_WHITESPACE}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!strcasecmp(s, names[k].name)) {
            *out = names[k].d;
            return 0;
        }
    if (s[0] && !s[1] && s[0] != '"' && s[0] != '\r' && s[0] != '\n' && s[0] != ' ') {
        *out = s[0];
        return 0;
    }
    return l2d_seterr(err, L2D_EINVAL,
                      "csv: delimiter = '%s': one character (not a quote) or comma, semicolon, "
                      "tab, pipe, whitespace",
                      s);
}

/* na_values: a comma list, each value trimmed; empty ones are skipped. */
static int parse_na(const char *list, char **buf, struct ctx *cx, struct l2d_error *err)
{
    cx->n_na = 0;
    *buf = strdup(list);
    cx->na = malloc((strlen(list) / 2 + 1) * sizeof *cx->na);
    cx->na_len = malloc((strlen(list) / 2 + 1) * sizeof *cx->na_len);
    if (!*buf || !cx->na || !cx->na_len) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    char *save = NULL;
    for (char *tok = strtok_r(*buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') tok++;
        char *e = tok + strlen(tok);
        while (e > tok && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
        if (*tok) cx->na_len[cx->n_na] = (size_t)(e - tok), cx->na[cx->n_na++] = tok;
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
    struct csv_options opt = {',', !l2d_param_int(p, "header", 1)};
    int rc = parse_delimiter(l2d_param_str(p, "delimiter", ","), &opt.delim, err);
    if (rc) return rc;
    const char *dec_s = l2d_param_str(p, "decimal", ".");
    char decimal = dec_s[0];
    if (!((decimal == '.' || decimal == ',') && !dec_s[1]))
        return l2d_seterr(err, L2D_EINVAL, "csv: decimal = '%s': '.' or ','", dec_s);

    char full[4096];
    rc = resolve_path(path, host ? host->data_dir : NULL, full, sizeof full, err);
    if (rc) return rc;
    struct csv_file f;
    rc = csv_load_opt(full, NULL, &opt, &f, err);
    if (rc) {
        csv_free(&f);
        return rc;
    }
    if (decimal == ',' && f.delim == ',') {
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: decimal = ',' needs another delimiter (semicolon, tab, ...)",
                        f.label);
        csv_free(&f);
        return rc;
    }
    struct ctx cx = {&f, NULL, NULL, 0, decimal};
    char *na_buf = NULL;
    struct plan pl = {0};
    struct csvds *s = calloc(1, sizeof *s);
    char **class_names = NULL;
    unsigned n_classes = 0;
    if (!s) rc = l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    if (!rc) rc = parse_na(l2d_param_str(p, "na_values", ""), &na_buf, &cx, err);
    if (!rc) rc = choose_columns(&cx, p, &pl, err);
    if (!rc && pl.class_col >= 0) {
        pl.cls = malloc(f.n_rows * sizeof *pl.cls);
        rc = pl.cls ? class_column(&cx, pl.class_col, pl.cls, &class_names, &n_classes, err)
                    : l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    }
    if (!rc) rc = apply_missing(&cx, mode, &pl, err);
    if (!rc) rc = l2d_table_alloc(&s->tb, pl.kept, pl.nfeat, n_classes, (unsigned)pl.ntarg, err);
    if (!rc) {
        s->class_names = class_names; /* owned by s from here */
        class_names = NULL;
        fill_table(&cx, &pl, scale, &s->tb);
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
    if (!rc && pl.left_out[0]) say(host, "csv: %s: not features: %s", f.label, pl.left_out);
    if (!rc && n_classes) {
        char cl[L2D_ERRMSG_MAX - 64];
        size_t at = 0;
        for (unsigned k = 0; k < n_classes; k++) {
            if (at + strlen(s->class_names[k]) + 16 >= sizeof cl) {
                append(cl, sizeof cl, &at, " ...");
                break;
            }
            append(cl, sizeof cl, &at, "%s%u=%s", k ? " " : "", k, s->class_names[k]);
        }
        say(host, "csv: %s: classes %s", f.label, cl);
    }
    if (!rc)
        say(host, "csv: %s: %zu rows, %zu dropped (empty fields), %zu features, %u classes, %zu "
                  "targets; split %zu/%zu/%zu",
            f.label, f.n_rows, f.n_rows - pl.kept, pl.nfeat, n_classes, pl.ntarg,
            s->tb.count[0], s->tb.count[1], s->tb.count[2]);
    if (class_names) free_strings(class_names, n_classes);
    plan_free(&pl);
    free(cx.na);
    free(cx.na_len);
    free(na_buf);
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
    (void)err;
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

static const struct l2d_dataset_ops csv_ops = {sizeof(struct l2d_dataset_ops), csv_open, csv_info, csv_batch, csv_close};

static const struct l2d_plugin csv_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_DATASET, "csv", "1.1",
                      "a table from a CSV file (RFC 4180 quoting): numeric features, a class "
                      "and/or a target column",
                      csv_params, &csv_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &csv_plugin : NULL;
}
