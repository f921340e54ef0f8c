/* Test helpers: load one plugin of the build tree and build its parameters
 * from "key=value" strings through the host's own validation. */
#ifndef L2D_T_PLUGIN_UTIL_H
#define L2D_T_PLUGIN_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/loader.h"
#include "host/params.h"
#include "l2d/plugin.h"

/* The first descriptor of plugins/.libs/FILE, or NULL (message printed as a
 * TAP comment). reg must be freed by the caller. */
static __attribute__((unused)) const struct l2d_plugin *
tplug_open(struct l2d_registry *reg, const char *file)
{
    char path[4096];
    struct l2d_error err = {0};
    memset(reg, 0, sizeof *reg);
    snprintf(path, sizeof path, "%s/plugins/.libs/%s", L2D_ABS_BUILDDIR, file);
    if (l2d_registry_add_file(reg, path, &err) || reg->n == 0) {
        printf("# cannot load %s: %s\n", path, err.msg);
        return NULL;
    }
    return reg->items[0].desc;
}

/* Validated parameters from n "key=value" strings. */
static __attribute__((unused)) int tplug_params(const struct l2d_plugin *d, const char *const *sets,
                                                size_t n, struct l2d_params *out,
                                                struct l2d_error *err)
{
    char *keys[32] = {0}, *vals[32];
    int rc = 0;
    if (n > 32) return l2d_seterr(err, L2D_EINVAL, "too many parameters");
    for (size_t k = 0; !rc && k < n; k++) {
        char *eq = (keys[k] = strdup(sets[k])) ? strchr(keys[k], '=') : NULL;
        if (!eq) rc = l2d_seterr(err, L2D_EINVAL, "'%s': no '=' (or out of memory)", sets[k]);
        else *eq = '\0', vals[k] = eq + 1;
    }
    if (!rc)
        rc = l2d_params_build(d->params, n, (const char *const *)keys, (const char *const *)vals,
                              NULL, 0, out, err);
    for (size_t k = 0; k < n; k++) free(keys[k]);
    return rc;
}
#endif
