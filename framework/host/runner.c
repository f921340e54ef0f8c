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
    const char *cell_id;
    const struct l2d_device_desc *dev; /* where the cells run */
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
    struct l2d_run_event ev = {kind, c->cell, c->ncells, c->ntodo, c->cell_id, 0, 0, NAN, NAN, msg};
    c->o->event(c->o->event_self, &ev);
}

static void on_log(void *self, const char *msg) { emit(self, L2D_EV_STAGE, "%s", msg); }

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
    if (!c->o->event) return;
    struct l2d_run_event ev = {L2D_EV_EPOCH, c->cell, c->ncells, c->ntodo, c->cell_id, epoch, epochs, loss, risk, ""};
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
        struct { enum l2d_kind kind; const char *name; } want[L2D_MAX_AGENTS + 2];
        size_t nw = 0;
        const char *d = l2d_cfg_get(cfg, "dataset", "plugin");
        want[nw++].kind = L2D_KIND_DATASET, want[nw - 1].name = d ? d : "synthetic";
        for (size_t a = 0; a < l2d_cfg_nagents(cfg) && a < L2D_MAX_AGENTS; a++)
            want[nw].kind = L2D_KIND_AGENT, want[nw++].name = l2d_cfg_get(cfg, l2d_cfg_agent(cfg, a), "plugin");
        const char *s = l2d_cfg_get(cfg, "train", "surrogate");
        want[nw].kind = L2D_KIND_SURROGATE, want[nw++].name = s ? s : "ce";
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

static int run_cells(struct ctx *c, struct l2d_store *st, int64_t exp_id,
                     const struct l2d_registry *reg, const struct l2d_cell *cells, size_t n,
                     struct l2d_run_summary *sum, struct l2d_error *err)
{
    const struct l2d_run_opts *o = c->o;
    struct data_cache dc = {{NULL}, {0}, 0};
    int first_rc = 0;
    char first_msg[2 * L2D_ERRMSG_MAX] = "";
    size_t todo_index = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (o->shard_count > 1 && i % o->shard_count != o->shard_index) continue;
        const struct l2d_cell *cell = &cells[i];
        c->cell = ++todo_index;
        c->cell_id = cell->id;
        int done = 0;
        if ((rc = l2d_store_run_done(st, exp_id, cell->id, &done, err))) break;
        if (done) {
            sum->skipped++;
            emit(c, L2D_EV_CELL_SKIP, "already done");
            continue;
        }
        if (l2d_interrupted) {
            rc = l2d_seterr(err, L2D_EINTERRUPTED, "interrupted");
            break;
        }
        emit(c, L2D_EV_CELL_START, NULL);
        double t0 = now_unix();
        struct l2d_error cerr = {0};
        struct l2d_cell_result res = {0};
        res.best_epoch = -1;
        struct l2d_cell_data *cd = NULL;
        int crc = cache_get(&dc, cell, reg, c, &cd, &cerr);
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
            nonempty(c->dev->cuda_runtime), nonempty(c->dev->cudnn)};
        struct l2d_error werr = {0};
        int wrc = l2d_store_write_run(st, exp_id, &rec, &werr);
        l2d_cell_result_free(&res);
        if (wrc) {
            rc = l2d_seterr(err, wrc, "%s: cannot record run %s: %s", l2d_store_path(st), cell->id, werr.msg);
            break;
        }
        if (crc) {
            sum->failed++;
            emit(c, L2D_EV_CELL_FAIL, "%s", cerr.msg);
            if (!first_rc) {
                first_rc = crc;
                snprintf(first_msg, sizeof first_msg, "%s: %s", cell->id, cerr.msg);
            }
            if (crc == L2D_EINTERRUPTED || crc == L2D_ENOMEM) break;
        } else {
            sum->ran++;
            emit(c, L2D_EV_CELL_DONE, "%.1fs", t1 - t0);
        }
    }
    cache_free(&dc);
    if (!rc && first_rc) {
        rc = l2d_seterr(err, first_rc, "%zu of %zu runs failed; first: %s", sum->failed,
                        sum->failed + sum->ran, first_msg);
    }
    return rc;
}

int l2d_run_experiment(const struct l2d_run_opts *o, struct l2d_run_summary *sum,
                       struct l2d_error *err)
{
    memset(sum, 0, sizeof *sum);
    struct l2d_registry reg = {0};
    struct l2d_cfg *cfg = NULL;
    struct l2d_cell *cells = NULL;
    size_t n = 0;
    struct l2d_store *st = NULL;
    struct l2d_device_desc dev;
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
    if ((rc = l2d_cfg_expand(cfg, &cells, &n, err))) goto out;
    const char *threads = l2d_cfg_get(cfg, "experiment", "threads");
    l2d_set_threads(threads ? atoi(threads) : 1); /* validated: an integer >= 1 */
    if (o->shard_count > 1 && o->shard_index >= o->shard_count) {
        rc = l2d_seterr(err, L2D_EINVAL, "--shard %u/%u: the index must be below the count",
                        o->shard_index, o->shard_count);
        goto out;
    }
    if ((rc = l2d_cells_preflight(cells, n, &reg, err))) goto out;
    const char *db = o->db_path ? o->db_path : l2d_cfg_db(cfg);
    snprintf(sum->db_path, sizeof sum->db_path, "%s", db);
    snprintf(sum->experiment, sizeof sum->experiment, "%s", l2d_cfg_name(cfg));
    sum->ncells = n;
    struct ctx c = {.o = o, .ncells = n, .dev = &dev};
    for (size_t i = 0; i < n; i++)
        if (o->shard_count <= 1 || i % o->shard_count == o->shard_index) c.ntodo++;
    emit(&c, L2D_EV_PLAN, "%zu cells, %zu in this shard", n, c.ntodo);
    if (o->dry_run) {
        for (size_t i = 0; i < n; i++) {
            if (o->shard_count > 1 && i % o->shard_count != o->shard_index) continue;
            c.cell++;
            c.cell_id = cells[i].id;
            emit(&c, L2D_EV_STAGE, "would run");
        }
        goto out;
    }
    if ((rc = ensure_parent(db, err)) || (rc = l2d_store_open(db, &st, err))) goto out;
    struct l2d_plugin_use used[L2D_MAX_AGENTS + 8];
    size_t nused = plugins_used(&reg, cells, n, used, sizeof used / sizeof *used);
    int64_t exp_id;
    if ((rc = l2d_store_experiment(st, l2d_cfg_name(cfg), l2d_cfg_text(cfg), l2d_cfg_hash(cfg),
                                   l2d_version(), nused, used, &exp_id, err)))
        goto out;
    sum->started = 1;
    rc = run_cells(&c, st, exp_id, &reg, cells, n, sum, err);
out:
    l2d_store_close(st);
    l2d_cells_free(cells, n);
    l2d_cfg_free(cfg);
    l2d_registry_free(&reg);
    return rc;
}
