/* The canonical text of a configuration (what is stored with the results
 * and hashed): sections and keys in order, values quoted where iniparser
 * would otherwise read them back differently. */
#include "config.h"

#include "host/cfg_impl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int need = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (need < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)need < b->cap) {
            b->n += (size_t)need;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 1024) + (size_t)need;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A value as iniparser reads it back: quoted when it has a comment
 * character, blanks at an end, starts with a quote or ends with '\'. */
static void sb_value(struct sbuf *b, const char *v)
{
    size_t n = strlen(v);
    int need = !n || strpbrk(v, ";#") || isspace((unsigned char)v[0]) ||
               isspace((unsigned char)v[n - 1]) || v[0] == '"' || v[0] == '\'' ||
               v[n - 1] == '\\';
    if (!need)
        sb_add(b, "%s", v);
    else if (!strchr(v, '"'))
        sb_add(b, "\"%s\"", v);
    else
        sb_add(b, "'%s'", v);
}

const char *l2d_cfg_text(const struct l2d_cfg *cfg)
{
    if (cfg->text) return cfg->text;
    struct sbuf b = {0};
    for (size_t s = 0; s < cfg->nsec; s++) {
        sb_add(&b, "%s[%s]\n", s ? "\n" : "", cfg->secs[s].name);
        for (size_t e = 0; e < cfg->nent; e++)
            if (cfg->ents[e].sec == s) {
                sb_add(&b, "%s = ", cfg->ents[e].key);
                sb_value(&b, cfg->ents[e].value);
                sb_add(&b, "\n");
            }
    }
    if (!b.p) sb_add(&b, "%s", "");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    ((struct l2d_cfg *)cfg)->text = b.p; /* a cache: logically const */
    return cfg->text;
}

uint64_t l2d_cfg_hash(const struct l2d_cfg *cfg)
{
    const char *t = l2d_cfg_text(cfg);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)(t ? t : ""); *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}
