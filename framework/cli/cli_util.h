/* Small helpers shared by the subcommands: option parsing and messages. */
#ifndef L2D_CLI_UTIL_H
#define L2D_CLI_UTIL_H
#include <stddef.h>
#include "l2d/plugin.h"

/* Marks an option given without its value. */
extern const char CLI_MISSING[];

/* If argv[*k] is `name VALUE` or `name=VALUE`, store VALUE (CLI_MISSING
 * when absent), advance *k past it and return 1; else return 0. */
int cli_opt_value(int argc, char **argv, int *k, const char *name, const char **value);

/* "l2d CMD: MESSAGE (try l2d CMD --help)" on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each ':'-separated entry of --plugin-path DIRS (given on the command
 * line, so a typo is refused) is a directory; else the usage error, 2. */
int cli_plugin_path_check(const char *cmd, const char *dirs);

/* Validated parameters of plugin d from "key=value" strings. */
int cli_params_from_sets(const struct l2d_plugin *d, const char *const *sets, size_t nsets,
                         struct l2d_params *out, struct l2d_error *err);
#endif
