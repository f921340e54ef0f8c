/* Tests of agent plugins: build struct l2d_params from a plugin's schema,
 * its defaults and "key=value" overrides, as the host would (without the
 * host's validation, so tests can also hand plugins out-of-range values). */
#ifndef L2D_T_AGENT_PARAMS_H
#define L2D_T_AGENT_PARAMS_H
#include <stdlib.h>
#include <string.h>
#include "l2d/plugin.h"

#define TP_MAX 32
struct tparams {
    struct l2d_params p;
    struct l2d_param_value v[TP_MAX];
    char text[TP_MAX][512];
};

/* 0 on success; -1 if a required key has no value or a key is unknown. */
static int tparams_build(struct tparams *tp, const struct l2d_param_spec *spec,
                         const char *const *kv) __attribute__((unused));
static int tparams_build(struct tparams *tp, const struct l2d_param_spec *spec,
                         const char *const *kv)
{
    unsigned n = 0;
    memset(tp, 0, sizeof *tp);
    for (; spec[n].key && n < TP_MAX; n++) {
        const char *val = spec[n].def;
        size_t klen = strlen(spec[n].key);
        for (size_t k = 0; kv && kv[k]; k++)
            if (strncmp(kv[k], spec[n].key, klen) == 0 && kv[k][klen] == '=')
                val = kv[k] + klen + 1;
        if (!val)
            return -1;
        snprintf(tp->text[n], sizeof tp->text[n], "%s", val);
        struct l2d_param_value *v = &tp->v[n];
        v->type = spec[n].type;
        v->s = tp->text[n];
        if (spec[n].type == L2D_PARAM_INT || spec[n].type == L2D_PARAM_BOOL) {
            v->i = strcmp(val, "true") == 0 ? 1 : strtoll(val, NULL, 10);
            v->d = (double)v->i;
        } else if (spec[n].type == L2D_PARAM_DOUBLE) {
            v->d = strtod(val, NULL);
        }
    }
    for (size_t k = 0; kv && kv[k]; k++) {
        int found = 0;
        for (unsigned j = 0; j < n; j++) {
            size_t klen = strlen(spec[j].key);
            if (strncmp(kv[k], spec[j].key, klen) == 0 && kv[k][klen] == '=')
                found = 1;
        }
        if (!found)
            return -1;
    }
    tp->p.count = n;
    tp->p.spec = spec;
    tp->p.values = tp->v;
    return 0;
}
#endif
