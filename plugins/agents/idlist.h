/* Comma-separated lists in agent parameters ("0,3,5", "C1, C2", "cat,dog"). */
#ifndef L2D_AGENTS_IDLIST_H
#define L2D_AGENTS_IDLIST_H
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copy the next item of *s (spaces around it removed) into tok and advance
 * *s past its comma. Returns 1 for an item, 0 at the end, -1 if an item is
 * longer than cap - 1. An empty item ("1,,2") comes back as "". */
static inline int idlist_next(const char **s, char *tok, size_t cap)
{
    const char *p = *s;
    if (!p || !*p)
        return 0;
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    *s = end ? end + 1 : p + len;
    while (len && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    if (len >= cap)
        return -1;
    memcpy(tok, p, len);
    tok[len] = '\0';
    return 1;
}

/* Whole-string non-negative decimal integer; 0 on success. */
static inline int idlist_uint(const char *tok, long *out)
{
    if (!isdigit((unsigned char)tok[0]))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(tok, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Does the list hold nothing but spaces? */
static inline int idlist_blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}
#endif
