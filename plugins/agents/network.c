/* network: an MLP agent trained offline through the framework's model API
 * (l2d/model.h), on the CPU.
 *
 * One MLP per task, no shared trunk: a classifier (softmax cross-entropy,
 * n_classes outputs) and/or a regressor (mean squared error over the tdim
 * outputs, as torch.nn.MSELoss). task = both trains whichever of the two
 * the data set has labels for. Adam at a constant learning rate, for
 * `epochs` passes over shuffled mini-batches of the training rows that
 * pass `filter` (rowfilter.h); no early stopping, the last epoch is kept.
 *
 * Determinism: the seed is l2d_seed_mix(host seed, every parameter's
 * text), then one stream per head ("class", "target") initialises the
 * weights and shuffles the rows. The same run gives the same bits as long
 * as OpenBLAS uses the same number of threads (engine.h). */
#include <math.h>
#include <stdlib.h>

#include "l2d/engine.h"
#include "l2d/model.h"
#include "l2d/plugin.h"
#include "rowfilter.h"

#define WHO "network"
#define MAX_HIDDEN 64
#define PREDICT_CHUNK 4096

struct head {
    struct l2d_model *model;
    size_t out;
};

struct network {
    size_t dim;
    unsigned n_classes, tdim;
    int want_cls, want_reg;
    size_t hidden[MAX_HIDDEN];
    int nh;
    int64_t epochs, batch;
    double lr, wd;
    struct rowfilter filter;
    char *filter_text;
    uint64_t seed;
    struct head cls, reg;
    void (*log)(void *, const char *);
    void *log_self;
};

static const struct l2d_param_spec net_params[] = {
    {"task", L2D_PARAM_ENUM, "both", 0, 0, "class|target|both",
     "what to learn: the class, the target, or both (two MLPs)"},
    {"hidden", L2D_PARAM_STRING, "64,32", 0, 0, NULL,
     "hidden layer widths, e.g. 64,32 (empty: a linear model)"},
    {"epochs", L2D_PARAM_INT, "50", 1, 1e7, NULL, "passes over the training rows"},
    {"lr", L2D_PARAM_DOUBLE, "1e-3", 1e-12, 10, NULL, "Adam learning rate (constant)"},
    {"batch", L2D_PARAM_INT, "256", 1, 1e7, NULL, "mini-batch size"},
    {"weight_decay", L2D_PARAM_DOUBLE, "0", 0, 1, NULL, "L2 penalty added to the gradient (Adam)"},
    {"filter", L2D_PARAM_STRING, "", 0, 0, NULL,
     "train only on rows passing e.g. 'latitude >= 36, latitude < 38.5' (raw values; comma = "
     "AND; features by name or x<index>)"},
    L2D_PARAMS_END};

static void net_destroy(void *state)
{
    struct network *s = state;
    if (!s)
        return;
    l2d_model_destroy(s->cls.model);
    l2d_model_destroy(s->reg.model);
    rowfilter_free(&s->filter);
    free(s->filter_text);
    free(s);
}

static int net_create(const struct l2d_params *p, const struct l2d_host *host,
                      const struct l2d_dataset_info *info, void **state, struct l2d_error *err)
{
    *state = NULL;
    if (!info || info->dim == 0)
        return l2d_seterr(err, L2D_EINVAL, WHO ": the data set has no features");
    struct network *s = calloc(1, sizeof *s);
    if (!s)
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    s->dim = info->dim;
    s->n_classes = info->n_classes;
    s->tdim = info->tdim;
    const char *task = l2d_param_str(p, "task", "both");
    const char *hidden = l2d_param_str(p, "hidden", "64,32");
    const char *filter = l2d_param_str(p, "filter", "");
    s->epochs = l2d_param_int(p, "epochs", 50);
    s->batch = l2d_param_int(p, "batch", 256);
    s->lr = l2d_param_double(p, "lr", 1e-3);
    s->wd = l2d_param_double(p, "weight_decay", 0);
    int rc = 0;
    if (strcmp(task, "class") == 0)
        s->want_cls = 1;
    else if (strcmp(task, "target") == 0)
        s->want_reg = 1;
    else if (strcmp(task, "both") == 0)
        s->want_cls = s->n_classes > 0, s->want_reg = s->tdim > 0;
    else
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'task' = '%.40s' is not class|target|both",
                        task);
    if (!rc && s->want_cls && s->n_classes < 2)
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": task = %s but the data set has %u classes", task,
                        s->n_classes);
    if (!rc && s->want_reg && s->tdim == 0)
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": task = %s but the data set has no target", task);
    if (!rc && !s->want_cls && !s->want_reg)
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": the data set has neither classes nor a target");
    if (!rc && (s->nh = l2d_parse_sizes(hidden, s->hidden, MAX_HIDDEN)) < 0)
        rc = l2d_seterr(err, L2D_EINVAL,
                        WHO ": parameter 'hidden' = '%.60s' is not a list of positive widths "
                        "(e.g. 64,32; at most %d)",
                        hidden, MAX_HIDDEN);
    if (!rc && (s->epochs < 1 || s->batch < 1))
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameters 'epochs' and 'batch' must be >= 1");
    if (!rc && !(s->lr > 0 && isfinite(s->lr)))
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'lr' = %g must be > 0", s->lr);
    if (!rc && !(s->wd >= 0 && isfinite(s->wd)))
        rc = l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'weight_decay' = %g must be >= 0",
                        s->wd);
    if (!rc)
        rc = rowfilter_parse(filter, info, WHO, "filter", &s->filter, err);
    if (!rc && !(s->filter_text = strdup(filter)))
        rc = l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    if (rc) {
        net_destroy(s);
        return rc;
    }
    /* every parameter's text goes into the seed: two differently
     * configured networks of one run start from different weights */
    char tag[1024];
    snprintf(tag, sizeof tag, WHO "|%s|%s|%lld|%s|%lld|%s|%s", task, hidden,
             (long long)s->epochs, l2d_param_str(p, "lr", ""), (long long)s->batch,
             l2d_param_str(p, "weight_decay", ""), filter);
    s->seed = l2d_seed_mix(host ? host->seed : 0, tag);
    if (host) {
        s->log = host->log;
        s->log_self = host->log_self;
    }
    *state = s;
    return 0;
}

static unsigned net_outputs(void *state)
{
    const struct network *s = state;
    return (s->want_cls ? L2D_AGENT_CLASS : 0u) | (s->want_reg ? L2D_AGENT_TARGET : 0u);
}

/* Loss of a batch and dL/dout into dy (mean over the batch). */
static double cls_loss(const float *out, const int32_t *y, size_t B, size_t K, float *dy)
{
    double loss = 0;
    for (size_t r = 0; r < B; r++) {
        const float *o = out + r * K;
        double mx = o[0], z = 0;
        for (size_t k = 1; k < K; k++)
            mx = o[k] > mx ? o[k] : mx;
        for (size_t k = 0; k < K; k++)
            z += exp((double)o[k] - mx);
        loss += log(z) + mx - o[y[r]];
        for (size_t k = 0; k < K; k++)
            dy[r * K + k] =
                (float)((exp((double)o[k] - mx) / z - (k == (size_t)y[r])) / (double)B);
    }
    return loss / (double)B;
}

static double reg_loss(const float *out, const float *t, size_t B, size_t T, float *dy)
{
    double loss = 0, n = (double)B * (double)T;
    for (size_t i = 0; i < B * T; i++) {
        double e = (double)out[i] - t[i];
        loss += e * e;
        dy[i] = (float)(2.0 * e / n);
    }
    return loss / n;
}

static void say(const struct network *s, const char *msg)
{
    if (s->log)
        s->log(s->log_self, msg);
}

/* Train one head on rows idx[0..n) of tr. */
static int train_head(struct network *s, struct head *h, int is_cls, const struct l2d_data *tr,
                      size_t *idx, size_t n, struct l2d_error *err)
{
    const char *name = is_cls ? "class" : "target";
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix(s->seed, name));
    h->out = is_cls ? s->n_classes : s->tdim;
    l2d_model_destroy(h->model);
    h->model = NULL;
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = s->dim, .out = h->out, .n_hidden = (size_t)s->nh, .hidden = s->hidden};
    int rc = l2d_model_create(&h->model, &arch, -1, &rng, err);
    if (!rc)
        rc = l2d_model_optim_init(h->model, L2D_OPT_ADAM, s->wd, err);
    if (rc)
        return rc;
    size_t B = (size_t)s->batch < n ? (size_t)s->batch : n;
    float *xb = malloc(B * s->dim * sizeof *xb), *out = malloc(B * h->out * sizeof *out),
          *dy = malloc(B * h->out * sizeof *dy), *tb = malloc(B * (s->tdim ? s->tdim : 1) * sizeof *tb);
    int32_t *yb = malloc(B * sizeof *yb);
    if (!xb || !out || !dy || !tb || !yb)
        rc = l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory (batch %zu)", B);
    int64_t log_every = s->epochs >= 10 ? s->epochs / 10 : 1;
    for (int64_t ep = 0; !rc && ep < s->epochs; ep++) {
        l2d_rng_shuffle(&rng, idx, n);
        double total = 0;
        for (size_t at = 0; !rc && at < n; at += B) {
            size_t b = n - at < B ? n - at : B;
            for (size_t r = 0; r < b; r++) {
                size_t i = idx[at + r];
                memcpy(xb + r * s->dim, tr->x + i * s->dim, s->dim * sizeof *xb);
                if (is_cls)
                    yb[r] = tr->y[i];
                else
                    memcpy(tb + r * s->tdim, tr->t + i * s->tdim, s->tdim * sizeof *tb);
            }
            rc = l2d_model_forward(h->model, xb, b, out, err);
            if (rc)
                break;
            double loss = is_cls ? cls_loss(out, yb, b, h->out, dy)
                                 : reg_loss(out, tb, b, h->out, dy);
            if (!isfinite(loss)) {
                rc = l2d_seterr(err, L2D_ENUMERIC,
                                WHO ": %s loss is not finite in epoch %lld (lower 'lr'?)", name,
                                (long long)ep + 1);
                break;
            }
            total += loss * (double)b;
            l2d_model_zero_grad(h->model);
            rc = l2d_model_backward(h->model, dy, b, NULL, 1, err);
            if (!rc)
                rc = l2d_model_step(h->model, s->lr, err);
        }
        if (!rc && ((ep + 1) % log_every == 0 || ep + 1 == s->epochs)) {
            char msg[160];
            snprintf(msg, sizeof msg, WHO ": %s epoch %lld/%lld train loss %.6g on %zu rows",
                     name, (long long)ep + 1, (long long)s->epochs, total / (double)n, n);
            say(s, msg);
        }
    }
    free(xb), free(out), free(dy), free(tb), free(yb);
    return rc;
}

static int net_fit(void *state, const struct l2d_data *tr, const struct l2d_data *val,
                   struct l2d_error *err)
{
    struct network *s = state;
    (void)val;
    if (tr->dim != s->dim)
        return l2d_seterr(err, L2D_EINVAL, WHO ": training rows have %zu features, the data set %zu",
                          tr->dim, s->dim);
    if (s->want_cls && !tr->y)
        return l2d_seterr(err, L2D_EINVAL, WHO ": fit needs the training classes (y is NULL)");
    if (s->want_reg && (!tr->t || tr->tdim != s->tdim))
        return l2d_seterr(err, L2D_EINVAL, WHO ": fit needs the training targets (%u per row)",
                          s->tdim);
    size_t *idx = malloc((tr->n ? tr->n : 1) * sizeof *idx);
    if (!idx)
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < tr->n && !rc; i++) {
        const float *row = tr->x + i * s->dim;
        for (size_t j = 0; j < s->dim && !rc; j++)
            if (!isfinite(row[j]))
                rc = l2d_seterr(err, L2D_ENUMERIC, WHO ": training row %zu has a non-finite feature",
                                i);
        if (s->want_cls && !rc && (tr->y[i] < 0 || (unsigned)tr->y[i] >= s->n_classes))
            rc = l2d_seterr(err, L2D_EINVAL, WHO ": training row %zu has class %d, outside 0..%u",
                            i, (int)tr->y[i], s->n_classes - 1);
        for (unsigned j = 0; s->want_reg && !rc && j < s->tdim; j++)
            if (!isfinite(tr->t[i * s->tdim + j]))
                rc = l2d_seterr(err, L2D_ENUMERIC, WHO ": training row %zu has a non-finite target",
                                i);
        if (!rc && rowfilter_match(&s->filter, row))
            idx[n++] = i;
    }
    if (!rc && n == 0)
        rc = l2d_seterr(err, L2D_EINVAL,
                        WHO ": parameter 'filter' = '%.200s' leaves none of the %zu training rows",
                        s->filter_text, tr->n);
    if (!rc && s->want_cls)
        rc = train_head(s, &s->cls, 1, tr, idx, n, err);
    if (!rc && s->want_reg)
        rc = train_head(s, &s->reg, 0, tr, idx, n, err);
    free(idx);
    return rc;
}

static int net_predict(void *state, const struct l2d_data *d, int32_t *yhat, float *that,
                       double *cost, struct l2d_error *err)
{
    struct network *s = state;
    (void)cost;
    int want_y = yhat && s->want_cls, want_t = that && s->want_reg;
    if ((want_y && !s->cls.model) || (want_t && !s->reg.model))
        return l2d_seterr(err, L2D_EINVAL, WHO ": predict before fit");
    if (d->dim != s->dim)
        return l2d_seterr(err, L2D_EINVAL, WHO ": rows have %zu features, the data set %zu",
                          d->dim, s->dim);
    if (!want_y && !want_t)
        return 0;
    size_t chunk = d->n < PREDICT_CHUNK ? d->n : PREDICT_CHUNK;
    float *out = malloc((chunk ? chunk : 1) * (s->n_classes > 1 ? s->n_classes : 1) * sizeof *out);
    if (!out)
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    int rc = 0;
    for (size_t at = 0; !rc && at < d->n; at += chunk) {
        size_t b = d->n - at < chunk ? d->n - at : chunk;
        const float *x = d->x + at * s->dim;
        if (want_y && !(rc = l2d_model_forward(s->cls.model, x, b, out, err)))
            for (size_t r = 0; r < b; r++) {
                const float *o = out + r * s->n_classes;
                unsigned best = 0;
                for (unsigned k = 1; k < s->n_classes; k++)
                    if (o[k] > o[best])
                        best = k;
                yhat[at + r] = (int32_t)best;
            }
        if (want_t && !rc)
            rc = l2d_model_forward(s->reg.model, x, b, that + at * s->tdim, err);
    }
    free(out);
    return rc;
}

static const struct l2d_agent_ops net_ops = {sizeof(struct l2d_agent_ops), net_create, net_outputs, net_fit, net_predict,
                                             net_destroy};

static const struct l2d_plugin net_desc =
    L2D_PLUGIN_HEADER(L2D_KIND_AGENT, "network", "1.0",
                      "MLP trained by the framework on the (optionally filtered) training split",
                      net_params, &net_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &net_desc : NULL;
}
