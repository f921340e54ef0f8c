/* A CSV reader for the `csv` dataset plugin (RFC 4180 and the usual
 * departures from it). Records end at LF, CRLF or a lone CR; a missing
 * final newline, a UTF-8 byte order mark and blank lines are fine. A field
 * in double quotes may hold the delimiter, line ends and "" for a quote;
 * blanks around a field, outside its quotes, are trimmed. The first record
 * names the columns, unless header is off (columns are then named "1",
 * "2", ...). A line of delimiters only (";;;") counts as blank, empty
 * fields past the header's last column are ignored; an Excel
 * "sep=;" first line sets the delimiter. Errors name file:line, the line being the physical line where
 * the record starts (or where the error is, inside a record). */
#ifndef L2D_CSV_PARSE_H
#define L2D_CSV_PARSE_H
#include <stddef.h>

#include "l2d/plugin.h"

/* delim: any byte but a quote, CR, LF or space; CSV_WHITESPACE: fields
 * are separated by runs of spaces and tabs (leading ones ignored). */
#define CSV_WHITESPACE ' '
struct csv_options {
    char delim;  /* 0: ',' */
    int no_header;
};

struct csv_file {
    char *label;   /* file name used in messages */
    char *buf;     /* the file's bytes; fields are cut out in place */
    size_t n_cols, n_rows;
    char **names;  /* [n_cols] header fields; a nameless column is "unnamed_<column>" */
    char *unnamed; /* [n_cols] 1 where the header left the name empty */
    char **cells;  /* [n_rows * n_cols], row-major; "" for an empty field */
    size_t *line;  /* [n_rows] line number of each row in the file (from 1) */
    size_t header_line;
    char delim;    /* the delimiter used (a "sep=" line may have set it) */
    char *names_buf;
};

/* Reads and parses `path`; messages say `label` (NULL: the path). */
int csv_load(const char *path, const char *label, struct csv_file *f, struct l2d_error *err);
int csv_load_opt(const char *path, const char *label, const struct csv_options *o,
                 struct csv_file *f, struct l2d_error *err);
/* Parses buf[0..len) (buf holds len + 1 bytes, malloc'ed; *f takes it,
 * also on failure). o may be NULL (defaults). */
int csv_parse(char *buf, size_t len, const char *label, const struct csv_options *o,
              struct csv_file *f, struct l2d_error *err);
void csv_free(struct csv_file *f);

static inline const char *csv_cell(const struct csv_file *f, size_t row, size_t col)
{
    return f->cells[row * f->n_cols + col];
}

/* A whole field (blanks around it allowed) as a number: 0 finite, 1 a
 * number but not finite (nan, inf), -1 not a number. */
int csv_number(const char *s, double *out);
/* Index of the column named `name` (or, failing that, of the one column
 * whose name is `name` with blanks around it), or -1. */
long csv_column(const struct csv_file *f, const char *name);
#endif
