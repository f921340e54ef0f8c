/* Parameter parsing and validation against a schema. */
#include <string.h>
#include "host/params.h"
#include "tap.h"

static const struct l2d_param_spec schema[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, 100, NULL, "family"},
    {"epochs", L2D_PARAM_INT, "10", 1, 1000, NULL, ""},
    {"flag", L2D_PARAM_BOOL, "false", 0, 0, NULL, ""},
    {"reg", L2D_PARAM_ENUM, "l1", 0, 0, "l1|l2|smooth_l1", ""},
    {"path", L2D_PARAM_STRING, NULL, 0, 0, NULL, "required"},
    {"free", L2D_PARAM_DOUBLE, "-5e300", 1, 0, NULL, "unbounded (min > max)"},
    L2D_PARAMS_END};

int main(void)
{
    struct l2d_error err = {0};
    struct l2d_params p;
    tap_plan(26);

    const char *k1[] = {"path", "nu", "epochs", "flag", "reg"}, *v1[] = {"x.csv", "0.5", "7", "yes", "smooth_l1"};
    tap_ok(l2d_params_build(schema, 5, k1, v1, NULL, 0, &p, &err) == 0, "valid values build");
    tap_close(l2d_param_double(&p, "nu", -1), 0.5, 0, 0, "nu parsed");
    tap_ok(l2d_param_int(&p, "epochs", -1) == 7, "int parsed");
    tap_ok(l2d_param_int(&p, "flag", -1) == 1, "bool yes -> 1");
    tap_ok(!strcmp(l2d_param_str(&p, "reg", ""), "smooth_l1"), "enum kept as text");
    tap_close(l2d_param_double(&p, "free", 0), -5e300, 0, 0, "default applies, unbounded range");
    tap_ok(l2d_param(&p, "missing") == NULL, "unknown key lookup gives NULL");
    l2d_params_free(&p);

    const char *k2[] = {"path", "nu", "nu"}, *v2[] = {"a", "2", "3"};
    tap_ok(l2d_params_build(schema, 3, k2, v2, NULL, 0, &p, &err) == 0 &&
               l2d_param_double(&p, "nu", 0) == 3, "the last assignment wins");
    l2d_params_free(&p);

#define BAD(key, val, pattern)                                                                   \
    do {                                                                                         \
        const char *kk[] = {"path", key}, *vv[] = {"a", val}, *ww[] = {"f.ini:1", "f.ini:9: [s] " key}; \
        int rc = l2d_params_build(schema, 2, kk, vv, ww, 0, &p, &err);                           \
        tap_ok(rc == L2D_EINVAL && strstr(err.msg, pattern) && strstr(err.msg, "f.ini:9"),       \
               "%s=%s refused: %s", key, val, err.msg);                                          \
    } while (0)
    BAD("nu", "abc", "'abc' is not a finite number");
    BAD("nu", "1e999", "not a finite number");
    BAD("nu", "-0.5", "out of range [0, 100]");
    BAD("nu", "", "not a finite number");
    BAD("epochs", "2.5", "not an integer");
    BAD("epochs", "0", "out of range");
    BAD("flag", "maybe", "not a boolean");
    BAD("reg", "l3", "not one of l1|l2|smooth_l1");
    BAD("bogus", "1", "unknown parameter");

    const char *k3[] = {"nu"}, *v3[] = {"1"};
    tap_ok(l2d_params_build(schema, 1, k3, v3, NULL, 0, &p, &err) == L2D_EINVAL &&
               strstr(err.msg, "path: required"), "a missing required key is named: %s", err.msg);

    tap_ok(l2d_schema_check(schema, "t", &err) == 0, "the test schema is valid");
    static const struct l2d_param_spec bad_key[] = {{"Nu", L2D_PARAM_DOUBLE, "1", 0, 1, NULL, ""}, L2D_PARAMS_END};
    tap_ok(l2d_schema_check(bad_key, "p.so", &err) && strstr(err.msg, "p.so: parameter key 'Nu'"), "uppercase key refused");
    static const struct l2d_param_spec bad_enum[] = {{"e", L2D_PARAM_ENUM, "a", 0, 0, NULL, ""}, L2D_PARAMS_END};
    tap_ok(l2d_schema_check(bad_enum, "p.so", &err) && strstr(err.msg, "no choices"), "enum without choices refused");
    static const struct l2d_param_spec bad_def[] = {{"e", L2D_PARAM_INT, "x", 0, 0, NULL, ""}, L2D_PARAMS_END};
    tap_ok(l2d_schema_check(bad_def, "p.so", &err) && strstr(err.msg, "invalid default"), "unparsable default refused");

    double d;
    tap_ok(l2d_parse_double(" 1.5 ", &d) == 0 && d == 1.5 && l2d_parse_double("1.5x", &d) != 0,
           "strict double parse");
    /* strtod's ERANGE on underflow is a finite, tiny number, not an error */
    tap_ok(l2d_parse_double("1e-320", &d) == 0 && d == 1e-320, "a subnormal parses: %g", d);
    tap_ok(l2d_parse_double("-1e-400", &d) == 0 && d == 0, "an underflow to zero parses: %g", d);
    tap_ok(l2d_parse_double("1e400", &d) != 0 && l2d_parse_double("-1e400", &d) != 0,
           "an overflow is refused");
    return tap_done();
}
