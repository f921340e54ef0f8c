/* One cell of an experiment: costs, rejector training, evaluation, and the
 * record the store writes. */
#include "config.h"

#include "host/cell_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/costs.h"
#include "core/metrics.h"
#include "core/train.h"
#include "host/cell_attack.h"
#include "host/cfg.h"
#include "host/loader.h"
#include "host/params.h"
#include "host/rejector_arch.h"

static const char *split_name[3] = {"train", "val", "test"};

/* Framework keys of a section, typed, with their defaults. */
static int fw_params(const struct l2d_cfg *cfg, const char *sec, struct l2d_params *p,
                     struct l2d_error *err)
{
    return l2d_cfg_params(cfg, sec, NULL, p, NULL, err);
}

static int split_costs(const struct l2d_cell_data *cd, const struct l2d_cost_cfg *cc, int s,
                       double **out, struct l2d_error *err)
{
    const struct l2d_split_buf *b = &cd->split[s];
    size_t n = b->data.n, A = cd->A;
    struct l2d_agent_preds preds[L2D_MAX_AGENTS];
    for (size_t a = 0; a < A; a++) preds[a] = (struct l2d_agent_preds){b->yhat[a], b->that[a], b->cost[a]};
    double *c = malloc((n ? n : 1) * A * sizeof *c);
    if (!c) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int rc = l2d_costs(cc, n, A, b->data.y, b->data.t, b->data.tdim, preds, c, err);
    if (rc) {
        char m[L2D_ERRMSG_MAX];
        snprintf(m, sizeof m, "%s", err->msg);
        l2d_seterr(err, rc, "costs on the %s split: %s", split_name[s], m);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Does any agent past the model carry a query cost beta_j = beta_scale *
 * query_cost[j] != 0? Without one the costs are their own beta-free costs. */
static int has_query_cost(const struct l2d_cost_cfg *cc, size_t A)
{
    for (size_t j = 1; cc->query_cost && j < A; j++)
        if (cc->beta_scale * cc->query_cost[j] != 0) return 1;
    return 0;
}

static int add_metric(struct l2d_cell_result *r, const char *split, const char *attack,
                      const char *name, double v, struct l2d_error *err)
{
    if (r->nmetrics == r->capmetrics) {
        size_t cap = r->capmetrics ? 2 * r->capmetrics : 64;
        struct l2d_metric *m = realloc(r->metrics, cap * sizeof *m);
        char **names = realloc(r->names, cap * sizeof *names);
        if (m) r->metrics = m;
        if (names) r->names = names;
        if (!m || !names) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        r->capmetrics = cap;
    }
    char *nm = strdup(name);
    if (!nm) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    r->names[r->nmetrics] = nm;
    r->metrics[r->nmetrics++] = (struct l2d_metric){split, attack, nm, v};
    return 0;
}

int l2d_cell_result_keep(struct l2d_cell_result *r, char *s, struct l2d_error *err)
{
    char **k = realloc(r->kept, (r->nkept + 1) * sizeof *k);
    if (!k) {
        free(s);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    r->kept = k;
    r->kept[r->nkept++] = s;
    return 0;
}

int l2d_cell_result_add(struct l2d_cell_result *r, const char *split, const char *attack,
                        struct l2d_metric_list *l, struct l2d_error *err)
{
    int rc = 0;
    for (size_t k = 0; !rc && k < l->n; k++)
        rc = add_metric(r, split, attack, l->items[k].name, l->items[k].value, err);
    l2d_metric_list_free(l);
    return rc;
}

static int add_agent_metrics(struct l2d_cell_result *r, const struct l2d_cell_data *cd, int s,
                             const struct l2d_eval_in *in, struct l2d_error *err)
{
    for (size_t a = 0; a < cd->A; a++) {
        struct l2d_metric_list l = {0};
        int rc = l2d_eval_agent(in, a, "", &l, err);
        for (size_t k = 0; !rc && k < l.n; k++) {
            if (r->nagent == r->capagent) {
                size_t cap = r->capagent ? 2 * r->capagent : 32;
                struct l2d_agent_metric *m = realloc(r->agent, cap * sizeof *m);
                char **names = realloc(r->agent_names, cap * sizeof *names);
                if (m) r->agent = m;
                if (names) r->agent_names = names;
                if (!m || !names) {
                    rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                    break;
                }
                r->capagent = cap;
            }
            char *nm = strdup(l.items[k].name);
            if (!nm) {
                rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
                break;
            }
            r->agent_names[r->nagent] = nm;
            r->agent[r->nagent++] = (struct l2d_agent_metric){(int)a, cd->agent_name[a],
                                                               split_name[s], nm, l.items[k].value};
        }
        l2d_metric_list_free(&l);
        if (rc) return rc;
    }
    return 0;
}

/* Everything measured on split s with the trained rejector, the oracle and
 * the surrogate. */
static int evaluate_split(struct l2d_cell_result *r, const struct l2d_cell_data *cd, int s,
                          const double *c, const double *c0, struct l2d_model *rej,
                          const struct l2d_surrogate_inst *sur, struct l2d_error *err)
{
    const struct l2d_split_buf *b = &cd->split[s];
    size_t n = b->data.n, A = cd->A;
    if (!n) return 0;
    size_t *alloc = malloc(n * sizeof *alloc);
    double *scores = malloc(n * A * sizeof *scores);
    int rc = 0;
    if (!alloc || !scores) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    const int32_t *yhat[L2D_MAX_AGENTS];
    const float *that[L2D_MAX_AGENTS];
    for (size_t a = 0; a < A; a++) yhat[a] = b->yhat[a], that[a] = b->that[a];
    struct l2d_eval_in in = {&b->data, c, A, yhat, that, c0};
    struct l2d_metric_list l = {0};
    if (!rc) rc = l2d_rejector_alloc(rej, &b->data, A, alloc, scores, err);
    if (!rc) rc = l2d_eval_surrogate(sur, scores, c, n, A, "", &l, err);
    if (!rc && s != L2D_TRAIN) {
        rc = l2d_eval_alloc(&in, alloc, "", &l, err);
        if (!rc) rc = l2d_eval_oracle(&in, &l, err);
    }
    if (!rc) rc = l2d_cell_result_add(r, split_name[s], "clean", &l, err);
    else l2d_metric_list_free(&l);
    if (!rc && s == L2D_TEST) rc = add_agent_metrics(r, cd, s, &in, err);
    free(alloc);
    free(scores);
    return rc;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress_cb(void *self, int epoch, int epochs, double loss, double risk)
{
    const struct l2d_cell_progress *p = self;
    if (p && p->epoch) p->epoch(p->self, epoch, epochs, loss, risk);
}

int l2d_cell_run(const struct l2d_cfg *cfg, const struct l2d_registry *reg,
                 const struct l2d_cell_data *cd, int64_t seed,
                 const struct l2d_cell_progress *progress, struct l2d_cell_result *r,
                 struct l2d_error *err)
{
    memset(r, 0, sizeof *r);
    r->best_epoch = -1;
    r->train_seconds = NAN;
    struct l2d_params pc = {0}, pr = {0}, pt = {0}, ps = {0};
    struct l2d_attack_handle atk = {NULL, NULL};
    double *c[3] = {NULL, NULL, NULL};
    /* the costs without query costs (risk_noquery): c0[s] == c[s] when no
     * agent has a query cost, else their own buffers */
    double *c0[3] = {NULL, NULL, NULL};
    struct l2d_model *rej = NULL;
    struct l2d_surrogate_inst sur = {0};
    int rc;
    if ((rc = fw_params(cfg, "cost", &pc, err)) || (rc = fw_params(cfg, "rejector", &pr, err)))
        goto out;

    struct l2d_cost_cfg cc = {l2d_param_double(&pc, "lambda_cla", 1),
                              l2d_param_double(&pc, "lambda_reg", 0), L2D_REG_SMOOTH_L1,
                              l2d_param_double(&pc, "beta_scale", 1), cd->query_cost,
                              l2d_param_double(&pc, "clip", 0)};
    if (l2d_reg_parse(l2d_param_str(&pc, "reg", "smooth_l1"), &cc.reg)) {
        rc = l2d_seterr(err, L2D_EINVAL, "[cost] reg: unknown loss '%s'", l2d_param_str(&pc, "reg", ""));
        goto out;
    }
    for (int s = 0; s < 3; s++)
        if ((rc = split_costs(cd, &cc, s, &c[s], err))) goto out;
    if (has_query_cost(&cc, cd->A)) {
        struct l2d_cost_cfg cc0 = cc;
        cc0.query_cost = NULL;
        for (int s = 0; s < 3; s++)
            if ((rc = split_costs(cd, &cc0, s, &c0[s], err))) goto out;
    }

    /* the rejector */
    size_t sizes[L2D_REJECTOR_MAX_LAYERS];
    struct l2d_arch arch;
    if ((rc = l2d_rejector_arch(&pr, &cd->info, cd->A, sizes, &arch, err))) goto out;
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix((uint64_t)seed, "rejector"));
    const int device = progress ? progress->device : -1; /* the runner checked it exists */
    if ((rc = l2d_model_create(&rej, &arch, device, &rng, err))) goto out;

    /* the surrogate */
    const char *sname = l2d_cfg_get(cfg, "train", "surrogate");
    if (!sname) sname = "ce";
    const struct l2d_loaded *sl = l2d_registry_find(reg, L2D_KIND_SURROGATE, sname);
    if (!sl) {
        rc = l2d_seterr(err, L2D_EINVAL, "[train] surrogate: no surrogate plugin named '%s'", sname);
        goto out;
    }
    if ((rc = l2d_cfg_params(cfg, "train", sl->desc->params, &pt, &ps, err))) goto out;
    struct l2d_host host = {sizeof host, l2d_seed_mix((uint64_t)seed, "surrogate"), NULL, NULL, NULL};
    sur.ops = sl->desc->ops;
    sur.name = sl->desc->name;
    if (progress && progress->notice) {
        sur.log = progress->notice;
        sur.log_self = progress->self;
    }
    if ((rc = sur.ops->create(&ps, &host, &sur.state, err))) {
        sur.ops = NULL;
        goto out;
    }

    /* a surrogate that trains through the model (SARD), or an adversarial
     * checkpoint rule, gets the [attack] plugin */
    const char *select = l2d_param_str(&pt, "select", "val_risk");
    int select_adv = !strcmp(select, "val_adv_risk");
    if (strcmp(select, "last") && cd->split[L2D_VAL].data.n == 0) {
        rc = l2d_seterr(err, L2D_EINVAL,
                        "[train] select = %s, but the validation split is empty (set select = "
                        "last, or a validation fraction in [dataset])", select);
        goto out;
    }
    if (sur.ops->train_batch || select_adv) {
        if ((rc = l2d_attack_open(cfg, reg, l2d_seed_mix((uint64_t)seed, "train.attack"), &atk, err)))
            goto out;
        sur.attack = &atk;
        sur.lo = cd->info.lo;
        sur.hi = cd->info.hi;
    }

    const char *opt = l2d_param_str(&pt, "optimizer", "adam");
    struct l2d_train_cfg tc = {
        .epochs = (int)l2d_param_int(&pt, "epochs", 20),
        .batch = (size_t)l2d_param_int(&pt, "batch", 256),
        .lr = l2d_param_double(&pt, "lr", 1e-3),
        .optimizer = !strcmp(opt, "sgd") ? L2D_OPT_SGD : !strcmp(opt, "adamw") ? L2D_OPT_ADAMW : L2D_OPT_ADAM,
        .weight_decay = l2d_param_double(&pt, "weight_decay", 0),
        .warmup = l2d_param_double(&pt, "warmup", 0),
        .cosine = !strcmp(l2d_param_str(&pt, "schedule", "cosine"), "cosine"),
        .select_best = strcmp(select, "last") != 0,
        .select_adv = select_adv,
        .adv_nu = l2d_param(&ps, "nu") ? l2d_param_double(&ps, "nu", 1) : 1.0,
        .seed = l2d_seed_mix((uint64_t)seed, "train"),
    };
    r->epochs = calloc((size_t)tc.epochs, sizeof *r->epochs);
    if (!r->epochs) {
        rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
        goto out;
    }
    struct l2d_train_result tr = {0};
    struct l2d_cell_progress pg = progress ? *progress : (struct l2d_cell_progress){0};
    const double t_train = mono_s();
    rc = l2d_train_rejector(&tc, rej, &sur, &cd->split[L2D_TRAIN].data, c[L2D_TRAIN],
                            &cd->split[L2D_VAL].data, c[L2D_VAL], r->epochs, &tr, progress_cb, &pg,
                            err);
    r->train_seconds = mono_s() - t_train;
    r->nepochs = (size_t)tc.epochs;
    if (rc) goto out;
    /* the epoch number (1-based, as in the epochs table), not the index */
    r->best_epoch = r->epochs[tr.best_epoch].epoch;
    r->passes = (int64_t)tr.passes;
    for (int s = 0; !rc && s < 3; s++)
        rc = evaluate_split(r, cd, s, c[s], c0[s] ? c0[s] : c[s], rej, &sur, err);
    if (!rc) {
        int es = strcmp(l2d_cfg_get(cfg, "eval", "split") ? l2d_cfg_get(cfg, "eval", "split") : "test", "val") ? L2D_TEST : L2D_VAL;
        /* attacks use the comp-sum objective with the surrogate's nu, or 1 */
        double nu = l2d_param(&ps, "nu") ? l2d_param_double(&ps, "nu", 1) : 1.0;
        rc = l2d_eval_under_attacks(cfg, reg, cd, es, c[es], c0[es] ? c0[es] : c[es], rej, nu,
                                    l2d_seed_mix((uint64_t)seed, "attack"), r, err);
    }
out:
    l2d_attack_close(&atk);
    if (sur.ops) sur.ops->destroy(sur.state);
    l2d_model_destroy(rej);
    for (int s = 0; s < 3; s++) {
        free(c[s]);
        free(c0[s]);
    }
    l2d_params_free(&pc);
    l2d_params_free(&pr);
    l2d_params_free(&pt);
    l2d_params_free(&ps);
    return rc;
}

void l2d_cell_result_free(struct l2d_cell_result *r)
{
    for (size_t k = 0; k < r->nmetrics; k++) free(r->names[k]);
    for (size_t k = 0; k < r->nagent; k++) free(r->agent_names[k]);
    for (size_t k = 0; k < r->nkept; k++) free(r->kept[k]);
    free(r->kept);
    free(r->names);
    free(r->agent_names);
    free(r->metrics);
    free(r->agent);
    free(r->epochs);
    memset(r, 0, sizeof *r);
}
