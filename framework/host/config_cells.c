/* A sweep's cells without building them all: the identity of each cell (a
 * hash of its resolved settings and seed) in O(number of swept keys), its
 * id and configuration on demand. What makes 10^6 cells cheap to list,
 * resume and shard.
 *
 * Identity. A cell's settings are the entries of its resolved configuration
 * outside [experiment] (name, seeds, db, device, threads, description are
 * bookkeeping) and [sweep]/[method.*] (already applied): each (section, key,
 * value) with the value normalised (list items trimmed, numbers as %.17g, so
 * 0.50 and 0.5 are one setting), agent sections numbered in their order (the
 * first is the model), a plugin-naming key with the plugin's version, and
 * the plugin a section defaults to when it names none. The set is hashed
 * entry by entry and the entries' hashes summed (two 64-bit lanes), so that
 * the order of sections and keys does not matter, and a cell's key is its
 * method's base sum plus its swept values' terms. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cfg_impl.h"
#include "host/params.h"

struct h2 {
    uint64_t a, b;
};

/* How plugins are seen: their versions and their parameters' schemas. */
struct idctx {
    l2d_version_fn ver;
    l2d_schema_resolver schema;
    void *self;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fnv(uint64_t *h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        *h ^= *p;
        *h *= 0x100000001b3ULL;
    }
    *h ^= 0x1f; /* field separator */
    *h *= 0x100000001b3ULL;
}

static struct h2 h2_add(struct h2 x, struct h2 y) { return (struct h2){x.a + y.a, x.b + y.b}; }
static struct h2 h2_sub(struct h2 x, struct h2 y) { return (struct h2){x.a - y.a, x.b - y.b}; }

/* "64, 64" -> "64,64"; "0.50" -> "0.5"; "1e-3" -> "0.001". */
static void norm_value(const char *v, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    const char *p = v;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t il = comma ? (size_t)(comma - p) : strlen(p);
        char item[256];
        if (il >= sizeof item) il = sizeof item - 1;
        memcpy(item, p, il);
        item[il] = 0;
        char *t = l2d_cfg_trim(item);
        char *end;
        double x = *t ? strtod(t, &end) : 0;
        char num[40];
        if (*t && !*end && isfinite(x)) {
            snprintf(num, sizeof num, "%.17g", x);
            t = num;
        }
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", p == v ? "" : ",", t);
        if (len >= n) {
            out[n - 1] = 0;
            return;
        }
        if (!comma) break;
        p = comma + 1;
    }
}

/* The label of a section in the identity: agents by position and name. */
static void sec_label(const struct l2d_cfg *cfg, const char *sec, char *out, size_t n)
{
    if (!strncmp(sec, "agent.", 6)) {
        for (size_t a = 0; a < l2d_cfg_nagents(cfg); a++)
            if (!strcmp(l2d_cfg_agent(cfg, a), sec)) {
                snprintf(out, n, "agent#%zu.%s", a, sec + 6);
                return;
            }
    }
    snprintf(out, n, "%s", sec);
}

static int in_identity(const char *sec)
{
    return strcmp(sec, "experiment") && strcmp(sec, "sweep") && strncmp(sec, "method.", 7);
}

static struct h2 entry_hash(const struct l2d_cfg *cfg, const char *sec, const char *key, const char *value,
                            const struct idctx *id)
{
    char label[160], nv[1200];
    sec_label(cfg, sec, label, sizeof label);
    norm_value(value, nv, sizeof nv);
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
    const char *parts[4] = {label, key, nv, ""};
    const char *pkey;
    enum l2d_kind kind = l2d_cfg_section_plugin(sec, &pkey);
    if (kind && pkey && !strcmp(key, pkey) && id->ver) {
        const char *v = id->ver(id->self, kind, value);
        parts[3] = v ? v : "";
    }
    for (int k = 0; k < 4; k++) {
        fnv(&a, parts[k]);
        fnv(&b, parts[k]);
    }
    return (struct h2){mix64(a), mix64(b ^ 0x9e3779b97f4a7c15ULL)};
}

static struct h2 seed_hash(int64_t seed)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRId64, seed);
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
    fnv(&a, "seed");
    fnv(&b, "seed");
    fnv(&a, s);
    fnv(&b, s);
    return (struct h2){mix64(a), mix64(b ^ 0x9e3779b97f4a7c15ULL)};
}

/* The defaults plugin NAME (of the section's kind) gives the keys the
 * section leaves out (those the framework's schema has are counted there). */
static struct h2 plugin_defaults(const struct l2d_cfg *cfg, const char *sec, const char *name, const struct idctx *id)
{
    struct h2 sum = {0, 0};
    const char *pkey;
    enum l2d_kind kind = l2d_cfg_section_plugin(sec, &pkey);
    const struct l2d_param_spec *ps = kind && name && id->schema ? id->schema(id->self, kind, name) : NULL;
    const struct l2d_param_spec *fs = l2d_cfg_schema(sec);
    for (; ps && ps->key; ps++)
        if (ps->def && !l2d_cfg_get(cfg, sec, ps->key) && !l2d_schema_find(fs, ps->key))
            sum = h2_add(sum, entry_hash(cfg, sec, ps->key, ps->def, id));
    return sum;
}

/* The defaults of the keys a section leaves out: the framework's, then its
 * plugin's. A key written at its default value is the same setting as the
 * key left out. */
static struct h2 section_defaults(const struct l2d_cfg *cfg, const char *sec, const struct idctx *id)
{
    struct h2 sum = {0, 0};
    const struct l2d_param_spec *fs = l2d_cfg_schema(sec);
    for (const struct l2d_param_spec *f = fs; f && f->key; f++)
        if (f->def && !l2d_cfg_get(cfg, sec, f->key)) sum = h2_add(sum, entry_hash(cfg, sec, f->key, f->def, id));
    const char *pkey;
    if (l2d_cfg_section_plugin(sec, &pkey) && pkey) {
        const char *name = l2d_cfg_get(cfg, sec, pkey);
        const struct l2d_param_spec *d = name ? NULL : l2d_schema_find(fs, pkey);
        sum = h2_add(sum, plugin_defaults(cfg, sec, name ? name : d ? d->def : NULL, id));
    }
    return sum;
}

/* The whole settings sum of a resolved configuration (no [sweep], no
 * methods): its entries, and the defaults of what it leaves out, in the
 * sections a run reads ([attack] only when present, as validation does). */
static struct h2 settings_sum(const struct l2d_cfg *cfg, const struct idctx *id)
{
    struct h2 sum = {0, 0};
    for (size_t e = 0; e < cfg->nent; e++) {
        const char *sec = cfg->secs[cfg->ents[e].sec].name;
        if (in_identity(sec)) sum = h2_add(sum, entry_hash(cfg, sec, cfg->ents[e].key, cfg->ents[e].value, id));
    }
    static const char *const always[] = {"dataset", "cost", "rejector", "train", "eval"};
    size_t nal = sizeof always / sizeof *always;
    for (size_t s = 0; s < cfg->nsec + nal; s++) {
        const char *sec = s < cfg->nsec ? cfg->secs[s].name : always[s - cfg->nsec];
        if (s >= cfg->nsec && l2d_cfg_has_section(cfg, sec)) continue;
        if (in_identity(sec)) sum = h2_add(sum, section_defaults(cfg, sec, id));
    }
    return sum;
}

/* The term of swept key sk at value v: its entry and, for a key naming the
 * section's plugin, that plugin's defaults. */
static struct h2 swept_term(const struct l2d_cfg *cfg, const struct l2d_sweep_key *sk, const char *v,
                            const struct idctx *id)
{
    struct h2 t = entry_hash(cfg, sk->sec, sk->key, v, id);
    const char *pkey;
    if (l2d_cfg_section_plugin(sk->sec, &pkey) && pkey && !strcmp(pkey, sk->key))
        t = h2_add(t, plugin_defaults(cfg, sk->sec, v, id));
    return t;
}

static void hex32(struct h2 h, char out[33]) { snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, h.a, h.b); }

void l2d_cfg_identity(const struct l2d_cfg *cfg, int64_t seed, l2d_version_fn ver, l2d_schema_resolver schema,
                      void *self, char cell_key[33], char setting_key[33])
{
    struct idctx id = {ver, schema, self};
    struct h2 s = settings_sum(cfg, &id);
    if (setting_key) hex32(s, setting_key);
    if (cell_key) hex32(h2_add(s, seed_hash(seed)), cell_key);
}

/* ---- the cell set ---- */

struct l2d_cellset {
    struct l2d_cfg *cfg; /* a copy of the configuration expanded */
    struct l2d_plan plan;
    size_t n;            /* ncombos x nseeds */
    struct h2 *base;     /* per method: settings without the swept keys */
    struct h2 **term;    /* term[m * nsweep + k][v]: swept key k at value v under method m */
    struct h2 *seedh;    /* per seed */
};

void l2d_cellset_free(struct l2d_cellset *cs)
{
    if (!cs) return;
    size_t nm = cs->plan.nmethods ? cs->plan.nmethods : 1;
    for (size_t k = 0; cs->term && k < nm * cs->plan.nsweep; k++) free(cs->term[k]);
    free(cs->term);
    free(cs->base);
    free(cs->seedh);
    l2d_plan_free(&cs->plan);
    l2d_cfg_free(cs->cfg);
    free(cs);
}

int l2d_cellset_make(const struct l2d_cfg *cfg, l2d_version_fn ver, l2d_schema_resolver schema, void *self,
                     struct l2d_cellset **out, struct l2d_error *err)
{
    struct idctx id = {ver, schema, self};
    *out = NULL;
    struct l2d_cellset *cs = calloc(1, sizeof *cs);
    if (!cs || !(cs->cfg = l2d_cfg_copy(cfg))) {
        free(cs);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    int rc = l2d_plan_make(cs->cfg, &cs->plan, err);
    if (rc) {
        l2d_cfg_free(cs->cfg);
        free(cs);
        return rc;
    }
    const struct l2d_plan *p = &cs->plan;
    size_t nm = p->nmethods ? p->nmethods : 1;
    cs->n = p->ncombos * p->nseeds;
    cs->base = calloc(nm, sizeof *cs->base);
    cs->term = calloc(nm * p->nsweep + 1, sizeof *cs->term);
    cs->seedh = calloc(p->nseeds + 1, sizeof *cs->seedh);
    size_t *choice = calloc(p->nsweep + 1, sizeof *choice);
    if (!cs->base || !cs->term || !cs->seedh || !choice) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t s = 0; !rc && s < p->nseeds; s++) cs->seedh[s] = seed_hash(p->seeds[s]);
    for (size_t m = 0; !rc && m < nm; m++) {
        struct l2d_cfg *c;
        if ((rc = l2d_plan_apply(cs->cfg, p, m, choice, &c, err))) break;
        struct h2 b = settings_sum(c, &id);
        for (size_t k = 0; !rc && k < p->nsweep; k++) {
            const struct l2d_sweep_key *sk = &p->sweep[k];
            struct h2 *t = cs->term[m * p->nsweep + k] = calloc(sk->nvalues, sizeof *t);
            if (!t) {
                rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                break;
            }
            for (size_t v = 0; v < sk->nvalues; v++) t[v] = swept_term(c, sk, sk->values[v], &id);
            b = h2_sub(b, t[0]);
        }
        cs->base[m] = b;
        l2d_cfg_free(c);
    }
    free(choice);
    if (rc) {
        l2d_cellset_free(cs);
        return rc;
    }
    *out = cs;
    return 0;
}

size_t l2d_cellset_count(const struct l2d_cellset *cs) { return cs->n; }
size_t l2d_cellset_nseeds(const struct l2d_cellset *cs) { return cs->plan.nseeds; }

/* cell i = combination i / nseeds, seed i % nseeds */
static void decode(const struct l2d_cellset *cs, size_t i, size_t *method, size_t *choice, size_t *seed)
{
    *seed = i % cs->plan.nseeds;
    l2d_plan_combo(&cs->plan, i / cs->plan.nseeds, method, choice);
}

void l2d_cellset_key(const struct l2d_cellset *cs, size_t i, char cell_key[33], char setting_key[33])
{
    const struct l2d_plan *p = &cs->plan;
    size_t choice[64], method, seed;
    size_t *ch = p->nsweep <= 64 ? choice : malloc(p->nsweep * sizeof *ch);
    if (!ch) { /* cannot happen for sane sweeps; an all-zero key marks it */
        if (cell_key) memset(cell_key, '0', 32), cell_key[32] = 0;
        if (setting_key) memset(setting_key, '0', 32), setting_key[32] = 0;
        return;
    }
    decode(cs, i, &method, ch, &seed);
    struct h2 s = cs->base[method];
    for (size_t k = 0; k < p->nsweep; k++) s = h2_add(s, cs->term[method * p->nsweep + k][ch[k]]);
    if (ch != choice) free(ch);
    if (setting_key) hex32(s, setting_key);
    if (cell_key) hex32(h2_add(s, cs->seedh[seed]), cell_key);
}

int l2d_cellset_relevant(const struct l2d_cellset *cs, size_t i, int (*relevant)(const char *sec, const char *key))
{
    const struct l2d_plan *p = &cs->plan;
    if (i % p->nseeds) return 0;
    size_t choice[64], method, seed;
    if (p->nsweep > 64) return 1;
    decode(cs, i, &method, choice, &seed);
    for (size_t k = 0; k < p->nsweep; k++)
        if (choice[k] && !relevant(p->sweep[k].sec, p->sweep[k].key)) return 0;
    return 1;
}

int l2d_cellset_cell(const struct l2d_cellset *cs, size_t i, struct l2d_cell *cell, struct l2d_error *err)
{
    memset(cell, 0, sizeof *cell);
    const struct l2d_plan *p = &cs->plan;
    size_t method, seed;
    size_t *choice = calloc(p->nsweep + 1, sizeof *choice);
    if (!choice) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    decode(cs, i, &method, choice, &seed);
    struct l2d_cfg *c;
    int rc = l2d_plan_apply(cs->cfg, p, method, choice, &c, err);
    if (!rc) rc = l2d_cell_fill(cs->cfg, p, method, choice, p->seeds[seed], c, cell, err);
    free(choice);
    if (!rc) l2d_cellset_key(cs, i, cell->key, cell->setting);
    if (rc) l2d_cell_clear(cell);
    return rc;
}

void l2d_cell_clear(struct l2d_cell *cell)
{
    l2d_cells_free_one(cell);
    memset(cell, 0, sizeof *cell);
}

char *l2d_cellset_id(const struct l2d_cellset *cs, size_t i)
{
    const struct l2d_plan *p = &cs->plan;
    size_t method, seed;
    size_t *choice = calloc(p->nsweep + 1, sizeof *choice);
    if (!choice) return NULL;
    decode(cs, i, &method, choice, &seed);
    size_t n = 48 + (p->nmethods ? strlen(p->methods[method]) : 0);
    for (size_t k = 0; k < p->nsweep; k++) n += strlen(p->sweep[k].entry->key) + strlen(p->sweep[k].values[choice[k]]) + 2;
    char *id = malloc(n), *q = id;
    if (id) {
        if (p->nmethods) q += sprintf(q, "method=%s;", p->methods[method] + 7);
        for (size_t k = 0; k < p->nsweep; k++)
            q += sprintf(q, "%s=%s;", p->sweep[k].entry->key, p->sweep[k].values[choice[k]]);
        sprintf(q, "seed=%" PRId64, p->seeds[seed]);
    }
    free(choice);
    return id;
}
