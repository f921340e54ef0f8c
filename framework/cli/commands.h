/* Subcommands of the l2d command; each returns the process exit status
 * (0 ok, 1 failure, 2 usage error). argv[0] is the command's name. */
#ifndef L2D_CLI_COMMANDS_H
#define L2D_CLI_COMMANDS_H
#include <stdio.h>

int l2d_cmd_run(int argc, char **argv);
int l2d_cmd_plugins(int argc, char **argv);
int l2d_cmd_plugin_check(int argc, char **argv);
int l2d_cmd_report(int argc, char **argv);
int l2d_cmd_surrogate(int argc, char **argv);
int l2d_cmd_devices(int argc, char **argv);
int l2d_cmd_merge(int argc, char **argv);
int l2d_cmd_slurm(int argc, char **argv);

/* "CUDA backend: built in, N devices visible" (or why none, or "not built
 * in"), one line: the second of l2d --version. */
void l2d_cli_cuda_line(FILE *f);
#endif
