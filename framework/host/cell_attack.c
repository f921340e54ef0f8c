/* Evaluation under attack (docs/math.md §5): perturb the evaluation
 * split's inputs against the trained rejector, allocate with r(x'), and
 * score the system with the agents' answers and costs on the clean x:
 * agents are never attacked. */
#include "config.h"

#include "host/cell_attack.h"

#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/objectives.h"
#include "host/cfg.h"
#include "host/cfg_impl.h" /* l2d_split_list */
#include "host/loader.h"
#include "host/params.h"

#define CHUNK 2048

struct attack_job {
    char *label; /* "untargeted", "targeted:NAME" */
    int target;  /* -1: untargeted */
};

/* eval.attacks -> the jobs, "clean" left out (it is always measured). */
static int parse_jobs(const struct l2d_cfg *cfg, const struct l2d_cell_data *cd,
                      struct attack_job *jobs, size_t *njobs, struct l2d_error *err)
{
    const char *list = l2d_cfg_get(cfg, "eval", "attacks");
    char **items = NULL;
    size_t n = 0, k = 0;
    *njobs = 0;
    if (!list) return 0;
    if (l2d_split_list(list, ',', &items, &n)) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *it = items[i];
        if (!strcmp(it, "clean")) continue;
        size_t first = 0, last = 0;
        int untargeted = !strcmp(it, "untargeted");
        if (untargeted) {
            first = last = 0;
        } else if (!strcmp(it, "targeted") || !strcmp(it, "targeted:*")) {
            first = 0, last = cd->A - 1;
        } else if (!strncmp(it, "targeted:", 9)) {
            size_t a = 0;
            while (a < cd->A && strcmp(cd->agent_name[a], it + 9)) a++;
            if (a == cd->A) {
                rc = l2d_seterr(err, L2D_EINVAL, "[eval] attacks: '%s': no agent named '%s'", it, it + 9);
                break;
            }
            first = last = a;
        } else {
            rc = l2d_seterr(err, L2D_EINVAL, "[eval] attacks: '%s' is not an evaluation", it);
            break;
        }
        for (size_t a = first; !rc && a <= last; a++) {
            char label[128];
            if (untargeted) snprintf(label, sizeof label, "untargeted");
            else snprintf(label, sizeof label, "targeted:%s", cd->agent_name[a]);
            int dup = 0;
            for (size_t j = 0; j < k; j++) dup |= !strcmp(jobs[j].label, label);
            if (dup) continue;
            if (k == L2D_MAX_AGENTS + 1) {
                rc = l2d_seterr(err, L2D_EINVAL, "[eval] attacks: too many evaluations");
                break;
            }
            if (!(jobs[k].label = strdup(label))) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            jobs[k++].target = untargeted ? -1 : (int)a;
        }
    }
    l2d_list_free(items, n);
    *njobs = k;
    return rc;
}

size_t l2d_attack_jobs_count(const struct l2d_cfg *cfg)
{
    const char *list = l2d_cfg_get(cfg, "eval", "attacks");
    char **items = NULL;
    size_t n = 0, k = 0;
    if (!list || l2d_split_list(list, ',', &items, &n)) return 0;
    for (size_t i = 0; i < n; i++) k += strcmp(items[i], "clean") != 0;
    l2d_list_free(items, n);
    return k;
}

int l2d_attack_clamps(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int *clamps,
                      struct l2d_error *err)
{
    *clamps = 0;
    if (!l2d_attack_jobs_count(cfg) && !l2d_cfg_has_section(cfg, "attack")) return 0;
    const char *aname = l2d_cfg_get(cfg, "attack", "plugin");
    const struct l2d_loaded *al = l2d_registry_find(reg, L2D_KIND_ATTACK, aname ? aname : "pgd");
    if (!al) return 0; /* validation reports an unknown plugin */
    struct l2d_params pa;
    int rc = l2d_cfg_params(cfg, "attack", al->desc->params, NULL, &pa, err);
    if (rc) return rc;
    const struct l2d_param_value *v = l2d_param(&pa, "clamp");
    *clamps = v && v->i;
    l2d_params_free(&pa);
    return 0;
}

int l2d_attack_open(const struct l2d_cfg *cfg, const struct l2d_registry *reg, uint64_t seed,
                    struct l2d_attack_handle *h, struct l2d_error *err)
{
    h->ops = NULL;
    h->state = NULL;
    const char *aname = l2d_cfg_get(cfg, "attack", "plugin");
    if (!aname) aname = "pgd";
    const struct l2d_loaded *al = l2d_registry_find(reg, L2D_KIND_ATTACK, aname);
    if (!al) return l2d_seterr(err, L2D_EINVAL, "[attack] plugin: no attack plugin named '%s'", aname);
    struct l2d_params pa;
    int rc = l2d_cfg_params(cfg, "attack", al->desc->params, NULL, &pa, err);
    if (rc) return rc;
    struct l2d_host host = {sizeof host, seed, NULL, NULL, NULL};
    const struct l2d_attack_ops *ops = al->desc->ops;
    rc = ops->create(&pa, &host, &h->state, err);
    l2d_params_free(&pa);
    if (!rc) h->ops = ops;
    return rc;
}

void l2d_attack_close(struct l2d_attack_handle *h)
{
    if (h->ops) h->ops->destroy(h->state);
    h->ops = NULL;
    h->state = NULL;
}

/* x_adv for every row of `data` against objective (nu, target), in chunks. */
static int perturb_split(const struct l2d_attack_handle *atk, struct l2d_model *rej,
                         const struct l2d_data *data, const double *c, size_t A, double nu,
                         int target, const float *lo, const float *hi, uint64_t seed,
                         float *x_adv, struct l2d_error *err)
{
    for (size_t i0 = 0; i0 < data->n; i0 += CHUNK) {
        size_t B = data->n - i0 < CHUNK ? data->n - i0 : CHUNK;
        int rc = l2d_rej_attack(atk, rej, data->x + i0 * data->dim, c + i0 * A, B, nu, target,
                                lo, hi, seed + i0, x_adv + i0 * data->dim, err);
        if (rc) return rc;
    }
    return 0;
}

int l2d_eval_under_attacks(const struct l2d_cfg *cfg, const struct l2d_registry *reg,
                           const struct l2d_cell_data *cd, int split, const double *c,
                           const double *c0, struct l2d_model *rej, double nu, uint64_t seed,
                           struct l2d_cell_result *r, struct l2d_error *err)
{
    struct attack_job jobs[L2D_MAX_AGENTS + 1];
    size_t njobs = 0;
    int rc = parse_jobs(cfg, cd, jobs, &njobs, err);
    if (rc || !njobs) goto out_jobs;

    struct l2d_attack_handle atk;
    if ((rc = l2d_attack_open(cfg, reg, seed, &atk, err))) goto out_jobs;

    const struct l2d_split_buf *b = &cd->split[split];
    size_t n = b->data.n, A = cd->A;
    float *x_adv = malloc((n ? n : 1) * b->data.dim * sizeof *x_adv);
    size_t *alloc = malloc((n ? n : 1) * sizeof *alloc);
    if (!x_adv || !alloc) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    const int32_t *yhat[L2D_MAX_AGENTS];
    const float *that[L2D_MAX_AGENTS];
    for (size_t a = 0; a < A; a++) yhat[a] = b->yhat[a], that[a] = b->that[a];
    for (size_t j = 0; !rc && j < njobs && n; j++) {
        rc = perturb_split(&atk, rej, &b->data, c, A, nu, jobs[j].target, cd->info.lo,
                           cd->info.hi, l2d_seed_mix(seed, jobs[j].label), x_adv, err);
        struct l2d_data adv = b->data;
        adv.x = x_adv;
        struct l2d_eval_in in = {&adv, c, A, yhat, that, c0};
        struct l2d_metric_list l = {0};
        if (!rc) rc = l2d_rejector_alloc(rej, &adv, A, alloc, NULL, err);
        if (!rc) rc = l2d_eval_alloc(&in, alloc, "", &l, err);
        char lab[160]; /* a copy: on failure l2d_cell_result_keep frees the label */
        snprintf(lab, sizeof lab, "%s", jobs[j].label);
        if (!rc) {
            char *label = jobs[j].label;
            jobs[j].label = NULL; /* r owns it now */
            rc = l2d_cell_result_keep(r, label, err);
            if (!rc) rc = l2d_cell_result_add(r, split == L2D_VAL ? "val" : "test", label, &l, err);
        }
        l2d_metric_list_free(&l);
        if (rc) {
            char m[L2D_ERRMSG_MAX];
            snprintf(m, sizeof m, "%s", err->msg);
            l2d_seterr(err, rc, "evaluation under attack '%s': %s", lab, m);
        }
    }
    free(x_adv);
    free(alloc);
    l2d_attack_close(&atk);
out_jobs:
    for (size_t j = 0; j < njobs; j++) free(jobs[j].label);
    return rc;
}
