/* Parameter values from text, checked against a plugin's schema. */
#include "config.h"

#include "host/params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int l2d_parse_double(const char *s, double *out)
{
    char *end;
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int l2d_parse_int64(const char *s, int64_t *out)
{
    char *end;
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int l2d_parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    if (!s) return -1;
    for (size_t k = 0; k < 4; k++) {
        if (!strcasecmp(s, yes[k])) return *out = 1, 0;
        if (!strcasecmp(s, no[k])) return *out = 0, 0;
    }
    return -1;
}

/* Is `text` one of the '|'-separated choices? */
static int choice_ok(const char *choices, const char *text)
{
    size_t len = strlen(text);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && !strncmp(p, text, n)) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int bounded(const struct l2d_param_spec *spec) { return spec->min <= spec->max; }

/* The shortest text that reads back as v (so -0.1 prints as -0.1). */
static const char *num(char *buf, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

int l2d_param_parse(const struct l2d_param_spec *spec, const char *text, const char *where,
                    struct l2d_param_value *out, struct l2d_error *err)
{
    memset(out, 0, sizeof *out);
    out->type = spec->type;
    out->s = text;
    if (!where) where = spec->key;
    switch (spec->type) {
    case L2D_PARAM_INT: {
        int64_t v;
        if (l2d_parse_int64(text, &v))
            return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not an integer", where, text);
        char a[32], b[32];
        if (bounded(spec) && ((double)v < spec->min || (double)v > spec->max))
            return l2d_seterr(err, L2D_EINVAL, "%s: %lld is out of range [%s, %s]", where,
                              (long long)v, num(a, sizeof a, spec->min), num(b, sizeof b, spec->max));
        out->i = v;
        out->d = (double)v;
        return 0;
    }
    case L2D_PARAM_DOUBLE: {
        double v;
        if (l2d_parse_double(text, &v))
            return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a finite number", where, text);
        char a[32], b[32], c[32];
        if (bounded(spec) && (v < spec->min || v > spec->max))
            return l2d_seterr(err, L2D_EINVAL, "%s: %s is out of range [%s, %s]", where,
                              num(c, sizeof c, v), num(a, sizeof a, spec->min), num(b, sizeof b, spec->max));
        out->d = v;
        return 0;
    }
    case L2D_PARAM_BOOL: {
        int b;
        if (l2d_parse_bool(text, &b))
            return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a boolean (true/false)", where,
                              text);
        out->i = b;
        out->d = b;
        return 0;
    }
    case L2D_PARAM_STRING:
        return 0;
    case L2D_PARAM_ENUM:
        if (!choice_ok(spec->choices, text))
            return l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not one of %s", where, text,
                              spec->choices);
        return 0;
    case L2D_PARAM_END:
        break;
    }
    return l2d_seterr(err, L2D_EINTERNAL, "%s: parameter has no type", where);
}

unsigned l2d_schema_count(const struct l2d_param_spec *schema)
{
    unsigned n = 0;
    while (schema && schema[n].key) n++;
    return n;
}

const struct l2d_param_spec *l2d_schema_find(const struct l2d_param_spec *schema, const char *key)
{
    for (unsigned k = 0; schema && schema[k].key; k++)
        if (!strcmp(schema[k].key, key)) return &schema[k];
    return NULL;
}

static int key_ok(const char *key)
{
    if (!*key) return 0;
    for (const char *p = key; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')) return 0;
    return 1;
}

int l2d_schema_check(const struct l2d_param_spec *schema, const char *who, struct l2d_error *err)
{
    if (!schema) return 0; /* no parameters */
    for (unsigned k = 0; schema[k].key; k++) {
        const struct l2d_param_spec *s = &schema[k];
        if (k > 4096)
            return l2d_seterr(err, L2D_EINVAL, "%s: parameter schema is not terminated", who);
        if (!key_ok(s->key))
            return l2d_seterr(err, L2D_EINVAL, "%s: parameter key '%s' is not [a-z0-9_]+", who,
                              s->key);
        if (s->type < L2D_PARAM_INT || s->type > L2D_PARAM_ENUM)
            return l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s' has an unknown type %d", who,
                              s->key, (int)s->type);
        for (unsigned j = 0; j < k; j++)
            if (!strcmp(schema[j].key, s->key))
                return l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s' is declared twice", who,
                                  s->key);
        if (s->type == L2D_PARAM_ENUM && (!s->choices || !*s->choices))
            return l2d_seterr(err, L2D_EINVAL, "%s: enum parameter '%s' has no choices", who,
                              s->key);
        if (s->def) {
            struct l2d_param_value v;
            struct l2d_error e2;
            if (l2d_param_parse(s, s->def, s->key, &v, &e2))
                return l2d_seterr(err, L2D_EINVAL, "%s: invalid default: %s", who, e2.msg);
        }
    }
    return 0;
}

void l2d_params_free(struct l2d_params *p)
{
    if (!p || !p->values) return;
    struct l2d_param_value *v = (struct l2d_param_value *)p->values;
    for (unsigned k = 0; k < p->count; k++) free((char *)v[k].s);
    free(v);
    p->values = NULL;
    p->count = 0;
}

int l2d_params_build(const struct l2d_param_spec *schema, size_t n, const char *const *keys,
                     const char *const *vals, const char *const *where, int ignore_unknown,
                     struct l2d_params *out, struct l2d_error *err)
{
    unsigned count = l2d_schema_count(schema);
    out->count = count;
    out->spec = schema;
    out->values = NULL;
    for (size_t k = 0; k < n; k++)
        if (!l2d_schema_find(schema, keys[k]) && !ignore_unknown)
            return l2d_seterr(err, L2D_EINVAL, "%s: unknown parameter",
                              where && where[k] ? where[k] : keys[k]);
    struct l2d_param_value *v = calloc(count ? count : 1, sizeof *v);
    if (!v) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    out->values = v;
    for (unsigned s = 0; s < count; s++) {
        const char *text = schema[s].def, *w = schema[s].key;
        for (size_t k = 0; k < n; k++) /* the last assignment wins */
            if (!strcmp(keys[k], schema[s].key)) {
                text = vals[k];
                w = where && where[k] ? where[k] : keys[k];
            }
        if (!text) {
            l2d_params_free(out);
            return l2d_seterr(err, L2D_EINVAL, "%s: required parameter is missing", w);
        }
        char *copy = strdup(text);
        if (!copy) {
            l2d_params_free(out);
            return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        }
        int rc = l2d_param_parse(&schema[s], copy, w, &v[s], err);
        v[s].s = copy;
        if (rc) {
            l2d_params_free(out);
            return rc;
        }
    }
    return 0;
}
