/* The `l2d` command: dispatch to subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "host/loader.h"
#include "l2d/l2d.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", l2d_cmd_run, "run an experiment's sweep into its SQLite database"},
    {"merge", l2d_cmd_merge, "combine results databases (shards, Slurm tasks) into one"},
    {"slurm", l2d_cmd_slurm, "write an sbatch job-array script for a sweep, and its merge job"},
    {"plugins", l2d_cmd_plugins, "list the plugins found, with their parameters"},
    {"plugin-check", l2d_cmd_plugin_check, "check a plugin file (descriptor; surrogate gradient)"},
    {"report", l2d_cmd_report, "tables of a results database (mean, std over seeds)"},
    {"surrogate", l2d_cmd_surrogate, "evaluate a surrogate's loss, gradient, infimum on stdin rows"},
    {"devices", l2d_cmd_devices, "list the CPU and the CUDA devices a run can use"},
};

/* Warnings of plugin discovery (a plugin shadowed by another of the same
 * kind and name earlier in the search path), from whichever command loads
 * plugins, on stderr. */
static void plugin_warning(void *self, const char *msg)
{
    fprintf(stderr, "l2d: warning: %s\n", msg);
    (void)self;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: l2d [--version] [--help] COMMAND [ARGS]\n\n"
               "l2d trains and evaluates two-stage learning-to-defer rejectors.\n\ncommands:\n");
    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
        fprintf(f, "  %-14s %s\n", commands[k].name, commands[k].summary);
    fprintf(f, "\n`l2d COMMAND --help` describes a command.\n"
               "L2D_CPU_PATH=auto|scalar|avx2|gemm|small forces a CPU code path (README.md).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("l2d %s (plugin ABI %d.%d)\n", l2d_version(), L2D_ABI_MAJOR, L2D_ABI_MINOR);
        l2d_cli_cuda_line(stdout);
        printf("commit: %s\n", l2d_build_commit());
        printf("build: %s\n", l2d_build_options());
        printf("BLAS: %s\n", l2d_blas_config());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    /* The library can only fall back to auto on a bad L2D_CPU_PATH; a user
     * who set it wants that path or to hear why not, before any work. */
    struct l2d_error err = {0};
    if (l2d_cpu_path_env(&err)) {
        fprintf(stderr, "l2d: %s\n", err.msg);
        return 2;
    }
    l2d_registry_set_warning_hook(plugin_warning, NULL);
    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
        if (!strcmp(argv[1], commands[k].name)) return commands[k].run(argc - 1, argv + 1);
    fprintf(stderr, "l2d: unknown command '%s' (try l2d --help)\n", argv[1]);
    return 2;
}
