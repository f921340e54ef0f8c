/* An experiment, end to end: config -> cells -> runs in the database. */
#include "config.h"

#include "host/runner.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/train.h"
#include "host/cell_attack.h"
#include "host/cell_data.h"
#include "host/cell_run.h"
#include "host/cfg.h"
#include "host/device_desc.h"
#include "host/loader.h"
#include "host/params.h"
#include "host/store.h"
#include "l2d/l2d.h"

static const struct l2d_param_spec no_params[] = {L2D_PARAMS_END};

static const struct l2d_param_spec *resolve(void *self, enum l2d_kind kind, const char *name)
{
    const struct l2d_loaded *it = l2d_registry_find(self, kind, name);
    if (!it) return NULL;
    return it->desc->params ? it->desc->params : no_params;
}

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct ctx {
    const struct l2d_run_opts *o;
    size_t cell, ncells, ntodo;
    size_t nleft;                      /* cells after this one still to train */
    const char *cell_id;
    const struct l2d_device_desc *dev; /* where the cells run */
    struct l2d_store *st;              /* claims are renewed while a cell trains */
    const char *owner;
    double lease, renewed;
    char notices[8][256];              /* notices passed on already (on_notice) */
    size_t nnotices;
};

static void emit(struct ctx *c, enum l2d_run_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emit(struct ctx *c, enum l2d_run_event_kind kind, const char *fmt, ...)
{
    if (!c->o->event) return;
    char msg[L2D_ERRMSG_MAX + 256] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    struct l2d_run_event ev = {kind, c->cell, c->ncells, c->ntodo, c->cell_id, 0, 0, NAN, NAN, msg, c->nleft};
    c->o->event(c->o->event_self, &ev);
}

/* Keep this worker's claim alive while its cell trains (a failure to renew
 * only risks another worker training the cell too: the second write is
 * then refused, nothing is lost). */
static void renew(struct ctx *c)
{
    if (!c->st || !c->owner) return;
    double t = now_unix();
    if (t - c->renewed < c->lease / 4) return;
    struct l2d_error e = {0};
    if (!l2d_store_claim_renew(c->st, c->owner, c->lease, &e)) c->renewed = t;
}

static void on_log(void *self, const char *msg)
{
    renew(self);
    emit(self, L2D_EV_STAGE, "%s", msg);
}

/* A notice from training (a plugin on a GPU run's slow path): every cell of
 * a sweep would say it again, so each distinct text is passed on once. */
static void on_notice(void *self, const char *msg)
{
    struct ctx *c = self;
    for (size_t k = 0; k < c->nnotices; k++)
        if (!strcmp(c->notices[k], msg)) return;
    if (c->nnotices < sizeof c->notices / sizeof *c->notices) {
        snprintf(c->notices[c->nnotices], sizeof c->notices[0], "%s", msg);
        c->nnotices++;
    }
    emit(c, L2D_EV_NOTICE, "%s", msg);
}

static void on_epoch(void *self, int epoch, int epochs, double loss, double risk)
{
    struct ctx *c = self;
    renew(c);
    if (!c->o->event) return;
    struct l2d_run_event ev = {L2D_EV_EPOCH, c->cell, c->ncells, c->ntodo, c->cell_id, epoch, epochs, loss, risk, "", c->nleft};
    c->o->event(c->o->event_self, &ev);
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* The device the cells run on: --device, else [experiment] device, else the
 * CPU; it must be there (an error naming it and what exists, before any
 * work). It then leaves the configuration, so that the experiment's text and
 * hash, and so its identity, do not depend on it: results are comparable,
 * and resumable, across devices; each run records where it ran. */
static int choose_device(const struct l2d_run_opts *o, struct l2d_cfg *cfg,
                         struct l2d_device_desc *dev, struct l2d_error *err)
{
    const char *spec = o->device ? o->device : l2d_cfg_get(cfg, "experiment", "device");
    char where[512] = "--device";
    if (!o->device) l2d_cfg_where(cfg, "experiment", "device", where, sizeof where);
    struct l2d_error derr = {0, ""};
    int rc = l2d_device_describe(spec ? spec : "cpu", dev, &derr);
    if (rc) return l2d_seterr(err, rc, "%s: %s", where, derr.msg);
    if (l2d_cfg_get(cfg, "experiment", "device"))
        return l2d_cfg_unset(cfg, "experiment.device", err);
    return 0;
}

/* mkdir of the database's directory when it is missing (one level). */
static int ensure_parent(const char *path, struct l2d_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[1024];
    if ((size_t)(slash - path) >= sizeof dir) return l2d_seterr(err, L2D_EINVAL, "%s: path too long", path);
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    struct stat st;
    if (!stat(dir, &st)) return 0;
    if (mkdir(dir, 0777) && errno != EEXIST)
        return l2d_seterr(err, L2D_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
    return 0;
}

/* The plugins the cells use, once each, for the experiment's record. */
static size_t plugins_used(const struct l2d_registry *reg, const struct l2d_cell *cells, size_t n,
                           struct l2d_plugin_use *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct l2d_cfg *cfg = cells[i].cfg;
        struct { enum l2d_kind kind; const char *name; } want[L2D_MAX_AGENTS + 3];
        size_t nw = 0;
        const char *d = l2d_cfg_get(cfg, "dataset", "plugin");
        want[nw++].kind = L2D_KIND_DATASET, want[nw - 1].name = d ? d : "synthetic";
        for (size_t a = 0; a < l2d_cfg_nagents(cfg) && a < L2D_MAX_AGENTS; a++)
            want[nw].kind = L2D_KIND_AGENT, want[nw++].name = l2d_cfg_get(cfg, l2d_cfg_agent(cfg, a), "plugin");
        const char *s = l2d_cfg_get(cfg, "train", "surrogate");
        want[nw].kind = L2D_KIND_SURROGATE, want[nw++].name = s ? s : "ce";
        if (l2d_cfg_has_section(cfg, "attack")) {
            const char *a = l2d_cfg_get(cfg, "attack", "plugin");
            want[nw].kind = L2D_KIND_ATTACK, want[nw++].name = a ? a : "pgd";
        }
        for (size_t w = 0; w < nw; w++) {
            const struct l2d_loaded *it = want[w].name ? l2d_registry_find(reg, want[w].kind, want[w].name) : NULL;
            if (!it) continue;
            size_t j = 0;
            while (j < k && !(!strcmp(out[j].name, it->desc->name) && !strcmp(out[j].kind, l2d_kind_name(want[w].kind)))) j++;
            if (j == k && k < max)
                out[k++] = (struct l2d_plugin_use){l2d_kind_name(want[w].kind), it->desc->name, it->desc->version, it->path};
        }
    }
    return k;
}

/* Cell data (splits and agents' answers) by key: cells that share a data
 * set, agents and seed reuse them, however the sweep orders the cells
 * (seeds vary fastest). Least recently used goes first when full. */
#define CACHE_MAX 16
struct data_cache {
    struct l2d_cell_data *cd[CACHE_MAX];
    uint64_t used[CACHE_MAX];
    uint64_t clock;
};

static int cache_get(struct data_cache *dc, const struct l2d_cell *cell,
                     const struct l2d_registry *reg, struct ctx *c, struct l2d_cell_data **out,
                     struct l2d_error *err)
{
    char *key = l2d_cell_data_key(cell->cfg, cell->seed);
    if (!key) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    size_t slot = 0;
    for (size_t k = 0; k < CACHE_MAX; k++) {
        if (dc->cd[k] && !strcmp(dc->cd[k]->key, key)) {
            free(key);
            dc->used[k] = ++dc->clock;
            *out = dc->cd[k];
            return 0;
        }
        if (!dc->cd[k] || (dc->cd[slot] && dc->used[k] < dc->used[slot])) slot = k;
    }
    free(key);
    l2d_cell_data_free(dc->cd[slot]);
    dc->cd[slot] = NULL;
    int rc = l2d_cell_data_build(cell->cfg, reg, cell->seed, on_log, c, &dc->cd[slot], err);
    if (rc) return rc;
    dc->used[slot] = ++dc->clock;
    *out = dc->cd[slot];
    return 0;
}

static void cache_free(struct data_cache *dc)
{
    for (size_t k = 0; k < CACHE_MAX; k++) l2d_cell_data_free(dc->cd[k]);
}

/* ---- identity: plugin versions, older runs ---- */

static const char *reg_version(void *self, enum l2d_kind kind, const char *name)
{
    const struct l2d_loaded *it = l2d_registry_find(self, kind, name);
    return it ? it->desc->version : NULL;
}

struct db_ver {
    struct l2d_store *st;
    int64_t eid;
    const struct l2d_registry *reg;
    char buf[8][64];
    int k;
};

/* The version an older experiment recorded; the installed one when it
 * recorded none (attacks were not recorded before schema version 3). */
static const struct l2d_param_spec *db_schema(void *self, enum l2d_kind kind, const char *name)
{
    struct db_ver *d = self;
    return resolve((void *)d->reg, kind, name);
}

static const char *db_version(void *self, enum l2d_kind kind, const char *name)
{
    struct db_ver *d = self;
    char *b = d->buf[d->k++ % 8];
    if (!l2d_store_plugin_version(d->st, d->eid, l2d_kind_name(kind), name, b, sizeof d->buf[0])) return b;
    return reg_version((void *)d->reg, kind, name);
}

/* Runs recorded before schema version 3 get their identity from their
 * experiment's stored configuration, so that they count as done where the
 * settings match. */
static int backfill_keys(struct l2d_store *st, const char *name, const struct l2d_registry *reg,
                         struct l2d_error *err)
{
    int64_t *ids;
    char **texts;
    size_t n;
    int rc = l2d_store_unkeyed(st, name, &ids, &texts, &n, err);
    for (size_t k = 0; !rc && k < n; k++) {
        char path[] = "/tmp/l2d-legacy-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) {
            rc = l2d_seterr(err, L2D_EIO, "%s: a temporary file for experiment %lld's configuration: %s",
                            l2d_store_path(st), (long long)ids[k], strerror(errno));
            break;
        }
        FILE *f = fdopen(fd, "w");
        int wok = f && fputs(texts[k], f) >= 0;
        if (f ? fclose(f) : close(fd)) wok = 0;
        struct l2d_cfg *cfg = NULL;
        struct l2d_cellset *cs = NULL;
        struct l2d_error lerr = {0};
        struct db_ver dv = {st, ids[k], reg, {{0}}, 0};
        /* a configuration this l2d cannot read any more keeps its runs unkeyed */
        if (wok && !l2d_cfg_load(path, &cfg, &lerr) && !l2d_cellset_make(cfg, db_version, db_schema, &dv, &cs, &lerr)) {
            rc = l2d_store_begin(st, err);
            for (size_t i = 0; !rc && i < l2d_cellset_count(cs); i++) {
                char key[33], setting[33];
                char *id = l2d_cellset_id(cs, i);
                if (!id) {
                    rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                    break;
                }
                l2d_cellset_key(cs, i, key, setting);
                rc = l2d_store_set_key(st, ids[k], id, key, setting, err);
                free(id);
            }
            if (!rc) rc = l2d_store_commit(st, err);
            else l2d_store_rollback(st);
        }
        unlink(path);
        l2d_cellset_free(cs);
        l2d_cfg_free(cfg);
    }
    for (size_t k = 0; k < n; k++) free(texts[k]);
    free(texts);
    free(ids);
    return rc;
}

/* Sections and keys that decide a cell's data set, agents, costs and
 * plugins: preflight and the plugin list look at one cell per distinct
 * combination of these. */
static int data_relevant(const char *sec, const char *key)
{
    const char *pkey;
    if (l2d_cfg_section_plugin(sec, &pkey) && pkey && !strcmp(key, pkey)) return 1;
    return !strcmp(sec, "dataset") || !strncmp(sec, "agent.", 6) || !strcmp(sec, "cost") ||
           !strcmp(sec, "attack");
}

static int in_shard(const struct l2d_run_opts *o, size_t i)
{
    return o->shard_count <= 1 || i % o->shard_count == o->shard_index;
}

/* ---- running ---- */

static int link_cell(struct l2d_store *st, int64_t exp_id, const struct l2d_cellset *cs, size_t i,
                     struct l2d_error *err);

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Train cell i (claimed) and record it. *stop: stop the sweep (out of
 * memory, interrupted). */
static int run_one(struct ctx *c, struct l2d_store *st, int64_t exp_id, const struct l2d_registry *reg,
                   const struct l2d_cellset *cs, size_t i, struct data_cache *dc, struct l2d_run_summary *sum,
                   int *first_rc, char *first_msg, size_t first_len, int *stop, struct l2d_error *err)
{
    struct l2d_cell cellv, *cell = &cellv;
    int rc = l2d_cellset_cell(cs, i, cell, err);
    if (rc) return rc;
    c->cell_id = cell->id;
    emit(c, L2D_EV_CELL_START, NULL);
    double t0 = now_unix();
    c->renewed = t0;
    struct l2d_error cerr = {0};
    struct l2d_cell_result res = {0};
    res.best_epoch = -1;
    struct l2d_cell_data *cd = NULL;
    int crc = cache_get(dc, cell, reg, c, &cd, &cerr);
    const double t_agents = now_unix() - t0;
    if (!crc) {
        struct l2d_cell_progress pg = {on_epoch, c, c->dev->index, on_notice};
        crc = l2d_cell_run(cell->cfg, reg, cd, cell->seed, &pg, &res, &cerr);
    }
    double t1 = now_unix();
    size_t nep = 0; /* epochs actually run: a failed run keeps its curve */
    while (nep < res.nepochs && res.epochs[nep].epoch > 0) nep++;
    struct l2d_run_record rec = {
        cell->id, cell->method, cell->seed, cell->nparams,
        (const char *const *)cell->keys, (const char *const *)cell->values,
        crc ? "failed" : "done", crc ? cerr.msg : NULL, c->dev->spec, t0, t1, t1 - t0,
        crc ? -1 : res.best_epoch, crc ? -1 : res.passes, nep, res.epochs,
        crc ? 0 : res.nmetrics, res.metrics, crc ? 0 : res.nagent, res.agent,
        nonempty(c->dev->info.name), nonempty(c->dev->cuda_driver),
        nonempty(c->dev->cuda_runtime), nonempty(c->dev->cudnn),
        cell->key, cell->setting, c->owner, t_agents, res.train_seconds};
    struct l2d_error werr = {0};
    /* an interrupted cell is not recorded: its claim is dropped and the
     * next run trains it */
    int wrc = crc == L2D_EINTERRUPTED ? 0 : l2d_store_write_run(st, exp_id, &rec, &werr);
    l2d_cell_result_free(&res);
    if (wrc) {
        rc = l2d_seterr(err, wrc, "%s: cannot record run %s: %s", l2d_store_path(st), cell->id, werr.msg);
    } else if (crc) {
        sum->failed++;
        emit(c, L2D_EV_CELL_FAIL, "%s", cerr.msg);
        if (!*first_rc) {
            *first_rc = crc;
            snprintf(first_msg, first_len, "%s: %s", cell->id, cerr.msg);
        }
        if (crc == L2D_EINTERRUPTED || crc == L2D_ENOMEM) *stop = 1;
    } else {
        sum->ran++;
        emit(c, L2D_EV_CELL_DONE, "%.1fs", t1 - t0);
    }
    c->cell_id = NULL;
    l2d_cell_clear(cell);
    return rc;
}

/* The j-th cell a worker looks at: alone, the sweep's order; worker k of K
 * (--jobs) goes seed by seed (cells of one seed share their data and fitted
 * agents, which the cache keeps) starting at seed k S / K, so that workers
 * rarely fit the same agents. */
static size_t scan_order(const struct l2d_cellset *cs, const struct l2d_run_opts *o, size_t j)
{
    if (o->worker_count <= 1) return j;
    size_t ns = l2d_cellset_nseeds(cs), nc = l2d_cellset_count(cs) / ns;
    size_t off = (size_t)o->worker_index * ns / o->worker_count;
    return (j % nc) * ns + (j / nc + off) % ns;
}

/* The cells of this shard: each is claimed before it is trained; a cell
 * another worker holds is retried until it is done, failed in this sweep,
 * or its claim lapses. */
static int run_cells(struct ctx *c, struct l2d_store *st, int64_t exp_id, const struct l2d_registry *reg,
                     const struct l2d_cellset *cs, const struct l2d_key_state *ks, size_t nks,
                     struct l2d_run_summary *sum, struct l2d_error *err)
{
    const struct l2d_run_opts *o = c->o;
    struct data_cache dc = {{NULL}, {0}, 0};
    int first_rc = 0, stop = 0, rc = 0;
    char first_msg[2 * L2D_ERRMSG_MAX] = "";
    double since = now_unix();
    size_t n = l2d_cellset_count(cs), npend = 0;
    size_t *pend = NULL;
    c->nleft = 0; /* the shard's cells not done at the start */
    for (size_t i = 0; i < n; i++) {
        char key[33];
        l2d_cellset_key(cs, i, key, NULL);
        const struct l2d_key_state *k = l2d_key_state_find(ks, nks, key);
        c->nleft += in_shard(o, i) && !(k && k->done);
    }
    for (int pass = 0; !rc && !stop; pass++) {
        size_t np = 0, count = pass ? npend : n;
        if (pass && !npend) break;
        if (pass) sleep_s(pass < 5 ? 0.25 * pass : 2); /* others' cells may train for hours: back off */
        for (size_t j = 0; j < count && !rc && !stop; j++) {
            size_t i = pass ? pend[j] : scan_order(cs, o, j);
            if (!pass && !in_shard(o, i)) continue;
            if (!pass) c->cell++;
            char key[33];
            l2d_cellset_key(cs, i, key, NULL);
            const struct l2d_key_state *k = pass ? NULL : l2d_key_state_find(ks, nks, key);
            if (!pass && !(k && k->done) && c->nleft) c->nleft--;
            int state = L2D_CLAIM_DONE;
            if (l2d_interrupted) {
                rc = l2d_seterr(err, L2D_EINTERRUPTED, "interrupted");
                break;
            }
            if (!(k && k->done) && (rc = l2d_store_claim(st, exp_id, key, c->owner, c->lease, since, &state, err)))
                break;
            if (state == L2D_CLAIM_DONE && !(k && k->done) && (rc = link_cell(st, exp_id, cs, i, err))) break;
            if (state == L2D_CLAIM_DONE || state == L2D_CLAIM_FAILED) {
                if (state == L2D_CLAIM_DONE) sum->skipped++;
                else sum->others_failed++;
                char *id = l2d_cellset_id(cs, i);
                c->cell_id = id;
                emit(c, L2D_EV_CELL_SKIP, state == L2D_CLAIM_DONE ? "already done" : "failed in another worker");
                c->cell_id = NULL;
                free(id);
            } else if (state == L2D_CLAIM_BUSY) {
                if (!pass) {
                    size_t *np2 = realloc(pend, (npend + 1) * sizeof *pend);
                    if (!np2) {
                        rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                        break;
                    }
                    pend = np2;
                    pend[npend++] = i;
                } else {
                    pend[np++] = i;
                }
                sum->waited++;
            } else {
                rc = run_one(c, st, exp_id, reg, cs, i, &dc, sum, &first_rc, first_msg, sizeof first_msg, &stop, err);
            }
        }
        if (pass) npend = np;
        if (!pass && npend) emit(c, L2D_EV_STAGE, "waiting for %zu cells other workers train", npend);
    }
    free(pend);
    struct l2d_error e2 = {0};
    l2d_store_claim_release(st, c->owner, &e2); /* an interrupted or failed worker's claims */
    cache_free(&dc);
    if (!rc && first_rc)
        rc = l2d_seterr(err, first_rc, "%zu of %zu runs failed; first: %s", sum->failed, sum->failed + sum->ran,
                        first_msg);
    return rc;
}

/* A done run of the same experiment name and settings answers cell i of
 * this experiment (another configuration, or another method with the same
 * settings, ran it). */
static int link_cell(struct l2d_store *st, int64_t exp_id, const struct l2d_cellset *cs, size_t i,
                     struct l2d_error *err)
{
    struct l2d_cell cell;
    int rc = l2d_cellset_cell(cs, i, &cell, err);
    if (rc) return rc;
    size_t len = 1;
    for (size_t p = 0; p < cell.nparams; p++) len += strlen(cell.keys[p]) + strlen(cell.values[p]) + 2;
    char *params = malloc(len), *q = params;
    if (!params) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    else {
        *q = 0;
        for (size_t p = 0; p < cell.nparams; p++)
            if (strcmp(cell.keys[p], "method"))
                q += sprintf(q, "%s%s=%s", q == params ? "" : ";", cell.keys[p], cell.values[p]);
        rc = l2d_store_link_done(st, exp_id, cell.key, cell.id, cell.method, params, err);
    }
    free(params);
    l2d_cell_clear(&cell);
    return rc;
}

/* Done runs that another configuration of the same experiment name ran
 * answer this experiment's cells too. */
static int link_done(struct l2d_store *st, int64_t exp_id, const struct l2d_cellset *cs,
                     const struct l2d_key_state *ks, size_t nks, struct l2d_error *err)
{
    if (!nks) return 0;
    int rc = l2d_store_begin(st, err);
    for (size_t i = 0; !rc && i < l2d_cellset_count(cs); i++) {
        char key[33];
        l2d_cellset_key(cs, i, key, NULL);
        const struct l2d_key_state *k = l2d_key_state_find(ks, nks, key);
        if (k && k->done && k->experiment_id != exp_id) rc = link_cell(st, exp_id, cs, i, err);
    }
    if (!rc) rc = l2d_store_commit(st, err);
    else l2d_store_rollback(st);
    return rc;
}

/* --dry-run: each cell of the shard as done, failed or to run. */
static void list_cells(struct ctx *c, const struct l2d_cellset *cs, const struct l2d_key_state *ks, size_t nks,
                       struct l2d_run_summary *sum)
{
    for (size_t i = 0; i < l2d_cellset_count(cs); i++) {
        if (!in_shard(c->o, i)) continue;
        c->cell++;
        char key[33];
        l2d_cellset_key(cs, i, key, NULL);
        const struct l2d_key_state *k = l2d_key_state_find(ks, nks, key);
        const char *what = !k ? "to run" : k->done ? "done" : "failed";
        if (!k) sum->todo++;
        else if (k->done) sum->skipped++;
        else sum->failed++;
        if (!c->o->event) continue;
        char *id = l2d_cellset_id(cs, i);
        c->cell_id = id;
        emit(c, L2D_EV_CELL_STATUS, "%s", what);
        c->cell_id = NULL;
        free(id);
    }
}

int l2d_run_experiment(const struct l2d_run_opts *o, struct l2d_run_summary *sum,
                       struct l2d_error *err)
{
    memset(sum, 0, sizeof *sum);
    struct l2d_registry reg = {0};
    struct l2d_cfg *cfg = NULL;
    struct l2d_cellset *cs = NULL;
    struct l2d_cell *pre = NULL;
    size_t npre = 0, n = 0, nks = 0;
    struct l2d_key_state *ks = NULL;
    struct l2d_store *st = NULL;
    struct l2d_device_desc dev;
    char owner[256];
    int rc;
    if (o->device && !l2d_device_spec_ok(o->device)) /* a usage error, before anything */
        return l2d_seterr(err, L2D_EINVAL, "--device: '%s' is not a device (cpu, cuda or cuda:N)",
                          o->device);
    if ((rc = l2d_registry_default(&reg, o->plugin_path, err))) goto out;
    if ((rc = l2d_cfg_load(o->config_path, &cfg, err))) goto out;
    for (size_t k = 0; k < o->nsets; k++)
        if ((rc = o->sets[k][0] == '-' ? l2d_cfg_unset(cfg, o->sets[k] + 1, err)
                                        : l2d_cfg_set(cfg, o->sets[k], err)))
            goto out;
    if ((rc = l2d_cfg_validate(cfg, resolve, &reg, err))) goto out;
    if ((rc = choose_device(o, cfg, &dev, err))) goto out;
    if ((rc = l2d_cellset_make(cfg, reg_version, resolve, &reg, &cs, err))) goto out;
    n = l2d_cellset_count(cs);
    const char *threads = l2d_cfg_get(cfg, "experiment", "threads");
    l2d_set_threads(threads ? atoi(threads) : 1); /* validated: an integer >= 1 */
    if (o->shard_count > 1 && o->shard_index >= o->shard_count) {
        rc = l2d_seterr(err, L2D_EINVAL, "--shard %u/%u: the index must be below the count",
                        o->shard_index, o->shard_count);
        goto out;
    }
    /* preflight and the plugin list: one cell per distinct data set, agents, costs, plugins */
    for (size_t i = 0; i < n; i++) npre += l2d_cellset_relevant(cs, i, data_relevant);
    if (!(pre = calloc(npre + 1, sizeof *pre))) {
        rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0, k = 0; !rc && i < n && k < npre; i++)
        if (l2d_cellset_relevant(cs, i, data_relevant)) rc = l2d_cellset_cell(cs, i, &pre[k++], err);
    if (rc || (rc = l2d_cells_preflight(pre, npre, &reg, err))) goto out;
    const char *db = o->db_path ? o->db_path : l2d_cfg_db(cfg);
    const char *name = l2d_cfg_name(cfg);
    snprintf(sum->db_path, sizeof sum->db_path, "%s", db);
    snprintf(sum->experiment, sizeof sum->experiment, "%s", name);
    sum->ncells = n;
    l2d_store_owner(owner, sizeof owner);
    struct ctx c = {.o = o, .ncells = n, .dev = &dev, .owner = owner,
                    .lease = o->claim_lease > 0 ? o->claim_lease : 300};
    for (size_t i = 0; i < n; i++) c.ntodo += in_shard(o, i);
    emit(&c, L2D_EV_PLAN, "%zu cells, %zu in this shard", n, c.ntodo);
    struct stat sb;
    if (o->dry_run && stat(db, &sb)) { /* no database yet: every cell is to run */
        list_cells(&c, cs, NULL, 0, sum);
        goto out;
    }
    if ((rc = ensure_parent(db, err)) || (rc = l2d_store_open(db, &st, err))) goto out;
    if ((rc = backfill_keys(st, name, &reg, err))) goto out;
    if ((rc = l2d_store_key_states(st, name, &ks, &nks, err))) goto out;
    if (o->dry_run) {
        list_cells(&c, cs, ks, nks, sum);
        goto out;
    }
    struct l2d_plugin_use used[L2D_MAX_AGENTS + 8];
    size_t nused = plugins_used(&reg, pre, npre, used, sizeof used / sizeof *used);
    int64_t exp_id;
    if ((rc = l2d_store_experiment(st, name, l2d_cfg_text(cfg), l2d_cfg_hash(cfg), l2d_version(), nused, used,
                                   &exp_id, err)))
        goto out;
    sum->started = 1;
    if ((rc = link_done(st, exp_id, cs, ks, nks, err))) goto out;
    c.st = st;
    rc = run_cells(&c, st, exp_id, &reg, cs, ks, nks, sum, err);
out:
    free(ks);
    l2d_store_close(st);
    l2d_cells_free(pre, npre);
    l2d_cellset_free(cs);
    l2d_cfg_free(cfg);
    l2d_registry_free(&reg);
    return rc;
}
