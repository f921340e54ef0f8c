/* Row filters on raw feature values; see rowfilter.h. */
#include "rowfilter.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"

static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!="};

/* Feature index for a name: a feature name first, then "x<index>". */
static int find_feature(const struct l2d_dataset_info *info, const char *name, size_t *out)
{
    if (info->feature_names)
        for (size_t j = 0; j < info->dim; j++)
            if (info->feature_names[j] && strcmp(info->feature_names[j], name) == 0) {
                *out = j;
                return 0;
            }
    long j;
    if ((name[0] == 'x' || name[0] == 'X') && idlist_uint(name + 1, &j) == 0 &&
        (size_t)j < info->dim) {
        *out = (size_t)j;
        return 0;
    }
    return -1;
}

/* A few feature names for the unknown-feature message. */
static void known_names(const struct l2d_dataset_info *info, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (!info->feature_names) {
        snprintf(buf, cap, "x0..x%zu", info->dim ? info->dim - 1 : 0);
        return;
    }
    for (size_t j = 0; j < info->dim && len + 1 < cap; j++) {
        int w = snprintf(buf + len, cap - len, "%s%s", j ? ", " : "",
                         info->feature_names[j] ? info->feature_names[j] : "?");
        if (w < 0 || (size_t)w >= cap - len) {
            snprintf(buf + (cap > 5 ? cap - 5 : 0), cap > 5 ? 5 : cap, "...");
            return;
        }
        len += (size_t)w;
    }
}

static int parse_cond(const char *item, const struct l2d_dataset_info *info, const char *who,
                      const char *key, struct rowfilter_cond *c, struct l2d_error *err)
{
    const char *p = item;
    while (*p && !strchr("<>=!", *p))
        p++;
    if (!*p)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: parameter '%s': '%.100s' has no operator (< <= > >= == !=)", who,
                          key, item);
    /* name: before the operator, spaces trimmed */
    char name[128];
    size_t nlen = (size_t)(p - item);
    while (nlen && isspace((unsigned char)item[nlen - 1]))
        nlen--;
    if (nlen == 0 || nlen >= sizeof name)
        return l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s': '%.100s' names no feature", who,
                          key, item);
    memcpy(name, item, nlen);
    name[nlen] = '\0';
    int op = -1;
    size_t oplen = 0;
    for (int k = 0; k < 6; k++) {
        size_t l = strlen(op_text[k]);
        if (strncmp(p, op_text[k], l) == 0 && l > oplen)
            op = k, oplen = l;
    }
    if (op < 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: parameter '%s': '%.100s': unknown operator (< <= > >= == !=)", who,
                          key, item);
    const char *v = p + oplen;
    while (isspace((unsigned char)*v))
        v++;
    char *end;
    errno = 0;
    double value = strtod(v, &end);
    while (end && isspace((unsigned char)*end))
        end++;
    /* ERANGE on underflow leaves a tiny finite number: only overflow is refused */
    if (v == end || *end || (errno == ERANGE && fabs(value) > 1) || !isfinite(value))
        return l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s': '%.100s': '%.40s' is not a number",
                          who, key, item, v);
    size_t feat;
    if (find_feature(info, name, &feat) != 0) {
        char known[200];
        known_names(info, known, sizeof known);
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: parameter '%s': unknown feature '%.60s' (known: %s)", who, key,
                          name, known);
    }
    c->feat = feat;
    c->op = (enum rowfilter_op)op;
    c->value = value;
    c->mean = info->mean ? info->mean[feat] : 0.0;
    c->std = info->std ? info->std[feat] : 1.0;
    return 0;
}

int rowfilter_parse(const char *text, const struct l2d_dataset_info *info, const char *who,
                    const char *key, struct rowfilter *f, struct l2d_error *err)
{
    f->n = 0;
    f->c = NULL;
    if (idlist_blank(text))
        return 0;
    size_t cap = 1;
    for (const char *q = text; *q; q++)
        cap += *q == ',';
    f->c = calloc(cap, sizeof *f->c);
    if (!f->c)
        return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
    const char *rest = text;
    char item[256];
    int r;
    while ((r = idlist_next(&rest, item, sizeof item)) != 0) {
        int rc = r < 0 ? l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s': a condition is too long",
                                    who, key)
                       : parse_cond(item, info, who, key, &f->c[f->n], err);
        if (rc) {
            rowfilter_free(f);
            return rc;
        }
        f->n++;
    }
    return 0;
}

int rowfilter_match(const struct rowfilter *f, const float *row)
{
    for (size_t k = 0; k < f->n; k++) {
        const struct rowfilter_cond *c = &f->c[k];
        double raw = (double)row[c->feat] * c->std + c->mean;
        double tol = 1e-5 * fmax(1.0, fabs(c->value));
        int eq = fabs(raw - c->value) <= tol, lt = !eq && raw < c->value,
            gt = !eq && raw > c->value;
        int ok = 0;
        switch (c->op) {
        case RF_LT: ok = lt; break;
        case RF_LE: ok = lt || eq; break;
        case RF_GT: ok = gt; break;
        case RF_GE: ok = gt || eq; break;
        case RF_EQ: ok = eq; break;
        case RF_NE: ok = !eq; break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

void rowfilter_free(struct rowfilter *f)
{
    free(f->c);
    f->c = NULL;
    f->n = 0;
}
