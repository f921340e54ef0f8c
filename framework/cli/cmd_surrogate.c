/* `l2d surrogate eval`: a surrogate plugin's loss, gradient and infimum on
 * rows of scores and costs read from stdin, for checks by hand and from
 * other tools (e.g. comparing with a Python reference). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "host/loader.h"
#include "host/params.h"

#define MAX_SETS 64
/* Agents per row: runs have at most 64; rho-margin costs O(A^2) per row,
 * so a million agents would run for hours. */
#define MAX_AGENTS 4096

static void surrogate_usage(FILE *f)
{
    fprintf(f,
            "usage: l2d surrogate eval --plugin NAME [--set key=value]... [--infimum]\n"
            "                          [--plugin-path DIRS]\n"
            "Evaluate a surrogate plugin on rows read from stdin, one per line:\n"
            "    A r_0 .. r_{A-1} c_0 .. c_{A-1}\n"
            "(A = 2 .. %d agents, their scores r and per-agent costs c; whitespace separated;\n"
            "blank lines and text after # are skipped). Prints per row\n"
            "    loss g_0 .. g_{A-1} [infimum]\n"
            "with g = d loss / d r, every number as %%.17g.\n"
            "  --plugin NAME       the surrogate plugin (see l2d plugins --kind surrogate)\n"
            "  --set key=value     one of its parameters (repeatable)\n"
            "  --infimum           append the pointwise infimum over scores for the row's costs\n"
            "  --plugin-path DIRS  search these ':'-separated directories first\n"
            "Exit status: 0 ok, 1 a bad row or a loss error (stdin:LINE: ...), 2 usage.\n",
            MAX_AGENTS);
}

struct row_buf {
    double *r, *c, *g;
    size_t cap;
};

static int row_reserve(struct row_buf *b, size_t A)
{
    if (A <= b->cap)
        return 0;
    double *p = realloc(b->r, 3 * A * sizeof *p);
    if (!p)
        return -1;
    b->r = p;
    b->c = p + A;
    b->g = p + 2 * A;
    b->cap = A;
    return 0;
}

static void print_num(double v, int first)
{
    printf(first ? "%.17g" : " %.17g", v == 0 ? 0.0 : v); /* no "-0" */
}

/* One row: 0 and printed, -1 (blank) or 1 after a message on stderr. */
static int eval_line(char *line, size_t len, unsigned long lineno,
                     const struct l2d_surrogate_ops *ops, void *state, int want_inf,
                     struct row_buf *b)
{
    if (memchr(line, 0, len)) { /* strtok would stop there and drop the rest */
        fprintf(stderr, "stdin:%lu: NUL byte: not a text row\n", lineno);
        return 1;
    }
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    const char *sep = " \t\r\n\v\f";
    char *save = NULL, *tok = strtok_r(line, sep, &save);
    if (!tok)
        return -1;
    int64_t A64;
    if (l2d_parse_int64(tok, &A64)) {
        fprintf(stderr, "stdin:%lu: the number of agents '%.40s%s' is not an integer\n", lineno,
                tok, strlen(tok) > 40 ? "..." : "");
        return 1;
    }
    if (A64 < 2 || A64 > MAX_AGENTS) {
        fprintf(stderr, "stdin:%lu: A = %lld agents (must be 2 .. %d)\n", lineno,
                (long long)A64, MAX_AGENTS);
        return 1;
    }
    const size_t A = (size_t)A64;
    if (row_reserve(b, A)) {
        fprintf(stderr, "stdin:%lu: out of memory for %zu agents\n", lineno, A);
        return 1;
    }
    size_t got = 0;
    while ((tok = strtok_r(NULL, sep, &save))) {
        double v;
        if (l2d_parse_double(tok, &v)) {
            fprintf(stderr, "stdin:%lu: '%.40s%s' is not a finite number\n", lineno, tok,
                    strlen(tok) > 40 ? "..." : "");
            return 1;
        }
        if (got < 2 * A)
            (got < A ? b->r : b->c)[got % A] = v;
        got++;
    }
    if (got != 2 * A) {
        fprintf(stderr,
                "stdin:%lu: A = %zu needs %zu numbers after it (%zu scores, %zu costs), got %zu\n",
                lineno, A, 2 * A, A, A, got);
        return 1;
    }
    double loss, inf = 0;
    struct l2d_error err = {0, ""};
    if (ops->loss(state, b->r, b->c, 1, A, &loss, b->g, &err) ||
        (want_inf && ops->infimum(state, b->c, 1, A, &inf, &err))) {
        fprintf(stderr, "stdin:%lu: %s\n", lineno, err.msg); /* the plugin names itself */
        return 1;
    }
    print_num(loss, 1);
    for (size_t k = 0; k < A; k++)
        print_num(b->g[k], 0);
    if (want_inf)
        print_num(inf, 0);
    putchar('\n');
    return 0;
}

static int surrogate_eval(int argc, char **argv)
{
    const char *name = NULL, *path = NULL, *sets[MAX_SETS];
    size_t nsets = 0;
    int want_inf = 0;
    for (int k = 1; k < argc; k++) {
        const char *v;
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h"))
            return surrogate_usage(stdout), 0;
        if (!strcmp(argv[k], "--infimum")) {
            want_inf = 1;
            continue;
        }
        if (cli_opt_value(argc, argv, &k, "--plugin-path", &path))
            continue;
        if (cli_opt_value(argc, argv, &k, "--plugin", &name))
            continue;
        if (cli_opt_value(argc, argv, &k, "--set", &v)) {
            if (v == CLI_MISSING)
                return cli_usage_error("surrogate", "--set needs key=value");
            if (nsets == MAX_SETS)
                return cli_usage_error("surrogate", "more than %d --set options", MAX_SETS);
            sets[nsets++] = v;
            continue;
        }
        return cli_usage_error("surrogate", "unknown argument '%s'", argv[k]);
    }
    if (!name || name == CLI_MISSING)
        return cli_usage_error("surrogate", "eval needs --plugin NAME");
    if (path == CLI_MISSING)
        return cli_usage_error("surrogate", "--plugin-path needs a value");
    int bad = cli_plugin_path_check("surrogate", path);
    if (bad)
        return bad;

    struct l2d_registry reg = {0};
    struct l2d_error err = {0, ""};
    if (l2d_registry_default(&reg, path, &err)) {
        fprintf(stderr, "l2d surrogate: %s\n", err.msg);
        l2d_registry_free(&reg);
        return 2;
    }
    const struct l2d_loaded *it = l2d_registry_find(&reg, L2D_KIND_SURROGATE, name);
    if (!it) {
        fprintf(stderr,
                "l2d surrogate: no surrogate plugin named '%s' (l2d plugins --kind surrogate "
                "lists them)\n",
                name);
        l2d_registry_free(&reg);
        return 2;
    }
    const struct l2d_plugin *d = it->desc;
    const struct l2d_surrogate_ops *ops = d->ops;
    struct l2d_params params;
    if (cli_params_from_sets(d, sets, nsets, &params, &err)) {
        fprintf(stderr, "l2d surrogate: %s: %s\n", name, err.msg);
        l2d_registry_free(&reg);
        return 2;
    }
    int rc = 0;
    void *state = NULL;
    struct l2d_host host = {sizeof host, 0, NULL, NULL, NULL};
    if (want_inf && !ops->infimum) {
        fprintf(stderr, "l2d surrogate: %s has no infimum op (drop --infimum)\n", name);
        rc = 2;
    } else if (ops->create(&params, &host, &state, &err)) {
        fprintf(stderr, "l2d surrogate: %s: %s\n", name, err.msg);
        rc = 2;
    } else {
        struct row_buf b = {NULL, NULL, NULL, 0};
        char *line = NULL;
        size_t cap = 0;
        unsigned long lineno = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, stdin)) != -1) {
            lineno++;
            if (eval_line(line, (size_t)got, lineno, ops, state, want_inf, &b) == 1) {
                rc = 1;
                break;
            }
        }
        if (!rc && ferror(stdin)) {
            fprintf(stderr, "stdin: read error after line %lu\n", lineno);
            rc = 1;
        }
        if (fflush(stdout) && !rc) {
            fprintf(stderr, "l2d surrogate: cannot write the results\n");
            rc = 1;
        }
        free(line);
        free(b.r);
        ops->destroy(state);
    }
    l2d_params_free(&params);
    l2d_registry_free(&reg);
    return rc;
}

int l2d_cmd_surrogate(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("surrogate", "which action? (eval)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return surrogate_usage(stdout), 0;
    if (!strcmp(argv[1], "eval"))
        return surrogate_eval(argc - 1, argv + 1);
    return cli_usage_error("surrogate", "unknown action '%s' (eval)", argv[1]);
}
