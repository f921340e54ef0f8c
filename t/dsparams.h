/* Test helper: struct l2d_params built by hand from a plugin's schema, its
 * defaults, and a few "key=value" overrides (no host parser needed). */
#ifndef L2D_T_DSPARAMS_H
#define L2D_T_DSPARAMS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/plugin.h"

#define DSP_MAX 32
struct dsparams {
    struct l2d_params p;
    struct l2d_param_value v[DSP_MAX];
    char text[DSP_MAX][512];
};

static void dsp_set(struct l2d_param_value *v, enum l2d_param_type type, const char *s)
{
    v->type = type;
    v->s = s;
    v->i = 0;
    v->d = 0;
    if (!s) return;
    if (type == L2D_PARAM_INT) v->i = strtoll(s, NULL, 10), v->d = (double)v->i;
    else if (type == L2D_PARAM_DOUBLE) v->d = strtod(s, NULL);
    else if (type == L2D_PARAM_BOOL)
        v->i = !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1");
}

/* overrides: NULL-terminated list of "key=value" */
static void dsp_build(struct dsparams *d, const struct l2d_param_spec *spec,
                      const char *const *overrides) __attribute__((unused));
static void dsp_build(struct dsparams *d, const struct l2d_param_spec *spec,
                      const char *const *overrides)
{
    unsigned n = 0;
    while (spec[n].key && n < DSP_MAX) n++;
    for (const char *const *o = overrides; o && *o; o++) {
        int known = 0;
        for (unsigned k = 0; k < n; k++) {
            size_t kl = strlen(spec[k].key);
            known |= !strncmp(*o, spec[k].key, kl) && (*o)[kl] == '=';
        }
        if (!known) {
            printf("Bail out! test override '%s' names no parameter\n", *o);
            exit(1);
        }
    }
    for (unsigned k = 0; k < n; k++) {
        const char *val = spec[k].def;
        for (const char *const *o = overrides; o && *o; o++) {
            size_t kl = strlen(spec[k].key);
            if (!strncmp(*o, spec[k].key, kl) && (*o)[kl] == '=') val = *o + kl + 1;
        }
        if (val) {
            snprintf(d->text[k], sizeof d->text[k], "%s", val);
            val = d->text[k];
        }
        dsp_set(&d->v[k], spec[k].type, val);
    }
    d->p.count = n;
    d->p.spec = spec;
    d->p.values = d->v;
}
#endif
