/* The experiment configuration as data: sections and key = value entries
 * in order, each with its origin (file:line or --set), shared helpers of
 * config*.c, copying and freeing. */
#include "config.h"

#include "host/cfg_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------- */

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

void l2d_cfg_lower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

/* Trim blanks at both ends in place; returns the start. */
char *l2d_cfg_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

int l2d_cfg_name_ok(const char *s, int dots)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' ||
              *s == '-' || (dots && *s == '.')))
            return 0;
    return 1;
}

void l2d_origin_free(struct l2d_origin *at)
{
    free(at->file);
    free(at->sec);
    free(at->key);
    memset(at, 0, sizeof *at);
}

static int origin_copy(struct l2d_origin *dst, const struct l2d_origin *src)
{
    memset(dst, 0, sizeof *dst);
    dst->line = src->line;
    dst->file = dupstr(src->file);
    dst->sec = dupstr(src->sec);
    dst->key = dupstr(src->key);
    if ((src->file && !dst->file) || (src->sec && !dst->sec) || (src->key && !dst->key)) {
        l2d_origin_free(dst);
        return -1;
    }
    return 0;
}

const char *l2d_origin_format(const struct l2d_origin *at, char *buf, size_t n)
{
    if (!at->file)
        snprintf(buf, n, "--set %s%s%s", at->sec ? at->sec : "", at->key ? "." : "",
                 at->key ? at->key : "");
    else if (at->line > 0)
        snprintf(buf, n, "%s:%d: [%s]%s%s", at->file, at->line, at->sec ? at->sec : "",
                 at->key ? " " : "", at->key ? at->key : "");
    else
        snprintf(buf, n, "%s: [%s]%s%s", at->file, at->sec ? at->sec : "", at->key ? " " : "",
                 at->key ? at->key : "");
    return buf;
}

void l2d_cfg_changed(struct l2d_cfg *cfg)
{
    free(cfg->text);
    cfg->text = NULL;
    free(cfg->db);
    cfg->db = NULL;
}

/* ---- the entry list ------------------------------------------------------ */

long l2d_cfg_find_sec(const struct l2d_cfg *cfg, const char *name)
{
    for (size_t s = 0; s < cfg->nsec; s++)
        if (!strcmp(cfg->secs[s].name, name)) return (long)s;
    return -1;
}

long l2d_cfg_add_sec(struct l2d_cfg *cfg, const char *name, const struct l2d_origin *at)
{
    if (cfg->nsec == cfg->capsec) {
        size_t cap = cfg->capsec ? 2 * cfg->capsec : 16;
        struct l2d_cfg_sec *p = realloc(cfg->secs, cap * sizeof *p);
        if (!p) return -1;
        cfg->secs = p;
        cfg->capsec = cap;
    }
    struct l2d_cfg_sec *s = &cfg->secs[cfg->nsec];
    s->name = strdup(name);
    if (!s->name) return -1;
    if (origin_copy(&s->at, at)) {
        free(s->name);
        return -1;
    }
    l2d_cfg_changed(cfg);
    return (long)cfg->nsec++;
}

const struct l2d_cfg_entry *l2d_cfg_find(const struct l2d_cfg *cfg, const char *section,
                                         const char *key)
{
    long s = l2d_cfg_find_sec(cfg, section);
    if (s < 0) return NULL;
    for (size_t e = 0; e < cfg->nent; e++)
        if (cfg->ents[e].sec == (size_t)s && !strcmp(cfg->ents[e].key, key)) return &cfg->ents[e];
    return NULL;
}

int l2d_cfg_put(struct l2d_cfg *cfg, const char *section, const char *key, const char *value,
                const struct l2d_origin *at, struct l2d_error *err)
{
    struct l2d_cfg_entry *e = (struct l2d_cfg_entry *)l2d_cfg_find(cfg, section, key);
    if (e) {
        char *v = strdup(value);
        struct l2d_origin o;
        if (!v || origin_copy(&o, at)) {
            free(v);
            return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        }
        free(e->value);
        l2d_origin_free(&e->at);
        e->value = v;
        e->at = o;
        l2d_cfg_changed(cfg);
        return 0;
    }
    long s = l2d_cfg_find_sec(cfg, section);
    if (s < 0 && (s = l2d_cfg_add_sec(cfg, section, at)) < 0)
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    if (cfg->nent == cfg->capent) {
        size_t cap = cfg->capent ? 2 * cfg->capent : 32;
        struct l2d_cfg_entry *p = realloc(cfg->ents, cap * sizeof *p);
        if (!p) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        cfg->ents = p;
        cfg->capent = cap;
    }
    e = &cfg->ents[cfg->nent];
    e->sec = (size_t)s;
    e->key = strdup(key);
    e->value = strdup(value);
    if (!e->key || !e->value || origin_copy(&e->at, at)) {
        free(e->key);
        free(e->value);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    cfg->nent++;
    l2d_cfg_changed(cfg);
    return 0;
}

void l2d_cfg_drop_section(struct l2d_cfg *cfg, const char *section)
{
    long s = l2d_cfg_find_sec(cfg, section);
    if (s < 0) return;
    size_t w = 0;
    for (size_t e = 0; e < cfg->nent; e++) {
        struct l2d_cfg_entry *x = &cfg->ents[e];
        if (x->sec == (size_t)s) {
            free(x->key);
            free(x->value);
            l2d_origin_free(&x->at);
            continue;
        }
        if (x->sec > (size_t)s) x->sec--;
        cfg->ents[w++] = *x;
    }
    cfg->nent = w;
    free(cfg->secs[s].name);
    l2d_origin_free(&cfg->secs[s].at);
    memmove(&cfg->secs[s], &cfg->secs[s + 1], (cfg->nsec - (size_t)s - 1) * sizeof *cfg->secs);
    cfg->nsec--;
    l2d_cfg_changed(cfg);
}

void l2d_cfg_free(struct l2d_cfg *cfg)
{
    if (!cfg) return;
    for (size_t e = 0; e < cfg->nent; e++) {
        free(cfg->ents[e].key);
        free(cfg->ents[e].value);
        l2d_origin_free(&cfg->ents[e].at);
    }
    for (size_t s = 0; s < cfg->nsec; s++) {
        free(cfg->secs[s].name);
        l2d_origin_free(&cfg->secs[s].at);
    }
    free(cfg->ents);
    free(cfg->secs);
    free(cfg->path);
    free(cfg->name);
    free(cfg->db);
    free(cfg->text);
    free(cfg);
}

struct l2d_cfg *l2d_cfg_new(const char *path)
{
    struct l2d_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    cfg->path = strdup(path);
    /* default experiment name: base name without ".ini" */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    cfg->name = strdup(base);
    if (!cfg->path || !cfg->name) {
        l2d_cfg_free(cfg);
        return NULL;
    }
    size_t n = strlen(cfg->name);
    if (n > 4 && !strcmp(cfg->name + n - 4, ".ini")) cfg->name[n - 4] = 0;
    return cfg;
}

struct l2d_cfg *l2d_cfg_copy(const struct l2d_cfg *cfg)
{
    struct l2d_cfg *c = l2d_cfg_new(cfg->path);
    if (!c) return NULL;
    free(c->name);
    c->name = strdup(cfg->name);
    if (!c->name) goto fail;
    for (size_t s = 0; s < cfg->nsec; s++)
        if (l2d_cfg_add_sec(c, cfg->secs[s].name, &cfg->secs[s].at) < 0) goto fail;
    for (size_t e = 0; e < cfg->nent; e++) {
        const struct l2d_cfg_entry *x = &cfg->ents[e];
        if (l2d_cfg_put(c, cfg->secs[x->sec].name, x->key, x->value, &x->at, NULL)) goto fail;
    }
    return c;
fail:
    l2d_cfg_free(c);
    return NULL;
}
