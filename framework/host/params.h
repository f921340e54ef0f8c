/* Typed plugin/framework parameters from text: validation against a schema
 * (struct l2d_param_spec, plugin.h), defaults, ranges, enum choices. */
#ifndef L2D_HOST_PARAMS_H
#define L2D_HOST_PARAMS_H
#include <stddef.h>
#include "l2d/plugin.h"

/* Is this schema well formed? (keys [a-z0-9_]+ and unique, known types,
 * defaults parse and lie in range, enum choices non-empty). `who` names the
 * plugin in the message. */
int l2d_schema_check(const struct l2d_param_spec *schema, const char *who, struct l2d_error *err);

/* Number of entries before the terminator. */
unsigned l2d_schema_count(const struct l2d_param_spec *schema);
const struct l2d_param_spec *l2d_schema_find(const struct l2d_param_spec *schema, const char *key);

/* Parse one value of the given spec; `where` prefixes the message
 * (e.g. "exp.ini:12: [train] nu"). */
int l2d_param_parse(const struct l2d_param_spec *spec, const char *text, const char *where,
                    struct l2d_param_value *out, struct l2d_error *err);

/* Build validated values for every key of `schema` from n (key, value)
 * pairs: a key not in the schema is an error unless ignore_unknown; a
 * missing required key is an error; absent keys take their default.
 * where(k) gives the message prefix for pair k (NULL: "key"). out->values
 * and the strings it points to are owned by *out: l2d_params_free(). */
int l2d_params_build(const struct l2d_param_spec *schema, size_t n, const char *const *keys,
                     const char *const *vals, const char *const *where, int ignore_unknown,
                     struct l2d_params *out, struct l2d_error *err);
void l2d_params_free(struct l2d_params *p);

/* Strict number parsing: whole string, finite. 0 on success. */
int l2d_parse_double(const char *s, double *out);
int l2d_parse_int64(const char *s, int64_t *out);
int l2d_parse_bool(const char *s, int *out);
#endif
