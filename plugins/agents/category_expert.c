/* category-expert: the simulated expert of ADV Table 1 (docs/protocols.md §5).
 *
 * It is assigned a set of classes. On a row whose true class is assigned it
 * answers the true class with probability p, otherwise a class drawn
 * uniformly from all n_classes (which may again be the true one, so its
 * accuracy there is p + (1 - p) / n_classes). On any other row its answer is
 * uniform over all classes.
 *
 * Randomness: seed = hash(host seed, "category-expert", classes, p); each
 * row's draws come from hash(seed, the row's feature bytes) (rowrng.h), so
 * predict() gives the same answer for the same row however it is batched,
 * and two experts with different classes or p draw independently. */
#include <stdlib.h>

#include "l2d/plugin.h"
#include "idlist.h"
#include "rowrng.h"

#define WHO "category-expert"

struct catexp {
    unsigned n_classes;
    size_t dim;
    double p;
    uint64_t seed;
    unsigned char *assigned; /* [n_classes] */
};

static const struct l2d_param_spec catexp_params[] = {
    {"classes", L2D_PARAM_STRING, NULL, 0, 0, NULL,
     "assigned classes: comma list of class indices (0-based) or class names"},
    {"p", L2D_PARAM_DOUBLE, "0.94", 0, 1, NULL,
     "probability of answering the true class on an assigned class"},
    L2D_PARAMS_END};

/* A token names a class by its index or, when the data set has names, by
 * its name (an exact match; a name wins over an index if both fit). */
static int resolve_class(const struct l2d_dataset_info *info, const char *tok, long *out)
{
    if (info->class_names)
        for (unsigned c = 0; c < info->n_classes; c++)
            if (info->class_names[c] && strcmp(info->class_names[c], tok) == 0) {
                *out = c;
                return 0;
            }
    if (idlist_uint(tok, out) == 0 && *out < (long)info->n_classes)
        return 0;
    return -1;
}

static int catexp_create(const struct l2d_params *p, const struct l2d_host *host,
                         const struct l2d_dataset_info *info, void **state, struct l2d_error *err)
{
    *state = NULL;
    if (!info || info->n_classes < 1)
        return l2d_seterr(err, L2D_EINVAL, WHO ": the data set has no class label");
    const char *classes = l2d_param_str(p, "classes", NULL);
    double prob = l2d_param_double(p, "p", 0.94);
    if (!classes || idlist_blank(classes))
        return l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'classes' is empty");
    if (!(prob >= 0.0 && prob <= 1.0))
        return l2d_seterr(err, L2D_EINVAL, WHO ": parameter 'p' = %g is outside [0, 1]", prob);

    struct catexp *s = calloc(1, sizeof *s);
    if (!s || !(s->assigned = calloc(info->n_classes, 1))) {
        free(s);
        return l2d_seterr(err, L2D_ENOMEM, WHO ": out of memory");
    }
    s->n_classes = info->n_classes;
    s->dim = info->dim;
    s->p = prob;

    const char *rest = classes;
    char tok[256];
    int r;
    while ((r = idlist_next(&rest, tok, sizeof tok)) != 0) {
        long c;
        if (r < 0 || resolve_class(info, tok, &c) != 0) {
            l2d_seterr(err, L2D_EINVAL,
                       WHO ": parameter 'classes': '%.200s' is not a class (indices 0..%u%s)",
                       r < 0 ? "(item too long)" : tok, info->n_classes - 1,
                       info->class_names ? " or a class name" : "");
            free(s->assigned);
            free(s);
            return L2D_EINVAL;
        }
        s->assigned[c] = 1;
    }

    uint64_t h = rowrng_hash_str(host ? host->seed : 0, WHO);
    h = rowrng_hash_str(h, classes);
    h = rowrng_hash_str(h, l2d_param_str(p, "p", "0.94"));
    s->seed = h;
    *state = s;
    return 0;
}

static unsigned catexp_outputs(void *state)
{
    (void)state;
    return L2D_AGENT_CLASS;
}

static int catexp_fit(void *state, const struct l2d_data *train, const struct l2d_data *val,
                      struct l2d_error *err)
{
    (void)state, (void)train, (void)val, (void)err;
    return 0; /* nothing to learn: the expertise is given */
}

static int catexp_predict(void *state, const struct l2d_data *data, int32_t *yhat, float *that,
                          double *cost, struct l2d_error *err)
{
    const struct catexp *s = state;
    (void)that, (void)cost;
    if (!yhat)
        return 0;
    if (data->n && !data->y)
        return l2d_seterr(err, L2D_EINVAL, WHO ": predict needs the true classes (y is NULL)");
    if (data->dim != s->dim)
        return l2d_seterr(err, L2D_EINVAL, WHO ": rows have %zu features, the data set %zu",
                          data->dim, s->dim);
    for (size_t i = 0; i < data->n; i++) {
        int32_t y = data->y[i];
        if (y < 0 || (unsigned)y >= s->n_classes)
            return l2d_seterr(err, L2D_EINVAL, WHO ": row %zu has class %d, outside 0..%u", i,
                              (int)y, s->n_classes - 1);
        uint64_t g = rowrng_hash_row(s->seed, data->x + i * data->dim, data->dim);
        /* Both draws are always made so a row's answer on an unassigned
         * class uses the same second draw as it would on an assigned one. */
        double u = rowrng_uniform(&g);
        int32_t any = (int32_t)rowrng_below(&g, s->n_classes);
        yhat[i] = (s->assigned[y] && u < s->p) ? y : any;
    }
    return 0;
}

static void catexp_destroy(void *state)
{
    struct catexp *s = state;
    if (s)
        free(s->assigned);
    free(s);
}

static const struct l2d_agent_ops catexp_ops = {sizeof(struct l2d_agent_ops), catexp_create, catexp_outputs, catexp_fit,
                                                catexp_predict, catexp_destroy};

static const struct l2d_plugin catexp_desc =
    L2D_PLUGIN_HEADER(L2D_KIND_AGENT, "category-expert", "1.0",
                      "simulated expert: right with probability p on its assigned classes, "
                      "uniform elsewhere (ADV Table 1)",
                      catexp_params, &catexp_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &catexp_desc : NULL;
}
