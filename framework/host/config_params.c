/* Typed, validated parameters of one configuration section: the
 * framework's keys and the plugin's keys, with file:line in every message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host/cfg_impl.h"
#include "host/params.h"

#define WHERE_MAX 256

/* "a, b, c" of a schema, appended to buf. */
static void list_keys(const struct l2d_param_spec *schema, char *buf, size_t n)
{
    for (unsigned k = 0; schema && schema[k].key; k++) {
        size_t used = strlen(buf);
        if (used + 1 >= n) return;
        snprintf(buf + used, n - used, "%s%s", *buf ? ", " : "", schema[k].key);
    }
}

static int unknown_key(const struct l2d_cfg *cfg, const char *section, const char *key,
                       const struct l2d_param_spec *fws, const struct l2d_param_spec *ps,
                       struct l2d_error *err)
{
    char where[WHERE_MAX], known[320] = "";
    l2d_cfg_where(cfg, section, key, where, sizeof where);
    const char *pkey;
    enum l2d_kind kind = l2d_cfg_section_plugin(section, &pkey);
    list_keys(fws, known, sizeof known);
    list_keys(ps, known, sizeof known);
    if (kind) {
        const char *name = l2d_cfg_get(cfg, section, pkey);
        const struct l2d_param_spec *d = l2d_schema_find(fws, pkey);
        if (!name) name = d && d->def ? d->def : "?";
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: unknown key (not a key of [%s] nor a parameter of plugin '%s'; "
                          "known: %s)",
                          where, section, name, known);
    }
    return l2d_seterr(err, L2D_EINVAL, "%s: unknown key (known keys of [%s]: %s)", where, section,
                      known);
}

static int required_present(const struct l2d_cfg *cfg, const char *section,
                             const struct l2d_param_spec *schema, struct l2d_error *err)
{
    for (unsigned k = 0; schema && schema[k].key; k++)
        if (!schema[k].def && !l2d_cfg_get(cfg, section, schema[k].key)) {
            char where[WHERE_MAX];
            l2d_cfg_where(cfg, section, schema[k].key, where, sizeof where);
            return l2d_seterr(err, L2D_EINVAL, "%s: required key is missing", where);
        }
    return 0;
}

/* Build out from the section's keys that schema knows. */
static int build(const struct l2d_cfg *cfg, const char *section,
                 const struct l2d_param_spec *schema, struct l2d_params *out,
                 struct l2d_error *err)
{
    size_t n = l2d_cfg_nkeys(cfg, section), m = 0;
    const char **keys = calloc(n + 1, sizeof *keys), **vals = calloc(n + 1, sizeof *vals);
    char **where = calloc(n + 1, sizeof *where);
    int rc = 0;
    if (!keys || !vals || !where) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < n; k++) {
        const char *key = l2d_cfg_key(cfg, section, k);
        if (!l2d_schema_find(schema, key)) continue;
        keys[m] = key;
        vals[m] = l2d_cfg_get(cfg, section, key);
        if (!(where[m] = malloc(WHERE_MAX))) {
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        l2d_cfg_where(cfg, section, key, where[m], WHERE_MAX);
        m++;
    }
    if (!rc)
        rc = l2d_params_build(schema, m, keys, vals, (const char *const *)where, 0, out, err);
    for (size_t k = 0; where && k < m; k++) free(where[k]);
    free(where);
    free(keys);
    free(vals);
    return rc;
}

int l2d_cfg_params(const struct l2d_cfg *cfg, const char *section,
                   const struct l2d_param_spec *plugin_schema, struct l2d_params *fw,
                   struct l2d_params *plugin, struct l2d_error *err)
{
    static const struct l2d_param_spec none[] = {L2D_PARAMS_END};
    if (fw) memset(fw, 0, sizeof *fw);
    if (plugin) memset(plugin, 0, sizeof *plugin);
    if (!l2d_cfg_section_known(section) || !strcmp(section, "sweep") ||
        !strncmp(section, "method.", 7))
        return l2d_seterr(err, L2D_EINVAL, "%s: [%s] is not a section of parameters",
                          l2d_cfg_path(cfg), section);
    const struct l2d_param_spec *fws = l2d_cfg_schema(section);
    if (!fws) fws = none;
    size_t n = l2d_cfg_nkeys(cfg, section);
    for (size_t k = 0; k < n; k++) {
        const char *key = l2d_cfg_key(cfg, section, k);
        if (!l2d_schema_find(fws, key) && !l2d_schema_find(plugin_schema, key))
            return unknown_key(cfg, section, key, fws, plugin_schema, err);
    }
    int rc = required_present(cfg, section, fws, err);
    if (!rc) rc = required_present(cfg, section, plugin_schema, err);
    if (!rc && fw) rc = build(cfg, section, fws, fw, err);
    if (!rc && plugin) rc = build(cfg, section, plugin_schema ? plugin_schema : none, plugin, err);
    if (rc) {
        l2d_params_free(fw);
        l2d_params_free(plugin);
    }
    return rc;
}
