/* A small CSV reader for the `csv` dataset plugin: a header row, then rows
 * of comma-separated fields; no quoting. LF or CRLF line ends, a missing
 * final newline and a UTF-8 byte order mark are fine; blank lines are
 * skipped; spaces around fields are trimmed. Errors name file:line. */
#ifndef L2D_CSV_PARSE_H
#define L2D_CSV_PARSE_H
#include <stddef.h>

#include "l2d/plugin.h"

struct csv_file {
    char *label;   /* file name used in messages */
    char *buf;     /* the file's bytes; fields are cut out in place */
    size_t n_cols, n_rows;
    char **names;  /* [n_cols] header fields */
    char **cells;  /* [n_rows * n_cols], row-major; "" for an empty field */
    size_t *line;  /* [n_rows] line number of each row in the file (from 1) */
};

/* Reads and parses `path`; messages say `label` (NULL: the path). */
int csv_load(const char *path, const char *label, struct csv_file *f, struct l2d_error *err);
/* Parses buf[0..len) (buf holds len + 1 bytes, malloc'ed; *f takes it,
 * also on failure). */
int csv_parse(char *buf, size_t len, const char *label, struct csv_file *f,
              struct l2d_error *err);
void csv_free(struct csv_file *f);

static inline const char *csv_cell(const struct csv_file *f, size_t row, size_t col)
{
    return f->cells[row * f->n_cols + col];
}

/* A whole field as a number: 0 finite, 1 a number but not finite (nan,
 * inf), -1 not a number. */
int csv_number(const char *s, double *out);
/* Index of the column named `name`, or -1. */
long csv_column(const struct csv_file *f, const char *name);
#endif
