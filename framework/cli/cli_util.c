#include "config.h"

#include "cli/cli_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include "host/params.h"

const char CLI_MISSING[] = "<missing>";

int cli_opt_value(int argc, char **argv, int *k, const char *name, const char **value)
{
    size_t len = strlen(name);
    const char *a = argv[*k];
    if (strncmp(a, name, len)) return 0;
    if (a[len] == '=') {
        *value = a + len + 1;
        return 1;
    }
    if (a[len]) return 0;
    if (*k + 1 < argc) *value = argv[++*k];
    else *value = CLI_MISSING;
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "l2d %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try l2d %s --help)\n", cmd);
    va_end(ap);
    return 2;
}

int cli_params_from_sets(const struct l2d_plugin *d, const char *const *sets, size_t nsets,
                         struct l2d_params *out, struct l2d_error *err)
{
    char **keys = calloc(nsets + 1, sizeof *keys);
    const char **vals = calloc(nsets + 1, sizeof *vals);
    int rc = 0;
    if (!keys || !vals) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < nsets; k++) {
        const char *eq = strchr(sets[k], '=');
        if (!eq || eq == sets[k]) {
            rc = l2d_seterr(err, L2D_EINVAL, "--set %s: expected key=value", sets[k]);
            break;
        }
        if (!(keys[k] = strndup(sets[k], (size_t)(eq - sets[k]))))
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
        vals[k] = eq + 1;
    }
    if (!rc)
        rc = l2d_params_build(d->params, nsets, (const char *const *)keys, vals, NULL, 0, out, err);
    for (size_t k = 0; keys && k < nsets; k++) free(keys[k]);
    free(keys);
    free(vals);
    return rc;
}

int cli_plugin_path_check(const char *cmd, const char *dirs)
{
    if (!dirs) return 0;
    for (const char *p = dirs; *p;) {
        size_t len = strcspn(p, ":");
        if (len) {
            char *dir = strndup(p, len);
            struct stat st;
            int rc = 0;
            if (!dir) return fprintf(stderr, "l2d %s: out of memory\n", cmd), 1;
            if (stat(dir, &st))
                rc = cli_usage_error(cmd, "--plugin-path: '%s': %s", dir, strerror(errno));
            else if (!S_ISDIR(st.st_mode))
                rc = cli_usage_error(cmd, "--plugin-path: '%s' is not a directory", dir);
            free(dir);
            if (rc) return rc;
        }
        p += len + (p[len] == ':');
    }
    return 0;
}
