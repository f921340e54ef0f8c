/* Everything a configuration can get wrong, found before any work starts:
 * each cell (method x sweep combination) is checked as it will run. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/cell_data.h"
#include "host/cell_run.h"
#include "host/cfg_impl.h"
#include "host/device_desc.h"
#include "host/loader.h"
#include "host/params.h"

#define WHERE_MAX 256
#define L2D_AGENT_NAME_MAX 64

static long find_section(const struct l2d_cfg *c, const char *name)
{
    for (size_t s = 0; s < c->nsec; s++)
        if (!strcmp(c->secs[s].name, name)) return (long)s;
    return -1;
}

static const char known_sections[] =
    "experiment, dataset, agent.NAME, cost, rejector, train, attack, eval, sweep, method.NAME";

static int unknown_sections(const struct l2d_cfg *cfg, struct l2d_error *err)
{
    for (size_t s = 0; s < cfg->nsec; s++)
        if (!l2d_cfg_section_known(cfg->secs[s].name)) {
            char where[WHERE_MAX];
            const char *name = cfg->secs[s].name;
            const char *hint = "";
            if (!strcmp(name, "agent") || !strcmp(name, "method") || !strncmp(name, "agent.", 6) ||
                !strncmp(name, "method.", 7))
                hint = "; NAME is [a-z0-9_-]+";
            return l2d_seterr(err, L2D_EINVAL, "%s: unknown section (known: %s%s)",
                              l2d_origin_format(&cfg->secs[s].at, where, sizeof where),
                              known_sections, hint);
        }
    return 0;
}

/* Positive integers, comma-separated (l2d_parse_sizes), or "". */
static int sizes_ok(const char *s, size_t *count)
{
    char **items;
    size_t n;
    *count = 0;
    if (!*s) return 1;
    if (l2d_split_list(s, ',', &items, &n)) return 0;
    int ok = 1;
    for (size_t k = 0; k < n && ok; k++) {
        int64_t v;
        ok = !l2d_parse_int64(items[k], &v) && v >= 1 && v <= 1000000;
    }
    l2d_list_free(items, n);
    *count = n;
    return ok;
}

static int check_experiment(const struct l2d_cfg *c, const struct l2d_params *fw,
                            struct l2d_error *err)
{
    char where[WHERE_MAX];
    const char *name = l2d_param_str(fw, "name", "");
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
            return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a name ([A-Za-z0-9_.-]+)",
                              l2d_cfg_where(c, "experiment", "name", where, sizeof where), name);
    /* the name only: whether the device is there is the runner's preflight */
    const char *device = l2d_param_str(fw, "device", "cpu");
    if (!l2d_device_spec_ok(device))
        return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a device (cpu, cuda or cuda:N)",
                          l2d_cfg_where(c, "experiment", "device", where, sizeof where), device);
    int64_t *seeds;
    size_t n;
    int rc = l2d_cfg_seeds(c, &seeds, &n, err);
    if (!rc) free(seeds);
    return rc;
}

static int check_rejector(const struct l2d_cfg *c, const struct l2d_params *fw,
                          struct l2d_error *err)
{
    char where[WHERE_MAX];
    const char *arch = l2d_param_str(fw, "arch", "mlp"), *hidden = l2d_param_str(fw, "hidden", "");
    size_t n;
    l2d_cfg_where(c, "rejector", "hidden", where, sizeof where);
    if (!sizes_ok(hidden, &n))
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: '%s' is not a list of layer sizes (positive integers, "
                          "comma-separated)",
                          where, hidden);
    if (!n && !strcmp(arch, "mlp"))
        return l2d_seterr(err, L2D_EINVAL, "%s: an mlp needs at least one hidden layer size",
                          where);
    if (n > L2D_REJECTOR_MAX_LAYERS && !strcmp(arch, "mlp"))
        return l2d_seterr(err, L2D_EINVAL, "%s: %zu hidden layers (at most %d)", where, n,
                          L2D_REJECTOR_MAX_LAYERS);
    if (strcmp(arch, "cnn")) return 0;
    /* the stages' fit in the images is the model's check: it knows the
     * data set's shape */
    const char *channels = l2d_param_str(fw, "channels", "");
    l2d_cfg_where(c, "rejector", "channels", where, sizeof where);
    if (!sizes_ok(channels, &n) || !n)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: '%s' is not a list of channel counts (positive integers, "
                          "comma-separated)",
                          where, channels);
    if (n > L2D_REJECTOR_MAX_LAYERS)
        return l2d_seterr(err, L2D_EINVAL, "%s: %zu stages (at most %d)", where, n,
                          L2D_REJECTOR_MAX_LAYERS);
    return 0;
}

static int check_train(const struct l2d_cfg *c, const struct l2d_params *fw,
                       struct l2d_error *err)
{
    char where[WHERE_MAX];
    if (!(l2d_param_double(fw, "lr", 0) > 0))
        return l2d_seterr(err, L2D_EINVAL, "%s: the learning rate must be > 0",
                          l2d_cfg_where(c, "train", "lr", where, sizeof where));
    return 0;
}

/* clean, untargeted, targeted or targeted:* (every agent), targeted:NAME. */
static int check_eval(const struct l2d_cfg *c, const struct l2d_params *fw,
                      struct l2d_error *err)
{
    char where[WHERE_MAX];
    const char *list = l2d_param_str(fw, "attacks", "clean");
    l2d_cfg_where(c, "eval", "attacks", where, sizeof where);
    char **items;
    size_t n;
    if (l2d_split_list(list, ',', &items, &n)) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t k = 0; !rc && k < n; k++) {
        const char *it = items[k];
        int ok = !strcmp(it, "clean") || !strcmp(it, "untargeted") || !strcmp(it, "targeted") ||
                 !strcmp(it, "targeted:*");
        if (!ok && !strncmp(it, "targeted:", 9)) {
            char sec[128];
            snprintf(sec, sizeof sec, "agent.%s", it + 9);
            if (!l2d_cfg_name_ok(it + 9, 0) || !l2d_cfg_has_section(c, sec)) {
                rc = l2d_seterr(err, L2D_EINVAL, "%s: '%s': no agent named '%s'", where, it,
                                it + 9);
                break;
            }
            ok = 1;
        }
        if (!ok)
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s: '%s' is not an evaluation (clean, untargeted, targeted, "
                            "targeted:*, targeted:AGENT)",
                            where, it);
        for (size_t j = 0; !rc && j < k; j++)
            if (!strcmp(items[j], it))
                rc = l2d_seterr(err, L2D_EINVAL, "%s: '%s' is listed twice", where, it);
    }
    l2d_list_free(items, n);
    return rc;
}

/* One section: framework keys, the plugin it names, the plugin's keys. */
static int check_section(const struct l2d_cfg *c, const char *section,
                         l2d_schema_resolver resolve, void *self, struct l2d_error *err)
{
    const char *pkey;
    enum l2d_kind kind = l2d_cfg_section_plugin(section, &pkey);
    const struct l2d_param_spec *ps = NULL;
    if (kind) {
        char where[WHERE_MAX];
        const char *name = l2d_cfg_get(c, section, pkey);
        const struct l2d_param_spec *d = l2d_schema_find(l2d_cfg_schema(section), pkey);
        l2d_cfg_where(c, section, pkey, where, sizeof where);
        if (!name) name = d ? d->def : NULL;
        if (!name) return l2d_seterr(err, L2D_EINVAL, "%s: required key is missing", where);
        if (!(ps = resolve ? resolve(self, kind, name) : NULL))
            return l2d_seterr(err, L2D_EINVAL, "%s: no %s plugin named '%s' (see l2d plugins)",
                              where, l2d_kind_name(kind), name);
    }
    struct l2d_params fw, pl;
    int rc = l2d_cfg_params(c, section, ps, &fw, &pl, err);
    if (rc) return rc;
    if (!strcmp(section, "experiment"))
        rc = check_experiment(c, &fw, err);
    else if (!strcmp(section, "rejector"))
        rc = check_rejector(c, &fw, err);
    else if (!strcmp(section, "train"))
        rc = check_train(c, &fw, err);
    else if (!strcmp(section, "eval"))
        rc = check_eval(c, &fw, err);
    l2d_params_free(&fw);
    l2d_params_free(&pl);
    return rc;
}

static int check_model_cost(const struct l2d_cfg *c, struct l2d_error *err);

/* Is sec the model's section (the first agent)? */
static int nagents_first(const struct l2d_cfg *c, const char *sec)
{
    return l2d_cfg_nagents(c) && !strcmp(l2d_cfg_agent(c, 0), sec);
}

static int check_cell(const struct l2d_cfg *c, l2d_schema_resolver resolve, void *self,
                      struct l2d_error *err)
{
    static const char *const fixed[] = {"experiment", "dataset", "cost", "rejector", "train",
                                        "eval"};
    int rc = unknown_sections(c, err);
    if (rc) return rc;
    size_t nagents = l2d_cfg_nagents(c);
    if (!nagents)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: no [agent.NAME] section: at least the model (the first agent) "
                          "is needed",
                          c->path);
    /* the order of the file's sections, so the first mistake is found first */
    for (size_t s = 0; !rc && s < c->nsec; s++)
        rc = check_section(c, c->secs[s].name, resolve, self, err);
    /* then the sections left out, whose defaults must hold too ([attack] is
     * only checked when present: not every experiment attacks) */
    for (size_t k = 0; !rc && k < sizeof fixed / sizeof *fixed; k++)
        if (!l2d_cfg_has_section(c, fixed[k])) rc = check_section(c, fixed[k], resolve, self, err);
    /* agent names go into fixed buffers ("targeted:NAME" labels, the
     * [eval] check): a longer one could not be targeted by name, and its
     * label was cut in the database */
    for (size_t a = 0; !rc && a < nagents; a++) {
        const char *sec = l2d_cfg_agent(c, a);
        long s = find_section(c, sec);
        if (strlen(sec + 6) > L2D_AGENT_NAME_MAX) {
            char where[WHERE_MAX];
            rc = l2d_seterr(err, L2D_EINVAL, "%s: agent name longer than %d characters",
                            l2d_origin_format(&c->secs[s].at, where, sizeof where),
                            L2D_AGENT_NAME_MAX);
        }
    }
    if (!rc) rc = check_model_cost(c, err);
    /* the limits the run enforces (cell_data.c), refused here before any
     * work instead of as a failed run per cell */
    if (!rc && (nagents < 2 || nagents > L2D_MAX_AGENTS))
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: need 2 to %d [agent.NAME] sections (the model, then experts), "
                        "found %zu",
                        c->path, L2D_MAX_AGENTS, nagents);
    return rc;
}

/* " (cell method=sard;train.nu=1)" for a failing combination. */
static void cell_note(const struct l2d_plan *plan, size_t method, const size_t *choice,
                      struct l2d_error *err)
{
    if (!plan->nmethods && !plan->nsweep) return;
    char note[256] = " (cell ";
    size_t len = strlen(note);
    if (plan->nmethods)
        len += (size_t)snprintf(note + len, sizeof note - len, "method=%s",
                                plan->methods[method] + 7);
    for (size_t k = 0; k < plan->nsweep && len < sizeof note; k++)
        len += (size_t)snprintf(note + len, sizeof note - len, "%s%s=%s",
                                len > 7 ? ";" : "", plan->sweep[k].entry->key,
                                plan->sweep[k].values[choice[k]]);
    size_t used = strlen(err->msg);
    if (used < sizeof err->msg - 1)
        snprintf(err->msg + used, sizeof err->msg - used, "%.*s)",
                 (int)(sizeof err->msg - used - 2), note);
}

/* The model's query cost (beta_0 = 0, docs/math.md §2) would be ignored, silently. */
static int check_model_cost(const struct l2d_cfg *c, struct l2d_error *err)
{
    size_t nagents = l2d_cfg_nagents(c);
    const char *model = nagents ? l2d_cfg_agent(c, 0) : NULL;
    const char *qc = model ? l2d_cfg_get(c, model, "query_cost") : NULL;
    double q;
    if (qc && !l2d_parse_double(qc, &q) && q != 0) {
        char where[WHERE_MAX];
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: the model (the first agent) is never charged a query cost "
                          "(beta_0 = 0); remove the key or put an expert first",
                          l2d_cfg_where(c, model, "query_cost", where, sizeof where));
    }
    return 0;
}

/* Every cell is checked, but not cell by cell: what check_section finds in a
 * section depends on that section's entries only (and on which sections
 * exist, which a sweep does not change once its first combination has made
 * them), so for each method the first combination is checked whole, then
 * each section the sweep touches once per combination of ITS swept keys.
 * That finds the same errors as checking every cell, in sum-of-products
 * instead of product time: 10^6 cells over two sections take 2000 checks. */
int l2d_cfg_validate(const struct l2d_cfg *cfg, l2d_schema_resolver resolve, void *self,
                     struct l2d_error *err)
{
    int rc = unknown_sections(cfg, err);
    if (rc) return rc;
    struct l2d_plan plan;
    if ((rc = l2d_plan_make(cfg, &plan, err))) return rc;
    size_t nm = plan.nmethods ? plan.nmethods : 1;
    size_t *choice = calloc(plan.nsweep + 1, sizeof *choice);
    size_t *keys = calloc(plan.nsweep + 1, sizeof *keys);
    char *seen = calloc(plan.nsweep + 1, 1);
    if (!choice || !keys || !seen) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t m = 0; !rc && m < nm; m++) {
        struct l2d_cfg *c;
        memset(choice, 0, (plan.nsweep + 1) * sizeof *choice);
        memset(seen, 0, plan.nsweep + 1);
        if ((rc = l2d_plan_apply(cfg, &plan, m, choice, &c, err))) break;
        rc = check_cell(c, resolve, self, err);
        if (rc && err) cell_note(&plan, m, choice, err);
        for (size_t k0 = 0; !rc && k0 < plan.nsweep; k0++) {
            if (seen[k0]) continue;
            const char *sec = plan.sweep[k0].sec;
            size_t nk = 0;
            for (size_t k = k0; k < plan.nsweep; k++)
                if (!strcmp(plan.sweep[k].sec, sec)) keys[nk++] = k, seen[k] = 1;
            /* every combination of this section's swept keys but the first */
            for (;;) {
                size_t j = 0;
                while (j < nk && ++choice[keys[j]] == plan.sweep[keys[j]].nvalues) choice[keys[j++]] = 0;
                if (j == nk) break;
                for (size_t i = 0; !rc && i < nk; i++) {
                    const struct l2d_sweep_key *sk = &plan.sweep[keys[i]];
                    rc = l2d_cfg_put(c, sk->sec, sk->key, sk->values[choice[keys[i]]], &sk->entry->at, err);
                }
                if (!rc) rc = check_section(c, sec, resolve, self, err);
                if (!rc && nagents_first(c, sec)) rc = check_model_cost(c, err);
                if (rc) {
                    if (err) cell_note(&plan, m, choice, err);
                    break;
                }
            }
            for (size_t i = 0; !rc && i < nk; i++) { /* back to the first values */
                const struct l2d_sweep_key *sk = &plan.sweep[keys[i]];
                rc = l2d_cfg_put(c, sk->sec, sk->key, sk->values[0], &sk->entry->at, err);
            }
        }
        l2d_cfg_free(c);
    }
    free(choice);
    free(keys);
    free(seen);
    l2d_plan_free(&plan);
    return rc;
}
