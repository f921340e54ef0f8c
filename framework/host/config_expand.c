/* From one configuration to the cells of an experiment:
 * methods x Cartesian product of the [sweep] keys x seeds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host/cfg_impl.h"

#define MAX_CELLS 1000000u

static int is_method(const char *section) { return !strncmp(section, "method.", 7); }

/* A [sweep] or [method.*] key: which section.key it sets. */
static int target(const struct l2d_cfg_entry *e, char **sec,
                  char **key, struct l2d_error *err)
{
    char where[256];
    l2d_origin_format(&e->at, where, sizeof where);
    if (l2d_cfg_split_target(e->key, sec, key))
        return l2d_seterr(err, L2D_EINVAL, "%s: expected section.key (e.g. train.lr)", where);
    const char *why = NULL;
    if (!l2d_cfg_section_known(*sec))
        why = "names an unknown section";
    else if (!strcmp(*sec, "experiment"))
        why = "cannot change [experiment] (one experiment, one database, one list of seeds)";
    else if (!strcmp(*sec, "sweep") || is_method(*sec))
        why = "cannot change [sweep] or [method.*]";
    if (why) {
        free(*sec);
        free(*key);
        *sec = *key = NULL;
        return l2d_seterr(err, L2D_EINVAL, "%s: %s", where, why);
    }
    return 0;
}

void l2d_plan_free(struct l2d_plan *plan)
{
    for (size_t k = 0; k < plan->nsweep; k++) {
        free(plan->sweep[k].sec);
        free(plan->sweep[k].key);
        l2d_list_free(plan->sweep[k].values, plan->sweep[k].nvalues);
    }
    free(plan->sweep);
    free(plan->methods);
    free(plan->seeds);
    memset(plan, 0, sizeof *plan);
}

static int sweep_key(const struct l2d_cfg_entry *e,
                     struct l2d_sweep_key *sk, struct l2d_error *err)
{
    char where[256];
    l2d_origin_format(&e->at, where, sizeof where);
    sk->entry = e;
    int rc = target(e, &sk->sec, &sk->key, err);
    if (rc) return rc;
    /* '|' separates when present, so values holding commas can be swept */
    char sep = strchr(e->value, '|') ? '|' : ',';
    if (l2d_split_list(e->value, sep, &sk->values, &sk->nvalues))
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t v = 0; v < sk->nvalues; v++) {
        if (!*sk->values[v])
            return l2d_seterr(err, L2D_EINVAL, "%s: empty value in the list '%s'", where,
                              e->value);
        for (size_t u = 0; u < v; u++)
            if (!strcmp(sk->values[u], sk->values[v]))
                return l2d_seterr(err, L2D_EINVAL, "%s: value '%s' is listed twice", where,
                                  sk->values[v]);
    }
    return 0;
}

int l2d_plan_make(const struct l2d_cfg *cfg, struct l2d_plan *plan, struct l2d_error *err)
{
    memset(plan, 0, sizeof *plan);
    int rc = 0;
    plan->methods = calloc(cfg->nsec + 1, sizeof *plan->methods);
    plan->sweep = calloc(cfg->nent + 1, sizeof *plan->sweep);
    if (!plan->methods || !plan->sweep) {
        l2d_plan_free(plan);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    for (size_t s = 0; s < cfg->nsec; s++)
        if (is_method(cfg->secs[s].name)) plan->methods[plan->nmethods++] = cfg->secs[s].name;
    for (size_t e = 0; !rc && e < cfg->nent; e++) {
        const struct l2d_cfg_entry *x = &cfg->ents[e];
        const char *sec = cfg->secs[x->sec].name;
        if (!strcmp(sec, "sweep")) {
            rc = sweep_key(x, &plan->sweep[plan->nsweep++], err);
        } else if (is_method(sec)) {
            char *ts, *tk;
            if ((rc = target(x, &ts, &tk, err))) break;
            free(ts);
            free(tk);
        }
    }
    /* a method's setting that is also swept would be overwritten in every cell */
    for (size_t e = 0; !rc && e < cfg->nent; e++) {
        const struct l2d_cfg_entry *x = &cfg->ents[e];
        if (!is_method(cfg->secs[x->sec].name)) continue;
        for (size_t k = 0; k < plan->nsweep; k++)
            if (!strcmp(x->key, plan->sweep[k].entry->key)) {
                char where[256], other[256];
                rc = l2d_seterr(err, L2D_EINVAL, "%s: also swept (%s); set it in one place",
                                l2d_origin_format(&x->at, where, sizeof where),
                                l2d_origin_format(&plan->sweep[k].entry->at, other,
                                                  sizeof other));
                break;
            }
    }
    if (!rc) rc = l2d_cfg_seeds(cfg, &plan->seeds, &plan->nseeds, err);
    if (!rc) {
        size_t n = plan->nmethods ? plan->nmethods : 1;
        for (size_t k = 0; k < plan->nsweep && n <= MAX_CELLS; k++) n *= plan->sweep[k].nvalues;
        if (n > MAX_CELLS || n * plan->nseeds > MAX_CELLS)
            rc = l2d_seterr(err, L2D_EINVAL, "%s: more than %u cells (methods x sweep x seeds)",
                            cfg->path, MAX_CELLS);
        plan->ncombos = n;
    }
    if (rc) l2d_plan_free(plan);
    return rc;
}

void l2d_plan_combo(const struct l2d_plan *plan, size_t k, size_t *method, size_t *choice)
{
    for (size_t i = plan->nsweep; i-- > 0;) { /* the last key fastest */
        choice[i] = k % plan->sweep[i].nvalues;
        k /= plan->sweep[i].nvalues;
    }
    *method = k;
}

int l2d_plan_apply(const struct l2d_cfg *cfg, const struct l2d_plan *plan, size_t method,
                   const size_t *choice, struct l2d_cfg **out, struct l2d_error *err)
{
    struct l2d_cfg *c = l2d_cfg_copy(cfg);
    *out = NULL;
    if (!c) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    l2d_cfg_drop_section(c, "sweep");
    for (size_t m = 0; m < plan->nmethods; m++) l2d_cfg_drop_section(c, plan->methods[m]);
    int rc = 0;
    if (plan->nmethods)
        for (size_t e = 0; !rc && e < cfg->nent; e++) {
            const struct l2d_cfg_entry *x = &cfg->ents[e];
            if (strcmp(cfg->secs[x->sec].name, plan->methods[method])) continue;
            char *ts, *tk;
            if (l2d_cfg_split_target(x->key, &ts, &tk)) {
                rc = l2d_seterr(err, L2D_EINTERNAL, "[%s] %s: bad target", plan->methods[method],
                                x->key);
                break;
            }
            rc = l2d_cfg_put(c, ts, tk, x->value, &x->at, err);
            free(ts);
            free(tk);
        }
    for (size_t k = 0; !rc && k < plan->nsweep; k++) {
        const struct l2d_sweep_key *sk = &plan->sweep[k];
        rc = l2d_cfg_put(c, sk->sec, sk->key, sk->values[choice[k]], &sk->entry->at, err);
    }
    if (rc) {
        l2d_cfg_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void l2d_cells_free_one(struct l2d_cell *c)
{
    l2d_cfg_free(c->cfg);
    free(c->method);
    l2d_list_free(c->keys, c->nparams);
    l2d_list_free(c->values, c->nparams);
    free(c->id);
}

void l2d_cells_free(struct l2d_cell *cells, size_t n)
{
    for (size_t k = 0; cells && k < n; k++) l2d_cells_free_one(&cells[k]);
    free(cells);
}

static char *join_id(const struct l2d_cell *c)
{
    size_t n = 32;
    for (size_t k = 0; k < c->nparams; k++) n += strlen(c->keys[k]) + strlen(c->values[k]) + 2;
    char *id = malloc(n), *p = id;
    if (!id) return NULL;
    for (size_t k = 0; k < c->nparams; k++)
        p += sprintf(p, "%s=%s;", c->keys[k], c->values[k]);
    sprintf(p, "seed=%lld", (long long)c->seed);
    return id;
}

/* Fill one cell from the combination's configuration (taken over). */
int l2d_cell_fill(const struct l2d_cfg *cfg, const struct l2d_plan *plan, size_t method,
                  const size_t *choice, int64_t seed, struct l2d_cfg *c,
                  struct l2d_cell *cell, struct l2d_error *err)
{
    cell->cfg = c;
    cell->seed = seed;
    size_t np = plan->nsweep + (plan->nmethods ? 1 : 0);
    cell->keys = calloc(np + 1, sizeof *cell->keys);
    cell->values = calloc(np + 1, sizeof *cell->values);
    if (!cell->keys || !cell->values) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    cell->method = strdup(plan->nmethods ? plan->methods[method] + 7 : "default");
    if (!cell->method) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    if (plan->nmethods) {
        cell->keys[0] = strdup("method");
        cell->values[0] = strdup(cell->method);
        cell->nparams = 1;
        if (!cell->keys[0] || !cell->values[0]) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < plan->nsweep; k++) {
        size_t i = cell->nparams++;
        cell->keys[i] = strdup(plan->sweep[k].entry->key);
        cell->values[i] = strdup(plan->sweep[k].values[choice[k]]);
        if (!cell->keys[i] || !cell->values[i]) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    if (!(cell->id = join_id(cell))) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    /* the cell runs one seed: say so in its configuration */
    char sv[32];
    snprintf(sv, sizeof sv, "%lld", (long long)seed);
    const struct l2d_cfg_entry *se = l2d_cfg_find(cfg, "experiment", "seeds");
    struct l2d_origin at = {cfg->path, 0, "experiment", "seeds"};
    return l2d_cfg_put(c, "experiment", "seeds", sv, se ? &se->at : &at, err);
}

int l2d_cfg_expand(const struct l2d_cfg *cfg, struct l2d_cell **cells, size_t *n,
                   struct l2d_error *err)
{
    *cells = NULL;
    *n = 0;
    struct l2d_plan plan;
    int rc = l2d_plan_make(cfg, &plan, err);
    if (rc) return rc;
    size_t total = plan.ncombos * plan.nseeds, done = 0;
    struct l2d_cell *out = calloc(total ? total : 1, sizeof *out);
    size_t *choice = calloc(plan.nsweep + 1, sizeof *choice);
    if (!out || !choice) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < plan.ncombos; k++) {
        size_t method;
        struct l2d_cfg *base;
        l2d_plan_combo(&plan, k, &method, choice);
        if ((rc = l2d_plan_apply(cfg, &plan, method, choice, &base, err))) break;
        for (size_t s = 0; !rc && s < plan.nseeds; s++) {
            struct l2d_cfg *c = s + 1 < plan.nseeds ? l2d_cfg_copy(base) : base;
            if (!c) {
                rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                break;
            }
            if (c == base) base = NULL;
            rc = l2d_cell_fill(cfg, &plan, method, choice, plan.seeds[s], c, &out[done++], err);
        }
        l2d_cfg_free(base);
    }
    free(choice);
    l2d_plan_free(&plan);
    if (rc) {
        l2d_cells_free(out, done);
        return rc;
    }
    *cells = out;
    *n = total;
    return 0;
}

size_t l2d_cfg_ncells(const struct l2d_cfg *cfg, struct l2d_error *err)
{
    struct l2d_plan plan;
    if (l2d_plan_make(cfg, &plan, err)) return 0;
    size_t n = plan.ncombos * plan.nseeds;
    l2d_plan_free(&plan);
    return n;
}
