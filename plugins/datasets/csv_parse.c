/* CSV reading for the `csv` dataset plugin (see csv_parse.h). The file is
 * read once and its fields are cut out in place, so a table costs the file
 * plus one pointer per field. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_parse.h"

void csv_free(struct csv_file *f)
{
    if (!f) return;
    free(f->label);
    free(f->buf);
    free(f->names);
    free(f->cells);
    free(f->line);
    memset(f, 0, sizeof *f);
}

int csv_number(const char *s, double *out)
{
    char *end;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return -1;
    *out = v;
    return isfinite(v) ? 0 : 1; /* overflow gives inf: not finite */
}

long csv_column(const struct csv_file *f, const char *name)
{
    for (size_t c = 0; c < f->n_cols; c++)
        if (!strcmp(f->names[c], name)) return (long)c;
    return -1;
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *end = '\0';
    return s;
}

/* Cuts line [p, e) (e points at a writable byte) into fields; *nf gets the
 * count; fields go to out[] when out is non-NULL and nf fits in cap. */
static size_t split_fields(char *p, char *e, char **out, size_t cap)
{
    size_t nf = 0;
    for (;;) {
        char *c = memchr(p, ',', (size_t)(e - p));
        char *fe = c ? c : e;
        if (out && nf < cap) out[nf] = trim(p, fe);
        nf++;
        if (!c) break;
        p = c + 1;
    }
    return nf;
}

int csv_parse(char *buf, size_t len, const char *label, struct csv_file *f,
              struct l2d_error *err)
{
    memset(f, 0, sizeof *f);
    f->buf = buf;
    f->label = strdup(label ? label : "csv");
    if (!f->label) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    buf[len] = '\0';
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        size_t ln = 1;
        for (const char *q = buf; q < nul; q++) ln += *q == '\n';
        return l2d_seterr(err, L2D_EINVAL, "%s:%zu: NUL byte: not a text CSV file", f->label, ln);
    }
    char *p = buf, *end = buf + len;
    if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) p += 3; /* UTF-8 byte order mark */

    size_t max_rows = 1;
    for (const char *q = p; q < end; q++) max_rows += *q == '\n';
    size_t lineno = 0, cap_cells = 0;
    while (p < end || (p == end && lineno == 0)) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        lineno++;
        char *next = nl ? nl + 1 : end + 1;
        if (e > p && e[-1] == '\r') e--;
        *e = '\0';
        char *t = p;
        while (*t == ' ' || *t == '\t') t++;
        if (*t == '\0') { /* blank line */
            p = next;
            if (!nl) break;
            continue;
        }
        size_t nf = split_fields(p, e, NULL, 0);
        if (!f->names) {
            f->n_cols = nf;
            f->names = malloc(nf * sizeof *f->names);
            /* every later line holds at most max_rows rows of n_cols cells */
            if (nf > SIZE_MAX / sizeof(char *) / max_rows)
                return l2d_seterr(err, L2D_ENOMEM, "%s: too many fields", f->label);
            cap_cells = max_rows * nf;
            f->cells = malloc(cap_cells * sizeof *f->cells);
            f->line = malloc(max_rows * sizeof *f->line);
            if (!f->names || !f->cells || !f->line)
                return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f->label);
            split_fields(p, e, f->names, nf);
            for (size_t c = 0; c < nf; c++) {
                if (!*f->names[c])
                    return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column %zu has no name",
                                      f->label, lineno, c + 1);
                if (f->names[c][0] == '"')
                    return l2d_seterr(err, L2D_EINVAL,
                                      "%s:%zu: quoted fields are not supported (%s)", f->label,
                                      lineno, f->names[c]);
                for (size_t d = 0; d < c; d++)
                    if (!strcmp(f->names[c], f->names[d]))
                        return l2d_seterr(err, L2D_EINVAL, "%s:%zu: column '%s' appears twice",
                                          f->label, lineno, f->names[c]);
            }
            size_t numeric = 0;
            double v;
            for (size_t c = 0; c < nf; c++) numeric += csv_number(f->names[c], &v) >= 0;
            if (numeric == nf)
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: no header row (the first line holds only numbers)",
                                  f->label, lineno);
        } else {
            if (nf != f->n_cols)
                return l2d_seterr(err, L2D_EINVAL, "%s:%zu: %zu field%s, header has %zu",
                                  f->label, lineno, nf, nf == 1 ? "" : "s", f->n_cols);
            char **row = f->cells + f->n_rows * f->n_cols;
            split_fields(p, e, row, nf);
            for (size_t c = 0; c < nf; c++)
                if (row[c][0] == '"')
                    return l2d_seterr(err, L2D_EINVAL,
                                      "%s:%zu: column '%s': quoted fields are not supported",
                                      f->label, lineno, f->names[c]);
            f->line[f->n_rows++] = lineno;
        }
        p = next;
        if (!nl) break;
    }
    if (!f->names) return l2d_seterr(err, L2D_EINVAL, "%s: the file is empty", f->label);
    if (f->n_rows == 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: no data rows after the header", f->label);
    return 0;
}

int csv_load(const char *path, const char *label, struct csv_file *f, struct l2d_error *err)
{
    memset(f, 0, sizeof *f);
    if (!label) label = path;
    FILE *fp = fopen(path, "rb");
    if (!fp) return l2d_seterr(err, L2D_EIO, "%s: cannot open: %s", label, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? 2 * cap : 1u << 20;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(fp);
                return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory reading the file", label);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return l2d_seterr(err, L2D_EIO, "%s: read error", label);
    }
    return csv_parse(buf, len, label, f, err);
}
