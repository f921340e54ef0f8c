/* The experiment configuration: INI loading with line numbers, --set,
 * typed parameters, validation messages, sweep expansion. The plugin
 * registry is replaced by a fake resolver with schemas of our own. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cfg.h"
#include "host/cell_run.h"
#include "host/params.h"
#include "host/rejector_arch.h"
#include "tap.h"

/* ---- a fake plugin registry ---------------------------------------------- */

static const struct l2d_param_spec synthetic_params[] = {
    {"n", L2D_PARAM_INT, "1000", 10, 1e6, NULL, "rows"},
    {"noise", L2D_PARAM_DOUBLE, "0.1", 0, 1, NULL, "label noise"},
    L2D_PARAMS_END};
static const struct l2d_param_spec network_params[] = {
    {"hidden", L2D_PARAM_STRING, "32", 1, 0, NULL, "sizes"},
    {"epochs", L2D_PARAM_INT, "10", 1, 1000, NULL, "epochs"},
    L2D_PARAMS_END};
static const struct l2d_param_spec oracle_params[] = {L2D_PARAMS_END};
static const struct l2d_param_spec ce_params[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 10, NULL, "nu"}, L2D_PARAMS_END};
static const struct l2d_param_spec smooth_params[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 10, NULL, "nu"},
    {"weight", L2D_PARAM_DOUBLE, "1", 0, 100, NULL, "weight"},
    L2D_PARAMS_END};
static const struct l2d_param_spec pgd_params[] = {
    {"eps", L2D_PARAM_DOUBLE, "0.03", 0, 1, NULL, "radius"},
    {"steps", L2D_PARAM_INT, "10", 1, 1000, NULL, "steps"},
    L2D_PARAMS_END};

static const struct {
    enum l2d_kind kind;
    const char *name;
    const struct l2d_param_spec *params;
} fake_plugins[] = {
    {L2D_KIND_DATASET, "synthetic", synthetic_params},
    {L2D_KIND_AGENT, "network", network_params},
    {L2D_KIND_AGENT, "oracle", oracle_params},
    {L2D_KIND_SURROGATE, "ce", ce_params},
    {L2D_KIND_SURROGATE, "smooth-adv", smooth_params},
    {L2D_KIND_ATTACK, "pgd", pgd_params},
};

static const struct l2d_param_spec *resolve(void *self, enum l2d_kind kind, const char *name)
{
    (*(int *)self)++;
    for (size_t k = 0; k < sizeof fake_plugins / sizeof *fake_plugins; k++)
        if (fake_plugins[k].kind == kind && !strcmp(fake_plugins[k].name, name))
            return fake_plugins[k].params;
    return NULL;
}
static int resolver_calls;

/* ---- helpers --------------------------------------------------------------- */

static char fixture_buf[4096];
static const char *fixture(const char *name)
{
    const char *top = getenv("top_srcdir");
    snprintf(fixture_buf, sizeof fixture_buf, "%s/t/data/config/%s", top ? top : L2D_ABS_SRCDIR,
             name);
    return fixture_buf;
}

static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void is_str(const char *got, const char *want, const char *what)
{
    tap_ok(streq(got, want), "%s: got '%s' want '%s'", what, got ? got : "(null)", want);
}

/* The message must name the file with its line, the key, and say what. */
static void bad_input(const char *file, int line, const char *key, const char *what,
                      int at_load)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    const char *path = fixture(file);
    int rc = l2d_cfg_load(path, &cfg, &err);
    if (!at_load && !rc) {
        rc = l2d_cfg_validate(cfg, resolve, &resolver_calls, &err);
        l2d_cfg_free(cfg);
    } else if (at_load && !rc) {
        l2d_cfg_free(cfg);
    }
    char fl[64];
    snprintf(fl, sizeof fl, "%s:%d:", file, line);
    tap_ok(rc != 0 && err.code == rc, "%s: refused at %s (status %d)", file,
           at_load ? "load" : "validation", rc);
    tap_ok(strstr(err.msg, fl) && strstr(err.msg, key) && strstr(err.msg, what) &&
               !strchr(err.msg, '\n'),
           "%s: message names '%s', '%s', '%s': %s", file, fl, key, what, err.msg);
}

/* ---- a good configuration -------------------------------------------------- */

static void test_good(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    char buf[256];
    int rc = l2d_cfg_load(fixture("good.ini"), &cfg, &err);
    if (!tap_ok(rc == 0, "good.ini loads: %s", rc ? err.msg : "ok")) return;

    static const char *const secs[] = {"experiment", "dataset", "agent.model", "agent.expert1",
                                       "cost", "train", "sweep", "method.baseline", "method.sard"};
    size_t ns = l2d_cfg_nsections(cfg), ok = ns == 9;
    for (size_t k = 0; ok && k < 9; k++) ok = streq(l2d_cfg_section(cfg, k), secs[k]);
    tap_ok(ok, "9 sections in file order, names lowercased (got %zu)", ns);
    tap_ok(l2d_cfg_section(cfg, 9) == NULL, "no section past the last");

    is_str(l2d_cfg_get(cfg, "experiment", "seeds"), "0, 1", "seeds as written");
    is_str(l2d_cfg_get(cfg, "experiment", "description"), "two agents; one sweep",
           "quoted value keeps ';', drops the comment");
    is_str(l2d_cfg_get(cfg, "dataset", "noise"), "0.25", "inline comment dropped");
    is_str(l2d_cfg_get(cfg, "agent.model", "hidden"), "32,  16", "continued line joined");
    is_str(l2d_cfg_get(cfg, "agent.expert1", "plugin"), "oracle", "key name lowercased");
    tap_ok(l2d_cfg_get(cfg, "train", "optimizer") == NULL, "absent key: NULL");
    tap_ok(l2d_cfg_get(cfg, "rejector", "arch") == NULL, "absent section: NULL");

    l2d_cfg_where(cfg, "train", "lr", buf, sizeof buf);
    tap_ok(strstr(buf, ":26: [train] lr") != NULL, "where of train.lr is line 26: %s", buf);
    l2d_cfg_where(cfg, "agent.model", "epochs", buf, sizeof buf);
    tap_ok(strstr(buf, ":15: [agent.model] epochs") != NULL,
           "line after a continued line counted right: %s", buf);
    l2d_cfg_where(cfg, "sweep", "train.nu", buf, sizeof buf);
    tap_ok(strstr(buf, ":31: [sweep] train.nu") != NULL, "where of a sweep key: %s", buf);
    l2d_cfg_where(cfg, "agent.expert1", "nothing", buf, sizeof buf);
    tap_ok(strstr(buf, ":17: [agent.expert1] nothing") != NULL,
           "absent key: the section's line: %s", buf);
    l2d_cfg_where(cfg, "rejector", "arch", buf, sizeof buf);
    tap_ok(strstr(buf, "good.ini: [rejector] arch") != NULL, "absent section: the file: %s", buf);

    tap_ok(l2d_cfg_nkeys(cfg, "agent.model") == 3 && l2d_cfg_nkeys(cfg, "nope") == 0,
           "key counts (3 in agent.model, 0 in an absent section)");
    is_str(l2d_cfg_key(cfg, "train", 0), "epochs", "first key of [train]");
    is_str(l2d_cfg_key(cfg, "train", 2), "nu", "third key of [train]");
    tap_ok(l2d_cfg_key(cfg, "train", 3) == NULL, "no key past the last");
    tap_ok(l2d_cfg_nagents(cfg) == 2, "two agents");
    is_str(l2d_cfg_agent(cfg, 0), "agent.model", "agent 0 is the first [agent.*]: the model");
    is_str(l2d_cfg_agent(cfg, 1), "agent.expert1", "agent 1");
    is_str(l2d_cfg_name(cfg), "good", "name defaults to the base name");
    is_str(l2d_cfg_db(cfg), "results/good.db", "db defaults to results/<name>.db");

    int64_t *seeds;
    size_t nseeds;
    rc = l2d_cfg_seeds(cfg, &seeds, &nseeds, &err);
    tap_ok(rc == 0 && nseeds == 2 && seeds[0] == 0 && seeds[1] == 1, "seeds 0, 1");
    if (!rc) free(seeds);

    resolver_calls = 0;
    rc = l2d_cfg_validate(cfg, resolve, &resolver_calls, &err);
    tap_ok(rc == 0, "good.ini validates: %s", rc ? err.msg : "ok");
    /* 2 methods x 3 x 2 combinations, checked section by section: each
     * method's first combination whole (dataset, 2 agents, the surrogate,
     * sard's attack too), then each other value of [train]'s swept key
     * (the surrogate again); [cost] names no plugin */
    tap_ok(resolver_calls == (4 + 1) + (5 + 1), "every combination checked: %d resolver calls",
           resolver_calls);

    /* typed parameters with defaults */
    struct l2d_params fw, pl;
    rc = l2d_cfg_params(cfg, "train", ce_params, &fw, &pl, &err);
    if (tap_ok(rc == 0, "params of [train]: %s", rc ? err.msg : "ok")) {
        tap_ok(l2d_param_int(&fw, "epochs", -1) == 5, "train.epochs = 5");
        tap_close(l2d_param_double(&fw, "lr", -1), 0.01, 0, 0, "train.lr");
        is_str(l2d_param_str(&fw, "optimizer", NULL), "adam", "train.optimizer default");
        tap_close(l2d_param_double(&fw, "warmup", -1), 0, 0, 0, "train.warmup default");
        tap_close(l2d_param_double(&pl, "nu", -1), 1, 0, 0, "surrogate nu from [train]");
        tap_ok(pl.count == 1 && fw.count == 9, "9 framework keys, 1 plugin key");
        l2d_params_free(&fw);
        l2d_params_free(&pl);
    }
    rc = l2d_cfg_params(cfg, "rejector", NULL, &fw, NULL, &err);
    if (tap_ok(rc == 0, "params of an absent section: defaults")) {
        is_str(l2d_param_str(&fw, "arch", NULL), "mlp", "rejector.arch default");
        is_str(l2d_param_str(&fw, "hidden", NULL), "64", "rejector.hidden default");
        l2d_params_free(&fw);
    }
    rc = l2d_cfg_params(cfg, "dataset", synthetic_params, &fw, &pl, &err);
    if (tap_ok(rc == 0, "params of [dataset]")) {
        tap_ok(l2d_param_int(&pl, "n", -1) == 600, "dataset.n = 600");
        tap_close(l2d_param_double(&pl, "noise", -1), 0.25, 0, 0, "dataset.noise");
        l2d_params_free(&fw);
        l2d_params_free(&pl);
    }
    rc = l2d_cfg_params(cfg, "dataset", NULL, &fw, NULL, &err);
    tap_ok(rc != 0 && strstr(err.msg, "good.ini:8: [dataset] n: unknown key"),
           "without the plugin's schema its keys are unknown: %s", err.msg);

    /* canonical text: reads back to the same configuration */
    const char *text = l2d_cfg_text(cfg);
    uint64_t h = l2d_cfg_hash(cfg);
    tap_ok(text && strstr(text, "[agent.expert1]\nplugin = oracle\nquery_cost = 0.1\n") &&
               strstr(text, "description = \"two agents; one sweep\"\n"),
           "canonical text: sections, keys, quoting");
    char dir[] = "/tmp/l2d-config-XXXXXX";
    if (mkdtemp(dir)) {
        char path[512];
        snprintf(path, sizeof path, "%s/again.ini", dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        struct l2d_cfg *again = NULL;
        rc = l2d_cfg_load(path, &again, &err);
        tap_ok(rc == 0 && streq(l2d_cfg_text(again), text) && l2d_cfg_hash(again) == h,
               "the canonical text reads back to the same text and hash");
        l2d_cfg_free(again);
        unlink(path);
        rmdir(dir);
    } else {
        tap_ok(0, "mkdtemp");
    }
    l2d_cfg_free(cfg);
}

static void test_text_hash(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    if (!tap_ok(l2d_cfg_load(fixture("tiny.ini"), &cfg, &err) == 0, "tiny.ini loads")) return;
    is_str(l2d_cfg_text(cfg), "[experiment]\nname = tiny\nseeds = 3\n\n[agent.m]\nplugin = oracle\n",
           "canonical text of tiny.ini");
    /* FNV-1a 64 of that text, computed with python3 */
    tap_ok(l2d_cfg_hash(cfg) == 0xeeea5b038fe24696ULL, "hash %016llx",
           (unsigned long long)l2d_cfg_hash(cfg));
    is_str(l2d_cfg_name(cfg), "tiny", "experiment.name");
    tap_ok(l2d_cfg_set(cfg, "experiment.seeds=4", &err) == 0, "--set a seed");
    tap_ok(l2d_cfg_hash(cfg) != 0xeeea5b038fe24696ULL, "the hash follows the change");
    l2d_cfg_free(cfg);
}

/* Windows line ends: same values and lines. */
static void test_crlf(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    char buf[256];
    if (!tap_ok(l2d_cfg_load(fixture("crlf.ini"), &cfg, &err) == 0, "crlf.ini loads: %s",
                err.msg))
        return;
    is_str(l2d_cfg_get(cfg, "experiment", "description"), "a; b", "CRLF: quoted value");
    is_str(l2d_cfg_get(cfg, "experiment", "seeds"), "1, 2", "CRLF: continued value");
    l2d_cfg_where(cfg, "experiment", "seeds", buf, sizeof buf);
    tap_ok(strstr(buf, "crlf.ini:6: [experiment] seeds") != NULL, "CRLF: line %s", buf);
    tap_ok(l2d_cfg_set(cfg, "agent.expert.plugin=oracle", &err) == 0 && /* an expert too */
               l2d_cfg_validate(cfg, resolve, &resolver_calls, &err) == 0 &&
               l2d_cfg_ncells(cfg, &err) == 2,
           "CRLF: valid, two seeds");
    l2d_cfg_free(cfg);
}

/* ---- --set ------------------------------------------------------------------ */

static void test_set(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    char buf[256];
    if (l2d_cfg_load(fixture("good.ini"), &cfg, &err)) {
        tap_ok(0, "good.ini loads");
        return;
    }
    tap_ok(l2d_cfg_set(cfg, "train.lr=0.5", &err) == 0, "--set train.lr=0.5");
    is_str(l2d_cfg_get(cfg, "train", "lr"), "0.5", "overridden");
    is_str(l2d_cfg_where(cfg, "train", "lr", buf, sizeof buf), "--set train.lr", "where");
    tap_ok(l2d_cfg_nkeys(cfg, "train") == 3, "no key added by an override");
    tap_ok(l2d_cfg_set(cfg, "agent.expert1.query_cost = 0.25 ", &err) == 0,
           "--set with a dotted section");
    is_str(l2d_cfg_get(cfg, "agent.expert1", "query_cost"), "0.25", "the last dot splits");
    tap_ok(l2d_cfg_set(cfg, "Train.Weight_Decay=0.01", &err) == 0, "--set adds a key");
    is_str(l2d_cfg_key(cfg, "train", 3), "weight_decay", "added last, lowercased");
    tap_ok(l2d_cfg_set(cfg, "eval.split=val", &err) == 0, "--set adds a section");
    tap_ok(l2d_cfg_nsections(cfg) == 10 && streq(l2d_cfg_section(cfg, 9), "eval"),
           "new section at the end");
    l2d_cfg_where(cfg, "eval", "attacks", buf, sizeof buf);
    tap_ok(strstr(buf, "--set eval.split: [eval] attacks") != NULL,
           "absent key of a --set section: %s", buf);
    tap_ok(l2d_cfg_set(cfg, "sweep.train.nu=2, 3, 4", &err) == 0, "--set a sweep key");
    is_str(l2d_cfg_get(cfg, "sweep", "train.nu"), "2, 3, 4", "sweep key keeps its dots");
    tap_ok(l2d_cfg_set(cfg, "method.sard.attack.steps=20", &err) == 0, "--set a method key");
    is_str(l2d_cfg_get(cfg, "method.sard", "attack.steps"), "20", "method key keeps its dots");
    tap_ok(l2d_cfg_validate(cfg, resolve, &resolver_calls, &err) == 0, "still valid: %s",
           err.msg);
    tap_ok(l2d_cfg_ncells(cfg, &err) == 2 * 3 * 3 * 2, "cells: 2 methods x 3 x 3 x 2 seeds");

    tap_ok(l2d_cfg_set(cfg, "train.nu=abc", &err) == 0, "--set accepts any text");
    tap_ok(l2d_cfg_get(cfg, "sweep", "train.nu") == NULL && l2d_cfg_ncells(cfg, &err) == 2 * 3 * 2,
           "--set of a swept key takes it out of the sweep: 2 methods x 3 x 2 seeds");
    err.msg[0] = 0;
    tap_ok(l2d_cfg_validate(cfg, resolve, &resolver_calls, &err) != 0 && strstr(err.msg, "--set train.nu"),
           "and its value is checked like any value: %s", err.msg);
    tap_ok(l2d_cfg_set(cfg, "method.sard.train.lr=0.5", &err) == 0 && l2d_cfg_set(cfg, "train.lr=0.25", &err) == 0 &&
               l2d_cfg_get(cfg, "method.sard", "train.lr") == NULL,
           "--set of a key a method overrides takes it out of the method");
    tap_ok(l2d_cfg_set(cfg, "train.nu=1", &err) == 0, "--set train.nu=1");
    tap_ok(l2d_cfg_set(cfg, "train.epochs=0", &err) == 0 &&
               l2d_cfg_validate(cfg, resolve, &resolver_calls, &err) != 0 &&
               strstr(err.msg, "--set train.epochs") && strstr(err.msg, "out of range"),
           "a --set value out of range names --set: %s", err.msg);

    static const char *const bad[] = {"nonsense", "train=1", ".lr=1", "train.=1", "tr ain.lr=1",
                                      "sweep.=1", "method.x=1"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err.msg[0] = 0;
        int rc = l2d_cfg_set(cfg, bad[k], &err);
        tap_ok(rc == L2D_EINVAL && strstr(err.msg, "--set") && strstr(err.msg, bad[k]),
               "--set '%s' refused: %s", bad[k], err.msg);
    }
    l2d_cfg_free(cfg);
}

/* ---- expansion ---------------------------------------------------------------- */

static void test_expand(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    struct l2d_cell *cells = NULL;
    size_t n = 0;
    char buf[256];
    if (l2d_cfg_load(fixture("good.ini"), &cfg, &err)) {
        tap_ok(0, "good.ini loads");
        return;
    }
    int rc = l2d_cfg_expand(cfg, &cells, &n, &err);
    if (!tap_ok(rc == 0 && n == 24, "2 methods x 3 beta_scale x 2 nu x 2 seeds = 24 cells (%zu)",
                n))
        return;
    tap_ok(l2d_cfg_ncells(cfg, &err) == 24, "l2d_cfg_ncells agrees");
    /* methods slowest, then the sweep keys in file order (last fastest), seeds fastest */
    static const char *const ids[24] = {
        "method=baseline;cost.beta_scale=0.5;train.nu=0.5;seed=0",
        "method=baseline;cost.beta_scale=0.5;train.nu=0.5;seed=1",
        "method=baseline;cost.beta_scale=0.5;train.nu=1;seed=0",
        "method=baseline;cost.beta_scale=0.5;train.nu=1;seed=1",
        "method=baseline;cost.beta_scale=1;train.nu=0.5;seed=0",
        "method=baseline;cost.beta_scale=1;train.nu=0.5;seed=1",
        "method=baseline;cost.beta_scale=1;train.nu=1;seed=0",
        "method=baseline;cost.beta_scale=1;train.nu=1;seed=1",
        "method=baseline;cost.beta_scale=2;train.nu=0.5;seed=0",
        "method=baseline;cost.beta_scale=2;train.nu=0.5;seed=1",
        "method=baseline;cost.beta_scale=2;train.nu=1;seed=0",
        "method=baseline;cost.beta_scale=2;train.nu=1;seed=1",
        "method=sard;cost.beta_scale=0.5;train.nu=0.5;seed=0",
        "method=sard;cost.beta_scale=0.5;train.nu=0.5;seed=1",
        "method=sard;cost.beta_scale=0.5;train.nu=1;seed=0",
        "method=sard;cost.beta_scale=0.5;train.nu=1;seed=1",
        "method=sard;cost.beta_scale=1;train.nu=0.5;seed=0",
        "method=sard;cost.beta_scale=1;train.nu=0.5;seed=1",
        "method=sard;cost.beta_scale=1;train.nu=1;seed=0",
        "method=sard;cost.beta_scale=1;train.nu=1;seed=1",
        "method=sard;cost.beta_scale=2;train.nu=0.5;seed=0",
        "method=sard;cost.beta_scale=2;train.nu=0.5;seed=1",
        "method=sard;cost.beta_scale=2;train.nu=1;seed=0",
        "method=sard;cost.beta_scale=2;train.nu=1;seed=1",
    };
    int all = 1;
    for (size_t k = 0; k < n; k++)
        if (!streq(cells[k].id, ids[k])) {
            tap_diag("cell %zu: got %s want %s", k, cells[k].id, ids[k]);
            all = 0;
        }
    tap_ok(all, "24 ids in order");

    const struct l2d_cell *c = &cells[13]; /* sard, beta 0.5, nu 0.5, seed 1 */
    is_str(c->method, "sard", "cell 13 method");
    tap_ok(c->seed == 1, "cell 13 seed");
    tap_ok(c->nparams == 3 && streq(c->keys[0], "method") && streq(c->values[0], "sard") &&
               streq(c->keys[1], "cost.beta_scale") && streq(c->values[1], "0.5") &&
               streq(c->keys[2], "train.nu") && streq(c->values[2], "0.5"),
           "cell 13 keys and values");
    is_str(l2d_cfg_get(c->cfg, "train", "surrogate"), "smooth-adv", "method override applied");
    is_str(l2d_cfg_get(c->cfg, "attack", "eps"), "0.1", "method adds a section");
    is_str(l2d_cfg_get(c->cfg, "train", "nu"), "0.5", "swept value applied");
    is_str(l2d_cfg_get(c->cfg, "cost", "beta_scale"), "0.5", "swept value applied (2)");
    is_str(l2d_cfg_get(c->cfg, "experiment", "seeds"), "1", "seeds replaced by the cell's seed");
    is_str(l2d_cfg_get(c->cfg, "train", "lr"), "0.01", "other values kept");
    tap_ok(!l2d_cfg_has_section(c->cfg, "sweep") && !l2d_cfg_has_section(c->cfg, "method.sard") &&
               !l2d_cfg_has_section(c->cfg, "method.baseline"),
           "a cell has no [sweep] nor [method.*]");
    l2d_cfg_where(c->cfg, "train", "nu", buf, sizeof buf);
    tap_ok(strstr(buf, "good.ini:31: [sweep] train.nu") != NULL, "swept value's origin: %s", buf);
    l2d_cfg_where(c->cfg, "train", "surrogate", buf, sizeof buf);
    tap_ok(strstr(buf, "good.ini:37: [method.sard] train.surrogate") != NULL,
           "method value's origin: %s", buf);
    tap_ok(!l2d_cfg_has_section(cells[1].cfg, "attack"), "baseline cells have no [attack]");
    tap_ok(l2d_cfg_hash(cells[0].cfg) != l2d_cfg_hash(cells[1].cfg) &&
               l2d_cfg_hash(cells[0].cfg) != l2d_cfg_hash(cells[2].cfg),
           "cells differ in their text");
    l2d_cells_free(cells, n);
    l2d_cfg_free(cfg);

    /* no methods, no sweep: one cell per seed, method "default" */
    if (l2d_cfg_load(fixture("tiny.ini"), &cfg, &err) == 0) {
        rc = l2d_cfg_expand(cfg, &cells, &n, &err);
        tap_ok(rc == 0 && n == 1 && streq(cells[0].id, "seed=3") &&
                   streq(cells[0].method, "default") && cells[0].nparams == 0,
               "no sweep: one cell, id 'seed=3', method 'default'");
        if (!rc) l2d_cells_free(cells, n);
        tap_ok(l2d_cfg_set(cfg, "sweep.rejector.hidden=64 | 64,32", &err) == 0 &&
                   l2d_cfg_set(cfg, "experiment.seeds=1,2", &err) == 0,
               "--set a list-valued sweep");
        rc = l2d_cfg_expand(cfg, &cells, &n, &err);
        tap_ok(rc == 0 && n == 4 && streq(cells[2].id, "rejector.hidden=64,32;seed=1") &&
                   streq(l2d_cfg_get(cells[3].cfg, "rejector", "hidden"), "64,32") &&
                   cells[3].nparams == 1 && streq(cells[3].keys[0], "rejector.hidden"),
               "'|' separates values that hold commas: %s", n > 2 ? cells[2].id : "");
        if (!rc) l2d_cells_free(cells, n);
        tap_ok(l2d_cfg_set(cfg, "agent.expert.plugin=oracle", &err) == 0 && /* an expert too */
                   l2d_cfg_validate(cfg, resolve, &resolver_calls, &err) == 0,
               "and validates");
        l2d_cfg_free(cfg);
    }
}

/* ---- bad inputs ----------------------------------------------------------------- */

static void test_bad(void)
{
    bad_input("bad_section.ini", 4, "[trian]", "unknown section", 0);
    bad_input("bad_key.ini", 5, "lrate", "unknown key", 0);
    bad_input("bad_number.ini", 4, "[train] lr", "'abc' is not a finite number", 0);
    bad_input("bad_range.ini", 4, "[train] epochs", "out of range", 0);
    bad_input("bad_enum.ini", 4, "[train] optimizer", "'rmsprop' is not one of sgd|adam|adamw", 0);
    bad_input("bad_plugin_param.ini", 2, "[dataset] noise", "out of range", 0);
    bad_input("dup_key.ini", 6, "[train] lr", "twice in the section (first at line 4)", 1);
    bad_input("dup_section.ini", 5, "[train]", "appears twice (first at line 1)", 1);
    bad_input("missing_plugin.ini", 4, "[agent.expert] plugin", "required key is missing", 0);
    bad_input("sweep_unknown.ini", 5, "[sweep] train.foo", "unknown key", 0);
    bad_input("sweep_range.ini", 5, "[sweep] cost.beta_scale", "-0.5 is out of range", 0);
    bad_input("sweep_range.ini", 5, "beta_scale", "(cell train.epochs=5;cost.beta_scale=-0.5)", 0);
    bad_input("long_line.ini", 4, "line", "longer than 1000 characters", 1);
    bad_input("unknown_plugin.ini", 4, "[dataset] plugin",
              "no dataset plugin named 'foo' (see l2d plugins)", 0);
    bad_input("syntax.ini", 3, "this line", "expected [section] or key = value", 1);
    bad_input("outside.ini", 2, "lr", "outside any [section]", 1);
    bad_input("method_conflict.ini", 6, "[method.a] train.nu", "also swept", 0);
    bad_input("sweep_experiment.ini", 4, "experiment.seeds", "cannot change [experiment]", 0);
    bad_input("bad_seeds.ini", 2, "[experiment] seeds", "'x' is not a seed", 0);
    bad_input("bad_target.ini", 4, "[eval] attacks", "no agent named 'nobody'", 0);
    bad_input("bad_hidden.ini", 5, "[rejector] hidden", "not a list of layer sizes", 0);
    bad_input("bad_channels.ini", 5, "[rejector] channels", "not a list of channel counts", 0);
    bad_input("zero_lr.ini", 4, "[train] lr", "must be > 0", 0);
    bad_input("quote_junk.ini", 4, "[experiment] description", "text after the closing quote", 1);
    bad_input("bom.ini", 1, "byte-order mark", "save it", 1);
    bad_input("comment_cont.ini", 2, "comment ends with", "swallow line 3", 1);
    bad_input("method_unknown_key.ini", 6, "[method.b] train.momentum", "(cell method=b)", 0);

    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    int rc = l2d_cfg_load(fixture("no_agent.ini"), &cfg, &err);
    if (!rc) {
        rc = l2d_cfg_validate(cfg, resolve, &resolver_calls, &err);
        l2d_cfg_free(cfg);
    }
    tap_ok(rc != 0 && strstr(err.msg, "no_agent.ini") && strstr(err.msg, "[agent.NAME]"),
           "no agent: %s", err.msg);
    rc = l2d_cfg_load(fixture("does-not-exist.ini"), &cfg, &err);
    tap_ok(rc == L2D_EIO && cfg == NULL && strstr(err.msg, "does-not-exist.ini: cannot open"),
           "missing file: %s", err.msg);
}

/* [rejector] arch to struct l2d_arch, on a 3 x 8 x 6 image data set */
static void test_rejector_arch(void)
{
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0, ""};
    if (!tap_ok(l2d_cfg_load(fixture("good.ini"), &cfg, &err) == 0, "good.ini for [rejector]"))
        return;
    const struct l2d_dataset_info info = {.dim = 144, .shape = {3, 8, 6}};
    static const char *const sets[4][2] = {{"rejector.arch=cnn", "rejector.channels=4, 5, 6"},
                                           {"rejector.arch=resnet4", "rejector.width=12"},
                                           {"rejector.arch=mlp", "rejector.hidden=7,9"},
                                           {"rejector.arch=linear", "rejector.hidden=7"}};
    for (int k = 0; k < 4; k++) {
        struct l2d_params fw;
        struct l2d_arch a;
        size_t sizes[L2D_REJECTOR_MAX_LAYERS];
        int rc = l2d_cfg_set(cfg, sets[k][0], &err) | l2d_cfg_set(cfg, sets[k][1], &err);
        rc = rc ? rc : l2d_cfg_params(cfg, "rejector", NULL, &fw, NULL, &err);
        if (!rc) {
            rc = l2d_rejector_arch(&fw, &info, 4, sizes, &a, &err);
            l2d_params_free(&fw);
        }
        int ok = rc == 0 && a.in == 144 && a.out == 4;
        if (k == 0)
            ok = ok && a.kind == L2D_ARCH_CNN && a.in_c == 3 && a.in_h == 8 && a.in_w == 6 &&
                 a.n_channels == 3 && a.channels[0] == 4 && a.channels[2] == 6;
        else if (k == 1)
            ok = ok && a.kind == L2D_ARCH_RESNET4 && a.in_c == 3 && a.in_h == 8 && a.width == 12;
        else if (k == 2)
            ok = ok && a.kind == L2D_ARCH_MLP && a.n_hidden == 2 && a.hidden[1] == 9;
        else
            ok = ok && a.kind == L2D_ARCH_MLP && a.n_hidden == 0;
        tap_ok(ok, "%s, %s: the arch %s", sets[k][0], sets[k][1], rc ? err.msg : "");
    }
    l2d_cfg_free(cfg);
}

int main(void)
{
    tap_plan(166); /* declared first: a test that stops early fails */
    (void)tap_skip_all; /* every test here runs everywhere */
    test_good();
    test_text_hash();
    test_crlf();
    test_set();
    test_expand();
    test_bad();
    test_rejector_arch();
    return tap_done();
}
