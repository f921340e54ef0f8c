/* Data set splits and agents' answers for a cell (see cell_data.h). */
#include "config.h"

#include "host/cell_data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cell_attack.h"
#include "host/cfg.h"
#include "host/loader.h"
#include "host/params.h"
#include "l2d/engine.h"

/* Append "[sec]\nkey=value\n..." for every key of sec (but `skip`). */
static int append_section(char **buf, size_t *len, const struct l2d_cfg *cfg, const char *sec,
                          const char *skip)
{
    size_t need = strlen(sec) + 4;
    size_t nk = l2d_cfg_nkeys(cfg, sec);
    for (size_t k = 0; k < nk; k++) {
        const char *key = l2d_cfg_key(cfg, sec, k), *v = l2d_cfg_get(cfg, sec, key);
        need += strlen(key) + (v ? strlen(v) : 0) + 3;
    }
    char *b = realloc(*buf, *len + need + 1);
    if (!b) return -1;
    *buf = b;
    *len += (size_t)sprintf(b + *len, "[%s]\n", sec);
    for (size_t k = 0; k < nk; k++) {
        const char *key = l2d_cfg_key(cfg, sec, k), *v = l2d_cfg_get(cfg, sec, key);
        if (skip && !strcmp(key, skip)) continue;
        *len += (size_t)sprintf(b + *len, "%s=%s\n", key, v ? v : "");
    }
    return 0;
}

char *l2d_cell_data_key(const struct l2d_cfg *cfg, int64_t seed)
{
    char *buf = NULL;
    size_t len = 0;
    if (append_section(&buf, &len, cfg, "dataset", NULL)) goto oom;
    for (size_t k = 0; k < l2d_cfg_nagents(cfg); k++)
        if (append_section(&buf, &len, cfg, l2d_cfg_agent(cfg, k), "query_cost")) goto oom;
    char *b = realloc(buf, len + 32);
    if (!b) goto oom;
    snprintf(b + len, 32, "seed=%lld\n", (long long)seed);
    return b;
oom:
    free(buf);
    return NULL;
}

static void logf_(void (*log)(void *, const char *), void *self, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(void (*log)(void *, const char *), void *self, const char *fmt, ...)
{
    if (!log) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(self, msg);
}

static int load_split(struct l2d_cell_data *cd, enum l2d_split s, struct l2d_error *err)
{
    struct l2d_split_buf *b = &cd->split[s];
    size_t n = cd->info.n[s], dim = cd->info.dim, T = cd->info.tdim;
    b->x = malloc((n ? n : 1) * dim * sizeof *b->x);
    b->y = cd->info.n_classes ? malloc((n ? n : 1) * sizeof *b->y) : NULL;
    b->t = T ? malloc((n ? n : 1) * T * sizeof *b->t) : NULL;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!b->x || !idx || (cd->info.n_classes && !b->y) || (T && !b->t)) {
        free(idx);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory for %zu rows", n);
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    int rc = n ? cd->ds_ops->batch(cd->ds_state, s, idx, n, b->x, b->y, b->t, err) : 0;
    free(idx);
    b->data = (struct l2d_data){n, dim, b->x, b->y, b->t, T};
    return rc;
}

/* Open the cell's data set plugin ([dataset], default synthetic). *ops is
 * left untouched when the failure is the plugin's name or parameters. */
static int open_dataset(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int64_t seed,
                        void (*log)(void *self, const char *msg), void *log_self,
                        const struct l2d_dataset_ops **ops, void **state, struct l2d_error *err)
{
    *state = NULL;
    const char *dname = l2d_cfg_get(cfg, "dataset", "plugin");
    if (!dname) dname = "synthetic";
    const struct l2d_loaded *dl = l2d_registry_find(reg, L2D_KIND_DATASET, dname);
    if (!dl) return l2d_seterr(err, L2D_EINVAL, "[dataset] plugin: no dataset plugin named '%s'", dname);
    struct l2d_params p;
    int rc = l2d_cfg_params(cfg, "dataset", dl->desc->params, NULL, &p, err);
    if (rc) return rc;
    *ops = dl->desc->ops; /* set: what fails from here is the plugin's own open */
    struct l2d_host host = {sizeof host, (uint64_t)seed, NULL, log, log_self};
    rc = (*ops)->open(&p, &host, state, err);
    l2d_params_free(&p);
    if (rc) *state = NULL;
    return rc;
}

/* Create (not fit) the agent of section sec on the data set described by
 * info; *ops as for open_dataset. */
static int create_agent(const struct l2d_cfg *cfg, const struct l2d_registry *reg, const char *sec,
                        int64_t seed, const struct l2d_dataset_info *info,
                        void (*log)(void *self, const char *msg), void *log_self,
                        const struct l2d_agent_ops **ops, void **state, struct l2d_error *err)
{
    const char *pname = l2d_cfg_get(cfg, sec, "plugin");
    const struct l2d_loaded *pl = pname ? l2d_registry_find(reg, L2D_KIND_AGENT, pname) : NULL;
    if (!pl) return l2d_seterr(err, L2D_EINVAL, "[%s] plugin: no agent plugin named '%s'", sec, pname ? pname : "");
    struct l2d_params p;
    int rc = l2d_cfg_params(cfg, sec, pl->desc->params, NULL, &p, err);
    if (rc) return rc;
    *ops = pl->desc->ops; /* set: what fails from here is the plugin's own create */
    struct l2d_host host = {sizeof host, l2d_seed_mix((uint64_t)seed, sec), NULL, log, log_self};
    *state = NULL;
    rc = (*ops)->create(&p, &host, info, state, err);
    l2d_params_free(&p);
    return rc;
}

static int fit_agent(struct l2d_cell_data *cd, const struct l2d_cfg *cfg,
                     const struct l2d_registry *reg, size_t a, const char *sec, int64_t seed,
                     void (*log)(void *self, const char *msg), void *log_self,
                     struct l2d_error *err)
{
    const char *pname = l2d_cfg_get(cfg, sec, "plugin");
    const char *qc = l2d_cfg_get(cfg, sec, "query_cost");
    cd->query_cost[a] = 0;
    if (qc && l2d_parse_double(qc, &cd->query_cost[a]))
        return l2d_seterr(err, L2D_EINVAL, "[%s] query_cost: '%s' is not a number", sec, qc);
    const struct l2d_agent_ops *ops;
    void *st;
    int rc = create_agent(cfg, reg, sec, seed, &cd->info, log, log_self, &ops, &st, err);
    if (rc) return rc;
    if (!(cd->agent_name[a] = strdup(sec + 6)) || !(cd->agent_plugin[a] = strdup(pname))) {
        ops->destroy(st);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    unsigned outs = ops->outputs(st);
    rc = ops->fit(st, &cd->split[L2D_TRAIN].data, &cd->split[L2D_VAL].data, err);
    for (int s = 0; !rc && s < 3; s++) {
        struct l2d_split_buf *b = &cd->split[s];
        size_t n = b->data.n ? b->data.n : 1;
        if (outs & L2D_AGENT_CLASS) b->yhat[a] = malloc(n * sizeof *b->yhat[a]);
        if ((outs & L2D_AGENT_TARGET) && cd->info.tdim)
            b->that[a] = malloc(n * cd->info.tdim * sizeof *b->that[a]);
        if (outs & L2D_AGENT_COST) b->cost[a] = malloc(n * sizeof *b->cost[a]);
        if (((outs & L2D_AGENT_CLASS) && !b->yhat[a]) || ((outs & L2D_AGENT_COST) && !b->cost[a]) ||
            ((outs & L2D_AGENT_TARGET) && cd->info.tdim && !b->that[a]))
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
        else if (b->data.n)
            rc = ops->predict(st, &b->data, b->yhat[a], b->that[a], b->cost[a], err);
    }
    ops->destroy(st);
    if (rc) {
        char m[L2D_ERRMSG_MAX];
        snprintf(m, sizeof m, "%s", err->msg);
        l2d_seterr(err, rc, "[%s] %s: %s", sec, pname, m);
    }
    return rc;
}

int l2d_cell_data_build(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int64_t seed,
                        void (*log)(void *self, const char *msg), void *log_self,
                        struct l2d_cell_data **out, struct l2d_error *err)
{
    struct l2d_cell_data *cd = calloc(1, sizeof *cd);
    if (!cd || !(cd->key = l2d_cell_data_key(cfg, seed))) {
        free(cd);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    int rc = 0;
    const char *dname = l2d_cfg_get(cfg, "dataset", "plugin");
    if (!dname) dname = "synthetic";
    logf_(log, log_self, "loading data set '%s'", dname);
    if ((rc = open_dataset(cfg, reg, seed, log, log_self, &cd->ds_ops, &cd->ds_state, err))) goto fail;
    if ((rc = cd->ds_ops->info(cd->ds_state, &cd->info, err))) goto fail;
    for (int s = 0; s < 3; s++)
        if ((rc = load_split(cd, (enum l2d_split)s, err))) goto fail;
    if (!cd->info.n[L2D_TRAIN]) {
        rc = l2d_seterr(err, L2D_EINVAL, "[dataset] %s: the training split is empty", dname);
        goto fail;
    }

    cd->A = l2d_cfg_nagents(cfg);
    if (cd->A < 2 || cd->A > L2D_MAX_AGENTS) {
        rc = l2d_seterr(err, L2D_EINVAL, "%s: need 2 to 64 [agent.NAME] sections (the model, then experts), found %zu",
                        l2d_cfg_path(cfg), cd->A);
        goto fail;
    }
    for (size_t a = 0; a < cd->A; a++) {
        const char *sec = l2d_cfg_agent(cfg, a);
        logf_(log, log_self, "fitting agent %zu/%zu '%s'", a + 1, cd->A, sec + 6);
        if ((rc = fit_agent(cd, cfg, reg, a, sec, seed, log, log_self, err))) goto fail;
    }
    *out = cd;
    return 0;
fail:
    l2d_cell_data_free(cd);
    return rc;
}

void l2d_cell_data_free(struct l2d_cell_data *cd)
{
    if (!cd) return;
    for (int s = 0; s < 3; s++) {
        struct l2d_split_buf *b = &cd->split[s];
        free(b->x);
        free(b->y);
        free(b->t);
        for (size_t a = 0; a < L2D_MAX_AGENTS; a++) {
            free(b->yhat[a]);
            free(b->that[a]);
            free(b->cost[a]);
        }
    }
    for (size_t a = 0; a < L2D_MAX_AGENTS; a++) {
        free(cd->agent_name[a]);
        free(cd->agent_plugin[a]);
    }
    if (cd->ds_state) cd->ds_ops->close(cd->ds_state);
    free(cd->key);
    free(cd);
}

/* "file:line: [sec] key" of the key the plugin's message quotes first, by
 * name or else by value (else the section's plugin key), so that the error
 * points at the line to fix. */
static const char *blame(const struct l2d_cfg *cfg, const char *sec, const char *msg, char *buf,
                         size_t n)
{
    size_t nk = l2d_cfg_nkeys(cfg, sec);
    char q[300];
    for (int by_value = 0; by_value < 2; by_value++) {
        const char *best = NULL, *best_at = NULL;
        for (size_t k = 0; k < nk; k++) {
            const char *key = l2d_cfg_key(cfg, sec, k);
            const char *s = by_value ? l2d_cfg_get(cfg, sec, key) : key;
            if (!s || !*s) continue;
            snprintf(q, sizeof q, "'%s'", s);
            const char *at = strstr(msg, q);
            if (at && (!best_at || at < best_at)) best = key, best_at = at;
        }
        if (best) return l2d_cfg_where(cfg, sec, best, buf, n);
    }
    return l2d_cfg_where(cfg, sec, "plugin", buf, n);
}

static int preflight_fail(const struct l2d_cfg *cfg, const char *sec, const char *cell_id, int rc,
                          struct l2d_error *err)
{
    char msg[L2D_ERRMSG_MAX], where[512];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return l2d_seterr(err, rc == L2D_ENOMEM ? rc : L2D_EINVAL, "%s: %s (cell %s)",
                      blame(cfg, sec, msg, where, sizeof where), msg, cell_id);
}

/* What preflight learns of a data set and its agents. */
struct preflight {
    int ranged;              /* the data set declares a valid input range */
    unsigned n_classes, tdim; /* its labels and regression targets */
    size_t A;
    unsigned outs[L2D_MAX_AGENTS]; /* each agent's enum l2d_agent_output */
};

/* Open the data set of cfg and create every agent on its info. */
static int preflight_one(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int64_t seed,
                         const char *cell_id, struct preflight *pf, struct l2d_error *err)
{
    memset(pf, 0, sizeof *pf);
    const struct l2d_dataset_ops *dops = NULL;
    void *ds;
    int rc = open_dataset(cfg, reg, seed, NULL, NULL, &dops, &ds, err);
    if (rc) return dops ? preflight_fail(cfg, "dataset", cell_id, rc, err) : rc;
    struct l2d_dataset_info info;
    if ((rc = dops->info(ds, &info, err))) rc = preflight_fail(cfg, "dataset", cell_id, rc, err);
    pf->ranged = !rc && info.lo && info.hi;
    pf->n_classes = rc ? 0 : info.n_classes;
    pf->tdim = rc ? 0 : info.tdim;
    for (size_t a = 0; !rc && a < l2d_cfg_nagents(cfg) && a < L2D_MAX_AGENTS; a++) {
        const char *sec = l2d_cfg_agent(cfg, a);
        const struct l2d_agent_ops *ops = NULL;
        void *st;
        rc = create_agent(cfg, reg, sec, seed, &info, NULL, NULL, &ops, &st, err);
        if (rc && !ops) break; /* unknown plugin or a bad parameter: already named */
        if (rc) {
            rc = preflight_fail(cfg, sec, cell_id, rc, err);
        } else {
            pf->outs[pf->A++] = ops->outputs(st);
            ops->destroy(st);
        }
    }
    dops->close(ds);
    return rc;
}

/* The [cost] of a cell against what its data set and agents give (the
 * checks l2d_costs makes when the cell runs): refused here, before any
 * work, rather than as a failed run for each cell. */
static int preflight_costs(const struct l2d_cfg *cfg, const struct preflight *pf,
                           const char *cell_id, struct l2d_error *err)
{
    struct l2d_params pc;
    int rc = l2d_cfg_params(cfg, "cost", NULL, &pc, NULL, err);
    if (rc) return rc;
    const double lcla = l2d_param_double(&pc, "lambda_cla", 1);
    const double lreg = l2d_param_double(&pc, "lambda_reg", 0);
    const int iou = !strcmp(l2d_param_str(&pc, "reg", "smooth_l1"), "iou");
    const double bscale = l2d_param_double(&pc, "beta_scale", 1);
    l2d_params_free(&pc);
    char where[512];
    for (size_t a = 1; a < pf->A; a++) {
        const char *sec = l2d_cfg_agent(cfg, a), *qc = l2d_cfg_get(cfg, sec, "query_cost");
        double q = 0;
        if (qc && !l2d_parse_double(qc, &q) && !isfinite(bscale * q))
            return l2d_seterr(err, L2D_EINVAL,
                              "%s: beta = beta_scale * query_cost = %g * %g overflows (cell %s)",
                              l2d_cfg_where(cfg, sec, "query_cost", where, sizeof where), bscale,
                              q, cell_id);
    }
    const char *key = NULL;
    char why[300] = "";
    for (size_t a = 0; !key && a < pf->A; a++) {
        const char *name = l2d_cfg_agent(cfg, a) + 6;
        if (pf->outs[a] & L2D_AGENT_COST) continue; /* its own cost: no lambda applies */
        if (lcla > 0 && !pf->n_classes) {
            key = "lambda_cla";
            snprintf(why, sizeof why, "the data set has no class labels");
        } else if (lcla > 0 && !(pf->outs[a] & L2D_AGENT_CLASS)) {
            key = "lambda_cla";
            snprintf(why, sizeof why, "agent '%.100s' predicts no class", name);
        } else if (lreg > 0 && !pf->tdim) {
            key = "lambda_reg";
            snprintf(why, sizeof why, "the data set has no regression target");
        } else if (lreg > 0 && !(pf->outs[a] & L2D_AGENT_TARGET)) {
            key = "lambda_reg";
            snprintf(why, sizeof why, "agent '%.100s' predicts no regression target", name);
        }
    }
    if (key)
        return l2d_seterr(err, L2D_EINVAL, "%s: %s = %g but %s; set %s = 0 (cell %s)",
                          l2d_cfg_where(cfg, "cost", key, where, sizeof where), key,
                          !strcmp(key, "lambda_cla") ? lcla : lreg, why, key, cell_id);
    if (lreg > 0 && iou && pf->tdim && pf->tdim != 4)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: reg = iou needs 4 regression targets (x1,y1,x2,y2), the data set "
                          "has %u (cell %s)",
                          l2d_cfg_where(cfg, "cost", "reg", where, sizeof where), pf->tdim,
                          cell_id);
    return 0;
}

int l2d_cells_preflight(const struct l2d_cell *cells, size_t n, const struct l2d_registry *reg,
                        struct l2d_error *err)
{
    char **seen = NULL;
    struct preflight *pf = NULL; /* per seen data set and agents */
    size_t nseen = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *key = l2d_cell_data_key(cells[i].cfg, 0); /* the seed only picks the split */
        char **grown = key ? realloc(seen, (nseen + 1) * sizeof *seen) : NULL;
        if (grown) seen = grown;
        struct preflight *rgrown = grown ? realloc(pf, (nseen + 1) * sizeof *pf) : NULL;
        if (rgrown) pf = rgrown;
        if (!grown || !rgrown) {
            free(key);
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        size_t k = 0;
        while (k < nseen && strcmp(seen[k], key)) k++;
        if (k < nseen) {
            free(key);
        } else {
            seen[nseen] = key;
            rc = preflight_one(cells[i].cfg, reg, cells[i].seed, cells[i].id, &pf[nseen], err);
            nseen++;
        }
        int clamps = 0;
        if (!rc) rc = l2d_attack_clamps(cells[i].cfg, reg, &clamps, err);
        if (!rc && clamps && !pf[k].ranged) {
            char where[512];
            const char *d = l2d_cfg_get(cells[i].cfg, "dataset", "plugin");
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s: clamp = true, but data set '%s' has no valid input range "
                            "(set clamp = false for tabular data)",
                            l2d_cfg_where(cells[i].cfg, "attack", "clamp", where, sizeof where),
                            d ? d : "synthetic");
        }
        if (!rc) rc = preflight_costs(cells[i].cfg, &pf[k], cells[i].id, err);
    }
    for (size_t k = 0; k < nseen; k++) free(seen[k]);
    free(seen);
    free(pf);
    return rc;
}
