/* `l2d plugins` and `l2d plugin-check`. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/cli_util.h"
#include "host/dirs.h"
#include "host/loader.h"
#include "host/params.h"
#include "host/plugin_check.h"

static const char *type_name(enum l2d_param_type t)
{
    switch (t) {
    case L2D_PARAM_INT: return "int";
    case L2D_PARAM_DOUBLE: return "double";
    case L2D_PARAM_BOOL: return "bool";
    case L2D_PARAM_STRING: return "string";
    case L2D_PARAM_ENUM: return "enum";
    case L2D_PARAM_END: break;
    }
    return "?";
}

static void print_params(FILE *f, const struct l2d_param_spec *ps)
{
    if (!ps || !ps->key) {
        fprintf(f, "    (no parameters)\n");
        return;
    }
    for (; ps->key; ps++) {
        char range[128] = "";
        if (ps->type == L2D_PARAM_ENUM)
            snprintf(range, sizeof range, " {%s}", ps->choices);
        else if ((ps->type == L2D_PARAM_INT || ps->type == L2D_PARAM_DOUBLE) && ps->min <= ps->max)
            snprintf(range, sizeof range, " [%g, %g]", ps->min, ps->max);
        fprintf(f, "    %-16s %-6s%s = %s\n", ps->key, type_name(ps->type), range,
                ps->def ? (*ps->def ? ps->def : "\"\"") : "(required)");
        if (ps->help && *ps->help) fprintf(f, "    %-16s %s\n", "", ps->help);
    }
}

static void print_plugin(FILE *f, const struct l2d_loaded *it, int verbose)
{
    const struct l2d_plugin *d = it->desc;
    fprintf(f, "%-9s %-16s %-8s %s\n", l2d_kind_name(d->kind), d->name, d->version, d->summary);
    if (verbose) {
        fprintf(f, "    file: %s\n", it->path);
        print_params(f, d->params);
    }
}

static void plugins_usage(FILE *f)
{
    fprintf(f,
            "usage: l2d plugins [--plugin-path DIRS] [--kind KIND] [--brief] [NAME]\n"
            "List every plugin found, with its parameters and their help.\n"
            "  --plugin-path DIRS  search these ':'-separated directories first\n"
            "  --kind KIND         only dataset, agent, surrogate or attack plugins\n"
            "  --brief             one line per plugin\n"
            "Search order: --plugin-path, $L2D_PLUGIN_PATH, %s",
            l2d_pkglibdir());
    /* only the l2d of a build tree looks there, and only it says so */
    const char *build = l2d_build_plugin_dir();
    if (build) fprintf(f, ", then this build tree's %s", build);
    fprintf(f, ".\n");
}

int l2d_cmd_plugins(int argc, char **argv)
{
    const char *path = NULL, *kind = NULL, *name = NULL;
    int brief = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) return plugins_usage(stdout), 0;
        if (!strcmp(argv[k], "--brief")) brief = 1;
        else if (cli_opt_value(argc, argv, &k, "--plugin-path", &path)) continue;
        else if (cli_opt_value(argc, argv, &k, "--kind", &kind)) continue;
        else if (argv[k][0] == '-') return cli_usage_error("plugins", "unknown option '%s'", argv[k]);
        else if (!name) name = argv[k];
        else return cli_usage_error("plugins", "unexpected argument '%s'", argv[k]);
    }
    if (path == CLI_MISSING || kind == CLI_MISSING)
        return cli_usage_error("plugins", "option needs a value");
    int bad = cli_plugin_path_check("plugins", path);
    if (bad) return bad;
    struct l2d_registry reg = {0};
    struct l2d_error err = {0};
    if (l2d_registry_default(&reg, path, &err)) {
        fprintf(stderr, "l2d plugins: %s\n", err.msg);
        return 1;
    }
    static const enum l2d_kind order[] = {L2D_KIND_DATASET, L2D_KIND_AGENT, L2D_KIND_SURROGATE,
                                          L2D_KIND_ATTACK};
    size_t shown = 0;
    for (size_t o = 0; o < 4; o++) {
        if (kind && strcmp(kind, l2d_kind_name(order[o]))) continue;
        for (size_t k = 0; k < reg.n; k++) {
            if (reg.items[k].desc->kind != order[o]) continue;
            if (name && strcmp(name, reg.items[k].desc->name)) continue;
            print_plugin(stdout, &reg.items[k], !brief);
            shown++;
        }
    }
    for (size_t k = 0; k < reg.nproblems; k++) fprintf(stderr, "l2d plugins: refused: %s\n", reg.problems[k]);
    int rc = 0;
    if (kind && strcmp(kind, "dataset") && strcmp(kind, "agent") && strcmp(kind, "surrogate") &&
        strcmp(kind, "attack")) {
        fprintf(stderr, "l2d plugins: unknown kind '%s' (dataset, agent, surrogate, attack)\n", kind);
        rc = 2;
    } else if (name && !shown) {
        fprintf(stderr, "l2d plugins: no plugin named '%s'\n", name);
        rc = 1;
    } else if (!shown && !name) {
        fprintf(stderr, "l2d plugins: no plugins found\n");
        rc = 1;
    }
    l2d_registry_free(&reg);
    return rc;
}

static void check_usage(FILE *f)
{
    fprintf(f,
            "usage: l2d plugin-check FILE.so [--set key=value]... [--trials N] [--seed S]\n"
            "Load one plugin file and check each descriptor it exports: magic, ABI,\n"
            "struct size, kind, name, parameter schema, ops; for a surrogate, also\n"
            "create it (defaults or --set), compare its gradient with central\n"
            "finite differences on random scores and costs, and check that it is a\n"
            "deferral surrogate: minimised over the scores, the cheapest agent's score\n"
            "ends the largest (consistency); its infimum op, if any, is never above the\n"
            "loss and the minimised loss reaches it; at equal scores, raising the\n"
            "cheapest agent's score never raises the loss (direction).\n");
}

/* Each key=value of --set names a parameter of d and parses as its type. */
static int check_sets(const struct l2d_plugin *d, const char *const *sets, size_t nsets,
                      struct l2d_error *err)
{
    for (size_t k = 0; k < nsets; k++) {
        const char *eq = strchr(sets[k], '=');
        if (!eq || eq == sets[k])
            return l2d_seterr(err, L2D_EINVAL, "--set %s: expected key=value", sets[k]);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[k]), sets[k]);
        const struct l2d_param_spec *spec = l2d_schema_find(d->params, key);
        if (!spec) return l2d_seterr(err, L2D_EINVAL, "%s: unknown parameter", key);
        struct l2d_param_value v;
        if (l2d_param_parse(spec, eq + 1, key, &v, err)) return err->code;
    }
    return 0;
}

/* Consistency, infimum and direction of one surrogate with A agents: a
 * line per check, on stdout when it passes, on stderr saying what is wrong
 * when not. 1 when a check failed. */
static int sanity(const char *file, const char *name, const struct l2d_surrogate_ops *ops,
                  void *state, uint64_t seed, int trials, size_t A)
{
    struct l2d_sanity sc;
    struct l2d_error err = {0};
    if (l2d_surrogate_sanity(ops, state, seed, trials, A, &sc, &err)) {
        fprintf(stderr, "l2d plugin-check: %s: %zu agents: %s\n", name, A, err.msg);
        return 1;
    }
    int failed = 0;
    if (sc.consistency_fail) {
        fprintf(stderr, "l2d plugin-check: %s: not consistent, %zu agents (%d of %d cost vectors): %s\n",
                name, A, sc.consistency_fail, sc.trials, sc.consistency_why);
        failed = 1;
    } else {
        printf("%s: %s: consistency, %zu agents, %d cost vectors: minimising the loss makes the "
               "cheapest agent's score the largest: ok\n", file, name, A, sc.trials);
    }
    if (!sc.has_infimum) {
        if (A == 2) printf("%s: %s: infimum: no infimum op, not checked\n", file, name);
    } else if (sc.infimum_above_fail || sc.infimum_gap_fail) {
        fprintf(stderr, "l2d plugin-check: %s: wrong infimum, %zu agents (%d of %d cost vectors): %s\n",
                name, A, sc.infimum_above_fail ? sc.infimum_above_fail : sc.infimum_gap_fail,
                sc.trials, sc.infimum_why);
        failed = 1;
    } else {
        printf("%s: %s: infimum, %zu agents: never above the loss, the minimised loss within "
               "%.3g of it: ok\n", file, name, A, sc.max_gap);
    }
    if (sc.direction_fail) {
        fprintf(stderr, "l2d plugin-check: %s: wrong direction, %zu agents (%d cases): %s\n", name,
                A, sc.direction_fail, sc.direction_why);
        failed = 1;
    } else {
        printf("%s: %s: direction, %zu agents: raising the cheapest agent's score never raises "
               "the loss: ok\n", file, name, A);
    }
    return failed;
}

int l2d_cmd_plugin_check(int argc, char **argv)
{
    const char *file = NULL, *trials_s = NULL, *seed_s = NULL;
    const char *sets[64];
    size_t nsets = 0;
    for (int k = 1; k < argc; k++) {
        const char *v;
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) return check_usage(stdout), 0;
        if (cli_opt_value(argc, argv, &k, "--trials", &trials_s)) continue;
        if (cli_opt_value(argc, argv, &k, "--seed", &seed_s)) continue;
        if (cli_opt_value(argc, argv, &k, "--set", &v)) {
            if (v == CLI_MISSING || nsets == 64) return cli_usage_error("plugin-check", "bad --set");
            sets[nsets++] = v;
            continue;
        }
        if (argv[k][0] == '-') return cli_usage_error("plugin-check", "unknown option '%s'", argv[k]);
        if (file) return cli_usage_error("plugin-check", "one plugin file at a time");
        file = argv[k];
    }
    if (!file) return cli_usage_error("plugin-check", "which plugin file?");
    int64_t trials = 20, seed = 1;
    if (trials_s == CLI_MISSING || seed_s == CLI_MISSING ||
        (trials_s && (l2d_parse_int64(trials_s, &trials) || trials < 1 || trials > 100000)) ||
        (seed_s && l2d_parse_int64(seed_s, &seed)))
        return cli_usage_error("plugin-check", "--trials and --seed take integers");

    struct l2d_registry reg = {0};
    struct l2d_error err = {0};
    /* a bare file name would make dlopen search the library path */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", strchr(file, '/') ? "" : "./", file);
    if (l2d_registry_add_file(&reg, path, &err)) {
        fprintf(stderr, "l2d plugin-check: %s\n", err.msg);
        l2d_registry_free(&reg);
        return 1;
    }
    int failed = 0;
    for (size_t k = 0; k < reg.n; k++) {
        const struct l2d_plugin *d = reg.items[k].desc;
        printf("%s: %s %s %s: descriptor ok (ABI %u.%u)\n", file, l2d_kind_name(d->kind), d->name,
               d->version, d->abi_major, d->abi_minor);
        if (d->kind != L2D_KIND_SURROGATE) {
            /* only a surrogate is instantiated here: a required parameter
             * (csv's path) need not be given, but each --set must fit */
            if (check_sets(d, sets, nsets, &err)) {
                fprintf(stderr, "l2d plugin-check: %s: %s\n", d->name, err.msg);
                failed = 1;
            }
            continue;
        }
        struct l2d_params params;
        if (cli_params_from_sets(d, sets, nsets, &params, &err)) {
            fprintf(stderr, "l2d plugin-check: %s: %s\n", d->name, err.msg);
            failed = 1;
            continue;
        }
        const struct l2d_surrogate_ops *ops = d->ops;
        struct l2d_host host = {sizeof host, (uint64_t)seed, NULL, NULL, NULL};
        void *state = NULL;
        if (ops->create(&params, &host, &state, &err)) {
            fprintf(stderr, "l2d plugin-check: %s: create: %s\n", d->name, err.msg);
            failed = 1;
        } else {
            for (size_t A = 2; A <= 5; A++) {
                struct l2d_gradcheck gc;
                int rc = l2d_surrogate_gradcheck(ops, state, (uint64_t)seed + A, (int)trials, A, &gc, &err);
                if (rc) {
                    fprintf(stderr, "l2d plugin-check: %s: gradient check, %zu agents: %s\n",
                            d->name, A, err.msg);
                    failed = 1;
                } else if (gc.failures) {
                    fprintf(stderr, "l2d plugin-check: %s: gradient differs from finite "
                            "differences in %d of %d trials with %zu agents; worst: %s\n",
                            d->name, gc.failures, gc.trials, A, gc.worst);
                    failed = 1;
                } else {
                    printf("%s: %s: gradient vs finite differences, %zu agents, %d trials: "
                           "max abs err %.3g, max rel err %.3g: ok",
                           file, d->name, A, gc.trials, gc.max_abs_err, gc.max_rel_err);
                    if (gc.kinks)
                        printf(" (%d coordinates next to a kink: a subgradient)", gc.kinks);
                    putchar('\n');
                }
            }
            /* cost vectors for the minimisations: as many as gradient
             * trials, up to 100 (each costs a few thousand loss calls) */
            for (size_t A = 2; A <= 5; A++)
                failed |= sanity(file, d->name, ops, state, (uint64_t)seed + 100 + A,
                                 trials < 100 ? (int)trials : 100, A);
            ops->destroy(state);
        }
        l2d_params_free(&params);
    }
    l2d_registry_free(&reg);
    if (!failed) printf("%s: ok\n", file);
    return failed ? 1 : 0;
}
