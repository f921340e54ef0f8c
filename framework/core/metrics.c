/* Evaluation of allocations on a split; definitions in metrics.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/train.h"

/* Rows per forward call when scoring a whole split: bounds the activation
 * buffers without making calls too small for GEMM to be efficient. */
#define EVAL_CHUNK 4096

int l2d_metric_list_add(struct l2d_metric_list *l, const char *prefix, const char *name,
                        double value, struct l2d_error *err)
{
    if (!prefix) prefix = "";
    size_t lp = strlen(prefix), ln = strlen(name);
    if (lp + ln >= L2D_METRIC_NAME_MAX)
        return l2d_seterr(err, L2D_EINVAL, "metric name '%s%s' longer than %d characters",
                          prefix, name, L2D_METRIC_NAME_MAX - 1);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct l2d_metric_entry *p = realloc(l->items, cap * sizeof *p);
        if (!p) return l2d_seterr(err, L2D_ENOMEM, "metric list: out of memory");
        l->items = p;
        l->cap = cap;
    }
    struct l2d_metric_entry *m = &l->items[l->n++];
    memcpy(m->name, prefix, lp);
    memcpy(m->name + lp, name, ln + 1);
    m->value = value;
    return 0;
}

const struct l2d_metric_entry *l2d_metric_list_find(const struct l2d_metric_list *l, const char *name)
{
    for (size_t k = 0; k < l->n; k++)
        if (strcmp(l->items[k].name, name) == 0) return &l->items[k];
    return NULL;
}

void l2d_metric_list_free(struct l2d_metric_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static int has_classes(const struct l2d_eval_in *in)
{
    if (!in->data->y || !in->yhat) return 0;
    for (size_t j = 0; j < in->A; j++)
        if (!in->yhat[j]) return 0;
    return 1;
}

static int has_targets(const struct l2d_eval_in *in)
{
    if (!in->data->t || in->data->tdim == 0 || !in->that) return 0;
    for (size_t j = 0; j < in->A; j++)
        if (!in->that[j]) return 0;
    return 1;
}

static double smooth_l1(double d)
{
    double a = fabs(d);
    return a < 1.0 ? 0.5 * d * d : a - 0.5;
}

static int check_in(const struct l2d_eval_in *in, struct l2d_error *err)
{
    if (!in || !in->data || !in->c || in->A == 0)
        return l2d_seterr(err, L2D_EINVAL, "evaluation: missing data, costs or agents");
    return 0;
}

/* Shared by l2d_eval_alloc (alloc != NULL) and l2d_eval_agent (alloc ==
 * NULL: every sample goes to `fixed`). */
static int eval_core(const struct l2d_eval_in *in, const size_t *alloc, size_t fixed,
                     const char *prefix, struct l2d_metric_list *out, struct l2d_error *err)
{
    const struct l2d_data *d = in->data;
    size_t n = d->n, A = in->A;
    unsigned T = d->tdim;
    if (n == 0) return l2d_seterr(err, L2D_EINVAL, "evaluation: empty split");
    int cls = has_classes(in), reg = has_targets(in);
    size_t *count = calloc(A, sizeof *count);
    if (!count) return l2d_seterr(err, L2D_ENOMEM, "evaluation: out of memory");
    double risk = 0, risk0 = 0, correct = 0, sq = 0, sl1 = 0, mae = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = alloc ? alloc[i] : fixed;
        if (j >= A) {
            free(count);
            return l2d_seterr(err, L2D_EINVAL, "evaluation: row %zu allocated to agent %zu of %zu",
                              i, j, A);
        }
        count[j]++;
        risk += in->c[i * A + j];
        if (in->c0) risk0 += in->c0[i * A + j];
        if (cls) correct += in->yhat[j][i] == d->y[i];
        if (reg) {
            double s2 = 0, s1 = 0, ab = 0;
            for (unsigned k = 0; k < T; k++) {
                double e = (double)in->that[j][i * T + k] - (double)d->t[i * T + k];
                s2 += e * e;
                s1 += smooth_l1(e);
                ab += fabs(e);
            }
            sq += s2 / T;
            sl1 += s1;
            mae += ab / T;
        }
    }
    int rc = l2d_metric_list_add(out, prefix, "risk", risk / n, err);
    if (!rc && cls) rc = l2d_metric_list_add(out, prefix, "accuracy", correct / n, err);
    if (!rc && reg) rc = l2d_metric_list_add(out, prefix, "rmse", sqrt(sq / n), err);
    if (!rc && reg) rc = l2d_metric_list_add(out, prefix, "smooth_l1", sl1 / n, err);
    if (!rc && reg) rc = l2d_metric_list_add(out, prefix, "mae", mae / n, err);
    for (size_t j = 0; alloc && !rc && j < A; j++) {
        char name[32];
        snprintf(name, sizeof name, "alloc_%zu", j);
        rc = l2d_metric_list_add(out, prefix, name, (double)count[j] / n, err);
    }
    if (alloc && !rc) rc = l2d_metric_list_add(out, prefix, "defer_rate", (double)(n - count[0]) / n, err);
    if (in->c0 && !rc) rc = l2d_metric_list_add(out, prefix, "risk_noquery", risk0 / n, err);
    free(count);
    return rc;
}

int l2d_eval_alloc(const struct l2d_eval_in *in, const size_t *alloc, const char *prefix,
                   struct l2d_metric_list *out, struct l2d_error *err)
{
    int rc = check_in(in, err);
    if (rc) return rc;
    if (!alloc) return l2d_seterr(err, L2D_EINVAL, "evaluation: no allocation");
    return eval_core(in, alloc, 0, prefix, out, err);
}

void l2d_oracle_alloc(const double *c, size_t n, size_t A, size_t *alloc)
{
    for (size_t i = 0; i < n; i++) alloc[i] = l2d_first_argmin(c + i * A, A);
}

int l2d_eval_oracle(const struct l2d_eval_in *in, struct l2d_metric_list *out,
                    struct l2d_error *err)
{
    int rc = check_in(in, err);
    if (rc) return rc;
    size_t n = in->data->n;
    size_t *alloc = malloc((n ? n : 1) * sizeof *alloc);
    if (!alloc) return l2d_seterr(err, L2D_ENOMEM, "evaluation: out of memory");
    l2d_oracle_alloc(in->c, n, in->A, alloc);
    rc = eval_core(in, alloc, 0, "oracle_", out, err);
    free(alloc);
    return rc;
}

int l2d_eval_agent(const struct l2d_eval_in *in, size_t j, const char *prefix,
                   struct l2d_metric_list *out, struct l2d_error *err)
{
    int rc = check_in(in, err);
    if (rc) return rc;
    if (j >= in->A)
        return l2d_seterr(err, L2D_EINVAL, "evaluation: agent %zu of %zu", j, in->A);
    return eval_core(in, NULL, j, prefix, out, err);
}

int l2d_eval_surrogate(const struct l2d_surrogate_inst *sur, const double *scores,
                       const double *c, size_t n, size_t A, const char *prefix,
                       struct l2d_metric_list *out, struct l2d_error *err)
{
    if (!sur || !sur->ops || !sur->ops->loss || n == 0 || A == 0)
        return l2d_seterr(err, L2D_EINVAL, "surrogate evaluation: no surrogate or empty split");
    const char *who = sur->name ? sur->name : "surrogate";
    double *v = malloc(n * sizeof *v);
    if (!v) return l2d_seterr(err, L2D_ENOMEM, "surrogate evaluation: out of memory");
    double loss = 0, inf = 0;
    int rc = 0;
    /* chunks keep any per-call scratch of the surrogate small */
    for (size_t i0 = 0; !rc && i0 < n; i0 += EVAL_CHUNK) {
        size_t B = n - i0 < EVAL_CHUNK ? n - i0 : EVAL_CHUNK;
        rc = sur->ops->loss(sur->state, scores + i0 * A, c + i0 * A, B, A, v, NULL, err);
        for (size_t i = 0; !rc && i < B; i++) {
            if (!isfinite(v[i]))
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu", who, i0 + i);
            loss += v[i];
        }
        if (!rc && sur->ops->infimum) {
            rc = sur->ops->infimum(sur->state, c + i0 * A, B, A, v, err);
            for (size_t i = 0; !rc && i < B; i++) {
                if (!isfinite(v[i]))
                    rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite infimum on row %zu", who,
                                    i0 + i);
                inf += v[i];
            }
        }
    }
    free(v);
    if (rc) return rc;
    rc = l2d_metric_list_add(out, prefix, "surrogate", loss / n, err);
    if (!rc && sur->ops->infimum)
        rc = l2d_metric_list_add(out, prefix, "surrogate_gap", (loss - inf) / n, err);
    return rc;
}

int l2d_rejector_alloc(struct l2d_model *rej, const struct l2d_data *data, size_t A,
                       size_t *alloc, double *scores_out, struct l2d_error *err)
{
    if (!rej || !data || !alloc)
        return l2d_seterr(err, L2D_EINVAL, "rejector allocation: missing rejector, data or output");
    if (l2d_model_out(rej) != A || l2d_model_in(rej) != data->dim)
        return l2d_seterr(err, L2D_EINVAL,
                          "rejector allocation: rejector is %zu -> %zu, data has dim %zu and %zu agents",
                          l2d_model_in(rej), l2d_model_out(rej), data->dim, A);
    size_t n = data->n, chunk = n < EVAL_CHUNK ? n : EVAL_CHUNK;
    if (n == 0) return 0;
    float *s = malloc(chunk * A * sizeof *s);
    double *row = malloc(A * sizeof *row);
    int rc = 0;
    if (!s || !row) rc = l2d_seterr(err, L2D_ENOMEM, "rejector allocation: out of memory");
    for (size_t i0 = 0; !rc && i0 < n; i0 += chunk) {
        size_t B = n - i0 < chunk ? n - i0 : chunk;
        rc = l2d_model_forward_host(rej, data->x + i0 * data->dim, B, s, err);
        for (size_t i = 0; !rc && i < B; i++) {
            for (size_t j = 0; j < A; j++) {
                row[j] = s[i * A + j];
                if (!isfinite(row[j])) {
                    rc = l2d_seterr(err, L2D_ENUMERIC,
                                    "rejector allocation: non-finite score on row %zu, agent %zu",
                                    i0 + i, j);
                    break;
                }
            }
            if (rc) break;
            alloc[i0 + i] = l2d_first_argmax(row, A);
            if (scores_out) memcpy(scores_out + (i0 + i) * A, row, A * sizeof *row);
        }
    }
    free(s);
    free(row);
    return rc;
}
