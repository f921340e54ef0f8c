/* "64, 32" -> {64, 32}: layer widths from a config value. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "l2d/engine.h"

int l2d_parse_sizes(const char *s, size_t *out, int max)
{
    if (!s || max < 0) return -1;
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '\0') return 0;
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!isdigit((unsigned char)*p)) return -1; /* also rejects signs and empty items */
        errno = 0;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno == ERANGE || v == 0 || v > (unsigned long long)SIZE_MAX / 2) return -1;
        if (n >= max) return -1;
        out[n++] = (size_t)v;
        p = end;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '\0') return n;
        if (*p != ',') return -1;
        p++;
    }
}
