/* CSV reading for the `csv` dataset plugin (see csv_parse.h). The file is
 * read once and its fields are cut out in place (unquoting only ever
 * shortens a field, so the write position never passes the read position),
 * so a table costs the file plus one pointer per field. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
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
    free(f->unnamed);
    free(f->names_buf);
    free(f->cells);
    free(f->line);
    memset(f, 0, sizeof *f);
}

static int blank(char c) { return c == ' ' || c == '\t'; }

int csv_number(const char *s, double *out)
{
    char *end;
    while (blank(*s)) s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) return -1;
    while (blank(*end)) end++;
    if (*end) return -1;
    *out = v;
    return isfinite(v) ? 0 : 1; /* overflow gives inf: not finite */
}

long csv_column(const struct csv_file *f, const char *name)
{
    for (size_t c = 0; c < f->n_cols; c++)
        if (!strcmp(f->names[c], name)) return (long)c;
    /* a quoted name keeps its blanks (" a "); a listed name has none */
    size_t n = strlen(name);
    long hit = -1;
    for (size_t c = 0; c < f->n_cols; c++) {
        const char *s = f->names[c];
        while (blank(*s)) s++;
        size_t m = strlen(s);
        while (m > 0 && blank(s[m - 1])) m--;
        if (m == n && !memcmp(s, name, n)) {
            if (hit >= 0) return -1; /* ambiguous */
            hit = (long)c;
        }
    }
    return hit;
}

/* ---- records ---------------------------------------------------------------- */

struct pstate {
    const char *label;
    char *p, *end;
    size_t line;       /* physical line of *p */
    char delim;        /* CSV_WHITESPACE: runs of blanks */
    char **fv;         /* the current record's fields */
    size_t nf, cap;
};

static int push_field(struct pstate *s, char *field, struct l2d_error *err)
{
    if (s->nf == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 64;
        char **nv = realloc(s->fv, nc * sizeof *nv);
        if (!nv) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", s->label);
        s->fv = nv;
        s->cap = nc;
    }
    s->fv[s->nf++] = field;
    return 0;
}

/* Is `c` a blank that may be trimmed around a field? A tab is data when it
 * is the delimiter. */
static int trimmable(const struct pstate *s, char c)
{
    return c == ' ' || (c == '\t' && s->delim != '\t');
}

/* Steps over the line end at q (LF, CRLF or CR; c is the byte that was
 * there, q[0] may have become a field's NUL); returns what follows. */
static char *past_eol(struct pstate *s, char *q, char c)
{
    s->line++;
    if (c == '\r' && q + 1 < s->end && q[1] == '\n') return q + 2;
    return q + 1;
}

#define CSV_EOF (-1)

/* Reads the next record into s->fv / s->nf; *start gets its first line.
 * Returns 0, CSV_EOF at the end of the file (no record), or an error. Blank
 * lines are skipped. */
static int next_record(struct pstate *s, size_t *start, struct l2d_error *err)
{
    char *end = s->end;
    for (;;) { /* skip blank lines */
        char *q = s->p;
        while (q < end && trimmable(s, *q)) q++;
        if (q == end) {
            s->p = end;
            return CSV_EOF;
        }
        if (*q != '\n' && *q != '\r') break;
        s->p = past_eol(s, q, *q);
    }
    *start = s->line;
    s->nf = 0;
    char *r = s->p;
    for (;;) { /* one field per turn */
        while (r < end && trimmable(s, *r)) r++;
        char *field = r, *w;
        if (r < end && *r == '"') {
            size_t opened = s->line;
            w = r++;
            for (;;) {
                if (r == end)
                    return l2d_seterr(err, L2D_EINVAL,
                                      "%s:%zu: field %zu: the quote opened here is never closed",
                                      s->label, opened, s->nf + 1);
                if (*r == '"') {
                    if (r + 1 < end && r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                if (*r == '\n' || (*r == '\r' && !(r + 1 < end && r[1] == '\n'))) s->line++;
                *w++ = *r++;
            }
            if (s->delim != CSV_WHITESPACE)
                while (r < end && trimmable(s, *r)) r++;
            if (r < end && *r != s->delim && *r != '\n' && *r != '\r' &&
                !(s->delim == CSV_WHITESPACE && blank(*r)))
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: field %zu: '%c' after the closing quote (a quote "
                                  "inside a quoted field is written \"\")",
                                  s->label, s->line, s->nf + 1, *r);
        } else {
            while (r < end && *r != s->delim && *r != '\n' && *r != '\r' &&
                   !(s->delim == CSV_WHITESPACE && blank(*r)))
                r++;
            w = r;
            while (w > field && trimmable(s, w[-1])) w--;
        }
        /* r is at the terminator (or the end); w <= r, so the NUL may go there
         * once the terminator is known */
        char term = r < end ? *r : '\0';
        if (s->delim == CSV_WHITESPACE && blank(term)) {
            while (r < end && blank(*r)) r++;
            term = r < end ? *r : '\0';
            if (term != '\n' && term != '\r' && term != '\0') term = CSV_WHITESPACE, r--;
        }
        *w = '\0';
        int rc = push_field(s, field, err);
        if (rc) return rc;
        if (term == '\0') {
            s->p = end;
            return 0;
        }
        if (term == '\n' || term == '\r') {
            s->p = past_eol(s, r, term);
            return 0;
        }
        r++; /* the delimiter */
    }
}

/* ---- the header ---------------------------------------------------------------- */

static const char *delim_name(char d)
{
    switch (d) {
    case ',': return "','";
    case ';': return "';' (semicolon)";
    case '\t': return "tab";
    case CSV_WHITESPACE: return "whitespace";
    default: return NULL;
    }
}

/* A header field that reads as a number is a sign that the first line is
 * data (a file with no header, or a count line like scikit-learn's
 * "150,4,setosa,..."). Plain column numbers are fine: pandas writes its
 * default names 0, 1, 2, ..., possibly after a nameless index column. */
static int numeric_name_ok(const char *s, size_t col0)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (*e || errno || v < 0) return 0;
    return (size_t)v + 1 >= col0 && (size_t)v <= col0 + 1;
}

static int take_header(struct pstate *s, struct csv_file *f, const struct csv_options *o,
                       size_t lineno, struct l2d_error *err)
{
    size_t nf = s->nf;
    f->n_cols = nf;
    f->header_line = lineno;
    f->names = malloc(nf * sizeof *f->names);
    f->unnamed = calloc(nf, 1);
    f->names_buf = malloc(nf * 32);
    if (!f->names || !f->unnamed || !f->names_buf)
        return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f->label);
    if (o->no_header) {
        for (size_t c = 0; c < nf; c++) {
            f->names[c] = f->names_buf + 32 * c;
            snprintf(f->names[c], 32, "%zu", c + 1);
        }
        return 0;
    }
    for (size_t c = 0; c < nf; c++) {
        f->names[c] = s->fv[c];
        if (!*s->fv[c]) { /* a pandas index column, or a trailing delimiter */
            f->unnamed[c] = 1;
            f->names[c] = f->names_buf + 32 * c;
            snprintf(f->names[c], 32, "unnamed_%zu", c + 1);
        }
    }
    size_t numeric = 0;
    double v;
    for (size_t c = 0; c < nf; c++) numeric += csv_number(f->names[c], &v) >= 0;
    if (numeric == nf)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s:%zu: no header row (the first line holds only numbers; "
                          "set header = false if the file has none)",
                          f->label, lineno);
    for (size_t c = 0; c < nf; c++)
        if (csv_number(f->names[c], &v) == 0 && !numeric_name_ok(f->names[c], c))
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%zu: column %zu of the header is the number '%s': the first "
                              "line must name the columns (is it data, or a count line like "
                              "'150,4,...'? remove it, or set header = false)",
                              f->label, lineno, c + 1, f->names[c]);
    for (size_t c = 0; c < nf; c++)
        for (size_t d = 0; d < c; d++)
            if (!strcmp(f->names[c], f->names[d]))
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: column '%s' appears twice (columns %zu and %zu)",
                                  f->label, lineno, f->names[c], d + 1, c + 1);
    if (nf == 1) {
        static const char cand[] = {';', '\t', '|', ',', ' '};
        for (size_t k = 0; k < sizeof cand; k++)
            if (cand[k] != s->delim && strchr(f->names[0], cand[k])) {
                const char *dn = delim_name(s->delim);
                return l2d_seterr(err, L2D_EINVAL,
                                  "%s:%zu: the header is one column '%s': is the delimiter "
                                  "%s? (it is set to %s; see the delimiter parameter)",
                                  f->label, lineno, f->names[0],
                                  cand[k] == '\t' ? "tab" : cand[k] == ' ' ? "whitespace"
                                  : cand[k] == ';' ? "';'" : cand[k] == '|' ? "'|'" : "','",
                                  dn ? dn : "another character");
            }
    }
    return 0;
}

/* ---- the whole file -------------------------------------------------------------- */

/* Files that are plainly not CSV text get a message that says what they are. */
static int sniff(const char *b, size_t len, const char *label, struct l2d_error *err)
{
    if (len == 0) return l2d_seterr(err, L2D_EINVAL, "%s: the file is empty", label);
    if (len >= 2 && !memcmp(b, "\x1f\x8b", 2))
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: a gzip-compressed file, not CSV text: decompress it first", label);
    if (len >= 4 && !memcmp(b, "PK\x03\x04", 4))
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: a zip archive (an .xlsx workbook?), not CSV text: export it as CSV",
                          label);
    if (len >= 2 && (!memcmp(b, "\xff\xfe", 2) || !memcmp(b, "\xfe\xff", 2)))
        return l2d_seterr(err, L2D_EINVAL, "%s: UTF-16 text: save the file as UTF-8", label);
    size_t ln = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n' || (c == '\r' && !(i + 1 < len && b[i + 1] == '\n'))) ln++;
        if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') continue;
        if (c == 0)
            return l2d_seterr(err, L2D_EINVAL, "%s:%zu: NUL byte: not a text CSV file", label,
                              ln);
        return l2d_seterr(err, L2D_EINVAL, "%s:%zu: control byte 0x%02x: not a text CSV file",
                          label, ln, c);
    }
    return 0;
}

int csv_parse(char *buf, size_t len, const char *label, const struct csv_options *o,
              struct csv_file *f, struct l2d_error *err)
{
    static const struct csv_options defaults = {',', 0};
    if (!o) o = &defaults;
    memset(f, 0, sizeof *f);
    f->buf = buf;
    f->label = strdup(label ? label : "csv");
    if (!f->label) return l2d_seterr(err, L2D_ENOMEM, "csv: out of memory");
    buf[len] = '\0';
    while (len > 0 && buf[len - 1] == '\x1a') buf[--len] = '\0'; /* DOS end-of-file mark */
    int rc = sniff(buf, len, f->label, err);
    if (rc) return rc;
    struct pstate s = {f->label, buf, buf + len, 1, o->delim ? o->delim : ',', NULL, 0, 0};
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) s.p += 3; /* UTF-8 byte order mark */
    /* Excel's "sep=;" first line names the delimiter */
    if (s.end - s.p >= 5 && !memcmp(s.p, "sep=", 4) && s.p[4] != '"' && s.p[4] != '\n' &&
        s.p[4] != '\r' && (s.end - s.p == 5 || s.p[5] == '\n' || s.p[5] == '\r')) {
        s.delim = s.p[4] == ' ' ? CSV_WHITESPACE : s.p[4];
        s.p = s.end - s.p == 5 ? s.end : past_eol(&s, s.p + 5, s.p[5]);
    }

    /* records <= line ends + 1, so the cells fit in (line ends + 1) rows */
    size_t max_rows = 1;
    for (size_t i = 0; i < len; i++)
        max_rows += buf[i] == '\n' || (buf[i] == '\r' && !(i + 1 < len && buf[i + 1] == '\n'));
    f->delim = s.delim;
    size_t lineno;
    while (!rc && !(rc = next_record(&s, &lineno, err))) {
        size_t filled = 0;
        for (size_t c = 0; c < s.nf; c++) filled += s.fv[c][0] != '\0';
        if (!filled) continue; /* a line of delimiters only, like ";;;;": a blank line */
        if (!f->names) {
            if ((rc = take_header(&s, f, o, lineno, err))) break;
            if (f->n_cols > SIZE_MAX / sizeof(char *) / max_rows) {
                rc = l2d_seterr(err, L2D_ENOMEM, "%s: too many fields", f->label);
                break;
            }
            f->cells = malloc(max_rows * f->n_cols * sizeof *f->cells);
            f->line = malloc(max_rows * sizeof *f->line);
            if (!f->cells || !f->line) {
                rc = l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f->label);
                break;
            }
            if (!o->no_header) continue;
        }
        /* empty fields past the last column: a trailing delimiter on data lines */
        while (s.nf > f->n_cols && !s.fv[s.nf - 1][0]) s.nf--;
        if (s.nf != f->n_cols) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s:%zu: %zu field%s, %s has %zu%s", f->label,
                            lineno, s.nf, s.nf == 1 ? "" : "s",
                            o->no_header ? "the first line" : "header", f->n_cols,
                            s.nf == f->n_cols + 1 && f->n_rows == 0 && !o->no_header
                                ? " (row names? the header has no name for the first column)"
                                : "");
            break;
        }
        memcpy(f->cells + f->n_rows * f->n_cols, s.fv, s.nf * sizeof *s.fv);
        f->line[f->n_rows++] = lineno;
    }
    free(s.fv);
    if (rc != CSV_EOF) return rc;
    if (!f->names)
        return l2d_seterr(err, L2D_EINVAL, "%s: the file is empty (only blank lines)", f->label);
    if (f->n_rows == 0)
        return l2d_seterr(err, L2D_EINVAL, "%s: no data rows after the header", f->label);
    return 0;
}

int csv_load_opt(const char *path, const char *label, const struct csv_options *o,
                 struct csv_file *f, struct l2d_error *err)
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
    return csv_parse(buf, len, label, o, f, err);
}

int csv_load(const char *path, const char *label, struct csv_file *f, struct l2d_error *err)
{
    return csv_load_opt(path, label, NULL, f, err);
}
