/* Row filters on raw feature values, as written in agent parameters:
 * "latitude < 36" or "latitude >= 36, latitude < 38.5" (comma = AND).
 * Operators < <= > >= == !=. A feature is named by info->feature_names
 * (exact match) or by its 0-based index as "x3". Values are compared in
 * raw units, raw = x * std + mean (info->mean/std; x itself without them). */
#ifndef L2D_AGENTS_ROWFILTER_H
#define L2D_AGENTS_ROWFILTER_H
#include <stddef.h>
#include "l2d/plugin.h"

enum rowfilter_op { RF_LT, RF_LE, RF_GT, RF_GE, RF_EQ, RF_NE };

struct rowfilter_cond {
    size_t feat;
    enum rowfilter_op op;
    double value, mean, std;
};

struct rowfilter {
    size_t n; /* 0: every row passes */
    struct rowfilter_cond *c;
};

/* Parse text against the data set's features. Messages start with
 * "<who>: parameter '<key>'". Copies what it needs from info. */
int rowfilter_parse(const char *text, const struct l2d_dataset_info *info, const char *who,
                    const char *key, struct rowfilter *f, struct l2d_error *err);

/* Does row (x[dim], standardised) pass every condition? Standardising in
 * float32 and back moves a raw value by a few ulps, so values within
 * 1e-5 * max(1, |value|) of a bound count as equal to it: "latitude < 36"
 * excludes a row whose raw latitude was 36.00. */
int rowfilter_match(const struct rowfilter *f, const float *row);

void rowfilter_free(struct rowfilter *f);
#endif
