/* Lookups in the configuration: values, where they were written, sections,
 * keys, agents, the experiment's name, database and seeds. */
#include "config.h"

#include "host/cfg_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/params.h"

const char *l2d_cfg_get(const struct l2d_cfg *cfg, const char *section, const char *key)
{
    const struct l2d_cfg_entry *e = l2d_cfg_find(cfg, section, key);
    return e ? e->value : NULL;
}

const char *l2d_cfg_where(const struct l2d_cfg *cfg, const char *section, const char *key,
                          char *buf, size_t n)
{
    const struct l2d_cfg_entry *e = l2d_cfg_find(cfg, section, key);
    if (e) return l2d_origin_format(&e->at, buf, n);
    long s = l2d_cfg_find_sec(cfg, section);
    if (s < 0) {
        snprintf(buf, n, "%s: [%s] %s", cfg->path, section, key);
        return buf;
    }
    const struct l2d_origin *at = &cfg->secs[s].at;
    if (at->file && at->line > 0 && !at->key) { /* the [section] line of the file */
        snprintf(buf, n, "%s:%d: [%s] %s", at->file, at->line, section, key);
        return buf;
    }
    char tmp[256]; /* made by --set, [sweep] or [method.*]: say so */
    snprintf(buf, n, "%s: [%s] %s", l2d_origin_format(at, tmp, sizeof tmp), section, key);
    return buf;
}

size_t l2d_cfg_nsections(const struct l2d_cfg *cfg) { return cfg->nsec; }

const char *l2d_cfg_section(const struct l2d_cfg *cfg, size_t i)
{
    return i < cfg->nsec ? cfg->secs[i].name : NULL;
}

int l2d_cfg_has_section(const struct l2d_cfg *cfg, const char *section)
{
    return l2d_cfg_find_sec(cfg, section) >= 0;
}

size_t l2d_cfg_nkeys(const struct l2d_cfg *cfg, const char *section)
{
    long s = l2d_cfg_find_sec(cfg, section);
    size_t n = 0;
    for (size_t e = 0; s >= 0 && e < cfg->nent; e++) n += cfg->ents[e].sec == (size_t)s;
    return n;
}

const char *l2d_cfg_key(const struct l2d_cfg *cfg, const char *section, size_t i)
{
    long s = l2d_cfg_find_sec(cfg, section);
    for (size_t e = 0; s >= 0 && e < cfg->nent; e++)
        if (cfg->ents[e].sec == (size_t)s && i-- == 0) return cfg->ents[e].key;
    return NULL;
}

size_t l2d_cfg_nagents(const struct l2d_cfg *cfg)
{
    size_t n = 0;
    for (size_t s = 0; s < cfg->nsec; s++) n += !strncmp(cfg->secs[s].name, "agent.", 6);
    return n;
}

const char *l2d_cfg_agent(const struct l2d_cfg *cfg, size_t i)
{
    for (size_t s = 0; s < cfg->nsec; s++)
        if (!strncmp(cfg->secs[s].name, "agent.", 6) && i-- == 0) return cfg->secs[s].name;
    return NULL;
}

const char *l2d_cfg_path(const struct l2d_cfg *cfg) { return cfg->path; }

const char *l2d_cfg_name(const struct l2d_cfg *cfg)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "name");
    return v && *v ? v : cfg->name;
}

const char *l2d_cfg_db(const struct l2d_cfg *cfg)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "db");
    if (v && *v) return v;
    if (!cfg->db) {
        /* a cache: logically const */
        struct l2d_cfg *c = (struct l2d_cfg *)cfg;
        const char *name = l2d_cfg_name(cfg);
        size_t n = strlen(name) + sizeof "results/.db";
        if ((c->db = malloc(n))) snprintf(c->db, n, "results/%s.db", name);
    }
    return cfg->db;
}

int l2d_split_list(const char *text, char sep, char ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == sep;
    char **out = calloc(cap, sizeof *out);
    if (!out) return -1;
    size_t k = 0;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *it = strndup(p, len);
        if (!it) {
            l2d_list_free(out, k);
            return -1;
        }
        char *t = l2d_cfg_trim(it);
        memmove(it, t, strlen(t) + 1);
        out[k++] = it;
        if (!end) break;
        p = end + 1;
    }
    *items = out;
    *n = k;
    return 0;
}

void l2d_list_free(char **items, size_t n)
{
    for (size_t k = 0; items && k < n; k++) free(items[k]);
    free(items);
}

int l2d_cfg_seeds(const struct l2d_cfg *cfg, int64_t **seeds, size_t *n, struct l2d_error *err)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "seeds");
    char where[256];
    l2d_cfg_where(cfg, "experiment", "seeds", where, sizeof where);
    *seeds = NULL;
    *n = 0;
    char **items;
    size_t m;
    if (l2d_split_list(v ? v : "0", ',', &items, &m))
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int64_t *out = malloc(m * sizeof *out);
    int rc = out ? 0 : l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < m; k++) {
        if (!*items[k]) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: empty seed in the list '%s'", where, v);
            break;
        }
        if (l2d_parse_int64(items[k], &out[k]) || out[k] < 0) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a seed (an integer >= 0)", where,
                            items[k]);
            break;
        }
        for (size_t j = 0; j < k; j++)
            if (out[j] == out[k]) {
                rc = l2d_seterr(err, L2D_EINVAL, "%s: seed %lld is listed twice", where,
                                (long long)out[k]);
                break;
            }
    }
    l2d_list_free(items, m);
    if (rc) {
        free(out);
        return rc;
    }
    *seeds = out;
    *n = m;
    return 0;
}
