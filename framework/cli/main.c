/* The `l2d` command: dispatch to subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "l2d/l2d.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: l2d [--version] [--help] COMMAND [ARGS]\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("l2d %s\n", l2d_version());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "l2d: unknown command '%s' (try l2d --help)\n", argv[1]);
    return 2;
}
