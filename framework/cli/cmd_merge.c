/* `l2d merge OUT.db IN.db...`: combine results databases (shards, Slurm
 * array tasks) into one. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "host/store.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: l2d merge OUT.db IN.db [IN.db ...]\n"
            "Copy the runs of each IN database into OUT (created when missing), in one\n"
            "transaction: an interrupted or failed merge leaves OUT as it was.\n"
            "  - experiments are matched by name and configuration; databases of different\n"
            "    experiments (names) stay apart in OUT, each under its own name\n"
            "  - a run (experiment name, settings and seed) appears once; a finished run\n"
            "    replaces a failed one, a failed one is copied only where OUT has none\n"
            "  - values are copied as stored: merged metrics equal a single run's, bit for bit\n"
            "  - merging the same databases again changes nothing\n"
            "Inputs are read only; they must be results databases of this schema version\n"
            "(an older one: run `l2d run CONFIG --db IN --dry-run` once to upgrade it).\n"
            "Exit status: 0 merged, 1 an error (OUT unchanged), 2 bad usage.\n");
}

int l2d_cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char **in = calloc((size_t)argc, sizeof *in);
    size_t nin = 0;
    if (!in) return fprintf(stderr, "l2d merge: out of memory\n"), 1;
    int quiet = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
            usage(stdout);
            free(in);
            return 0;
        }
        if (!strcmp(argv[k], "--quiet") || !strcmp(argv[k], "-q")) quiet = 1;
        else if (argv[k][0] == '-' && argv[k][1]) {
            free(in);
            return cli_usage_error("merge", "unknown option '%s'", argv[k]);
        } else if (!out) out = argv[k];
        else in[nin++] = argv[k];
    }
    if (!out || !nin) {
        free(in);
        return cli_usage_error("merge", "need OUT.db and at least one IN.db");
    }
    struct l2d_error err = {0};
    size_t copied, skipped;
    int rc = l2d_store_merge(out, in, nin, &copied, &skipped, &err);
    free(in);
    if (rc) {
        fprintf(stderr, "l2d merge: %s\n", err.msg);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "l2d merge: %zu runs copied, %zu already there; results in %s\n", copied, skipped, out);
    return 0;
}
