/* l2d plugin ABI: the only header a plugin needs.
 *
 * A plugin is a shared object exporting one C function, l2d_plugin_entry(),
 * that returns descriptors for index 0, 1, ... and NULL after the last.
 * The host checks magic, ABI major/minor and struct_size before it reads
 * anything else, so a descriptor may grow at the end in a minor revision.
 *
 * Conventions for every op:
 *   - returns 0 on success, a non-zero L2D_E* status on failure, after
 *     filling *err (l2d_seterr() below) with a one-line message;
 *   - never prints, never calls exit(), never keeps pointers to caller
 *     memory past the call unless documented.
 */
#ifndef L2D_PLUGIN_H
#define L2D_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L2D_PLUGIN_MAGIC 0x4c32442d504c5547ULL /* "L2D-PLUG" */
#define L2D_ABI_MAJOR 2
#define L2D_ABI_MINOR 0

/* ---- status and errors -------------------------------------------------- */

enum l2d_status {
    L2D_OK = 0,
    L2D_EINVAL = 1,      /* bad parameter or input */
    L2D_ENOMEM = 2,      /* allocation failed */
    L2D_EIO = 3,         /* file could not be read or written */
    L2D_ENUMERIC = 4,    /* non-finite value */
    L2D_EUNSUPPORTED = 5,/* op or combination not provided */
    L2D_EINTERNAL = 6,   /* a bug: an invariant did not hold */
    L2D_EINTERRUPTED = 7 /* stopped by a signal */
};

#define L2D_ERRMSG_MAX 512
struct l2d_error {
    int code;
    char msg[L2D_ERRMSG_MAX];
};

/* Header-only so an out-of-tree plugin needs nothing but this file. */
static inline int l2d_seterr(struct l2d_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline int l2d_seterr(struct l2d_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- parameters ---------------------------------------------------------- */

enum l2d_param_type {
    L2D_PARAM_END = 0, /* terminates a schema */
    L2D_PARAM_INT,     /* 64-bit integer, range [min, max] */
    L2D_PARAM_DOUBLE,  /* finite double, range [min, max] */
    L2D_PARAM_BOOL,    /* true/false, yes/no, on/off, 1/0 */
    L2D_PARAM_STRING,  /* free text (lists are comma-separated strings) */
    L2D_PARAM_ENUM     /* one of choices, "a|b|c" */
};

struct l2d_param_spec {
    const char *key;          /* lowercase, [a-z0-9_]+ */
    enum l2d_param_type type;
    const char *def;          /* default as text; NULL = required */
    double min, max;          /* INT and DOUBLE; min > max means unbounded */
    const char *choices;      /* ENUM only */
    const char *help;         /* one line */
};

/* Validated values, in schema order, handed to create()/open(). */
struct l2d_param_value {
    enum l2d_param_type type;
    int64_t i;      /* INT, BOOL */
    double d;       /* DOUBLE (and INT, converted) */
    const char *s;  /* always: the text as written (or the default) */
};

struct l2d_params {
    unsigned count;
    const struct l2d_param_spec *spec;
    const struct l2d_param_value *values;
};

static inline const struct l2d_param_value *l2d_param(const struct l2d_params *p, const char *key)
{
    for (unsigned k = 0; p && k < p->count; k++)
        if (strcmp(p->spec[k].key, key) == 0)
            return &p->values[k];
    return NULL;
}
static inline double l2d_param_double(const struct l2d_params *p, const char *key, double dflt)
{
    const struct l2d_param_value *v = l2d_param(p, key);
    return v ? v->d : dflt;
}
static inline int64_t l2d_param_int(const struct l2d_params *p, const char *key, int64_t dflt)
{
    const struct l2d_param_value *v = l2d_param(p, key);
    return v ? v->i : dflt;
}
static inline const char *l2d_param_str(const struct l2d_params *p, const char *key, const char *dflt)
{
    const struct l2d_param_value *v = l2d_param(p, key);
    return v && v->s ? v->s : dflt;
}

/* ---- data shared between host and plugins -------------------------------- */

enum l2d_split { L2D_TRAIN = 0, L2D_VAL = 1, L2D_TEST = 2 };

/* One split held in memory: row-major x[n][dim] (standardised on the train
 * split), classes y[n] (NULL if the data set has none), targets t[n][tdim]
 * (NULL if none). */
struct l2d_data {
    size_t n, dim;
    const float *x;
    const int32_t *y;
    const float *t;
    unsigned tdim;
};

struct l2d_dataset_info {
    size_t n[3];                 /* rows per split (train, val, test) */
    size_t dim;                  /* features per row, = c*h*w */
    unsigned shape[3];           /* c, h, w; tabular: {dim, 1, 1} */
    unsigned n_classes;          /* 0: no class label */
    unsigned tdim;               /* 0: no regression target */
    const char *const *feature_names; /* dim entries or NULL */
    const char *const *class_names;   /* n_classes entries or NULL */
    /* Standardisation applied to x: raw = x * std + mean (NULL: none),
     * so agents can filter on raw feature values (e.g. latitude < 36). */
    const float *mean, *std;
    /* Valid input range in the space of x, per feature (NULL: unbounded),
     * used to clamp attacks. */
    const float *lo, *hi;
};

/* ---- host services handed to plugins ------------------------------------ */

/* What the host gives every create()/open(): a seed and a place for logs. */
struct l2d_host {
    size_t struct_size;
    uint64_t seed;                 /* per run (dataset: split seed) */
    const char *data_dir;          /* where relative data paths resolve */
    /* progress/log sink: plugins report through this, never stdout. May be NULL. */
    void (*log)(void *self, const char *msg);
    void *log_self;
};

struct l2d_mlp_view;
struct l2d_pgd_spec;

/* The rejector as a differentiable function, for surrogates that need more
 * than scores (smooth-adv / SARD) and for attack objectives. */
struct l2d_model_ctx {
    void *self;
    size_t dim, n_agents;
    /* scores[B][A] = r(x) */
    int (*forward)(void *self, const float *x, size_t B, float *scores, struct l2d_error *err);
    /* Back-propagate dscores[B][A] through the last forward(): adds the
     * parameter gradient when accumulate != 0, writes dx[B][dim] if non-NULL. */
    int (*backward)(void *self, const float *x, size_t B, const float *dscores,
                    float *dx, int accumulate, struct l2d_error *err);
    const float *lo, *hi; /* valid input range or NULL */
    /* ABI 2. device < 0: every array above and below is host memory.
     * device = N: x, scores, dscores, dx, lo, hi are arrays in the memory of
     * cuda:N and forward/backward queue their work on `stream` (a
     * cudaStream_t) without synchronising. */
    int device;
    void *stream;
    /* The rejector's layout when it is an MLP (else NULL), for plugins that
     * fuse its forward and backward into their own kernels. */
    const struct l2d_mlp_view *mlp;
    /* A plugin that runs the model in its own kernels (through mlp) reports
     * here the rows it took through a forward and backward pass, so the
     * host's pass count stays exact. NULL: not counted. */
    void (*add_passes)(void *self, size_t rows);
};

/* An MLP's parameters where the model lives: per layer l = 0..n_layers-1,
 * W[dims[l+1]][dims[l]] row-major then b[dims[l+1]], in one array; ReLU after
 * every layer but the last. grads has the same layout and accumulates. */
struct l2d_mlp_view {
    size_t n_layers;
    const size_t *dims;   /* n_layers + 1 entries, host memory */
    const float *params;
    float *grads;
};

/* The objective an attack maximises (maximise != 0) or minimises. */
struct l2d_objective {
    void *self;
    size_t dim;
    int maximise;
    /* value[B], grad[B][dim] (grad may be NULL) at x[B][dim] */
    int (*value_grad)(void *self, const float *x, size_t B, double *value,
                      float *grad, struct l2d_error *err);
    const float *lo, *hi; /* valid range per feature, or NULL */
    /* ABI 2: as for struct l2d_model_ctx; on a device, value[B] and
     * grad[B][dim] are device arrays too. */
    int device;
    void *stream;
};

struct l2d_attack;        /* an attack instance, for surrogates that use one */
struct l2d_attack_handle {
    const struct l2d_attack_ops *ops;
    void *state;
};

/* ---- ops per kind -------------------------------------------------------- */

enum l2d_kind {
    L2D_KIND_DATASET = 1,
    L2D_KIND_AGENT = 2,
    L2D_KIND_SURROGATE = 3,
    L2D_KIND_ATTACK = 4
};

struct l2d_dataset_ops {
    size_t struct_size; /* sizeof at build time: the host reads no op past it */
    int (*open)(const struct l2d_params *p, const struct l2d_host *host, void **state,
                struct l2d_error *err);
    int (*info)(void *state, struct l2d_dataset_info *info, struct l2d_error *err);
    /* Copy rows idx[0..n) of a split: x[n][dim], y[n] (if classes), t[n][tdim]
     * (if targets). y and t may be NULL when the caller does not want them. */
    int (*batch)(void *state, enum l2d_split split, const size_t *idx, size_t n, float *x,
                 int32_t *y, float *t, struct l2d_error *err);
    void (*close)(void *state);
};

enum l2d_agent_output {
    L2D_AGENT_CLASS = 1u << 0,  /* predicts a class */
    L2D_AGENT_TARGET = 1u << 1, /* predicts a regression target */
    L2D_AGENT_COST = 1u << 2    /* gives a per-sample cost directly */
};

struct l2d_agent_ops {
    size_t struct_size; /* sizeof at build time: the host reads no op past it */
    int (*create)(const struct l2d_params *p, const struct l2d_host *host,
                  const struct l2d_dataset_info *info, void **state, struct l2d_error *err);
    /* Which of enum l2d_agent_output this instance fills. */
    unsigned (*outputs)(void *state);
    /* Train on the training split (val for early stopping if wanted). */
    int (*fit)(void *state, const struct l2d_data *train, const struct l2d_data *val,
               struct l2d_error *err);
    /* Predictions for n rows: yhat[n], that[n][tdim], cost[n]; NULL where not
     * wanted or not provided. Must be deterministic given the create() seed. */
    int (*predict)(void *state, const struct l2d_data *data, int32_t *yhat, float *that,
                   double *cost, struct l2d_error *err);
    void (*destroy)(void *state);
};

struct l2d_surrogate_ops {
    size_t struct_size; /* sizeof at build time: the host reads no op past it */
    int (*create)(const struct l2d_params *p, const struct l2d_host *host, void **state,
                  struct l2d_error *err);
    /* Per-sample surrogate loss and its gradient w.r.t. the scores.
     * scores[B][A], costs[B][A] are the per-agent costs c (the surrogate forms
     * tau itself); loss[B]; grad[B][A] = d loss_i / d scores_i (may be NULL).
     * A non-finite loss is an L2D_ENUMERIC error, not a value. */
    int (*loss)(void *state, const double *scores, const double *costs, size_t B, size_t A,
                double *loss, double *grad, struct l2d_error *err);
    /* Optional (NULL): pointwise infimum over scores, inf[B]. */
    int (*infimum)(void *state, const double *costs, size_t B, size_t A, double *inf,
                   struct l2d_error *err);
    /* Optional (NULL): a whole training step's loss for surrogates that need
     * the model (SARD). Fills loss[B] and accumulates parameter gradients
     * through model->backward; the host then steps the optimiser. */
    int (*train_batch)(void *state, const struct l2d_model_ctx *model,
                       const struct l2d_attack_handle *attack, const float *x,
                       const double *costs, size_t B, double *loss, struct l2d_error *err);
    void (*destroy)(void *state);
    /* ---- ABI 2: device ops (NULL: host only; the host then copies the
     * arrays to the host, calls the host op and copies back, and says once
     * that the run is on the slow path). Arrays are in the memory of the
     * run's CUDA device; work goes on `stream` (a cudaStream_t), never
     * synchronised or copied to the host inside the op, so the host can
     * capture it into a CUDA graph. Scratch memory may be allocated on a
     * call with a larger B than before (the host makes the first call of a
     * run with the largest B, outside any capture) and kept until destroy.
     * Errors that need the data (a non-finite loss) are not reported here:
     * the host checks the outputs. */
    /* loss[B] and, when grad != NULL, grad[B][A] = scale * d loss_i / d scores_i. */
    int (*loss_device)(void *state, const float *scores, const double *costs, size_t B, size_t A,
                       double scale, double *loss, float *grad, void *stream,
                       struct l2d_error *err);
    /* train_batch on device arrays: model is a device context (model->device
     * >= 0), x[B][dim], costs[B][A], loss[B] device arrays. */
    int (*train_batch_device)(void *state, const struct l2d_model_ctx *model,
                              const struct l2d_attack_handle *attack, const float *x,
                              const double *costs, size_t B, double *loss, void *stream,
                              struct l2d_error *err);
    /* 1 when train_batch_device with this model and attack keeps every
     * per-batch state it changes (seeds, counters) in device memory, so that
     * the host may capture an epoch of calls once as a CUDA graph and
     * replay it; 0 or NULL: the host calls it batch by batch. */
    int (*device_replayable)(void *state, const struct l2d_model_ctx *model,
                             const struct l2d_attack_handle *attack);
};

struct l2d_attack_ops {
    size_t struct_size; /* sizeof at build time: the host reads no op past it */
    int (*create)(const struct l2d_params *p, const struct l2d_host *host, void **state,
                  struct l2d_error *err);
    /* x_adv[B][dim] from x[B][dim]: the point of the ball around x (and of
     * obj's valid range) that best serves obj. */
    int (*perturb)(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                   float *x_adv, uint64_t seed, struct l2d_error *err);
    void (*destroy)(void *state);
    /* ---- ABI 2 (NULL: absent) */
    /* perturb on device arrays against a device objective (obj->device >=
     * 0), queued on `stream`; the rules of the surrogate's device ops. */
    int (*perturb_device)(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                          float *x_adv, uint64_t seed, void *stream, struct l2d_error *err);
    /* The attack as a projected-gradient method, for callers that fuse it
     * into their own kernels (smooth-adv's SARD step): 0 and *spec filled,
     * or non-zero when the attack is not of that form. */
    int (*describe)(void *state, struct l2d_pgd_spec *spec);
};

/* A projected-gradient attack, as describe() gives it: `steps` steps of
 * size alpha (l_inf: sign of the gradient; l_2: the normalised gradient)
 * projected on the ball of radius eps around x, clipped to the objective's
 * lo/hi when clamp, from x or (random_start) a uniform point of the ball;
 * the result per row is the best iterate seen, the clean x included. */
enum l2d_pgd_norm_kind { L2D_NORM_LINF = 0, L2D_NORM_L2 = 1 };
struct l2d_pgd_spec {
    enum l2d_pgd_norm_kind norm;
    double eps, alpha;
    int steps;
    int random_start;
    int clamp;
};

/* Whether an ops table built against some ABI 2.x has field f (the host
 * reads no op past the table's struct_size):
 *   if (L2D_OPS_HAS(ops, struct l2d_surrogate_ops, loss_device) && ops->loss_device) ... */
#define L2D_OPS_HAS(ops, type, f) \
    ((ops)->struct_size >= offsetof(type, f) + sizeof(((type *)0)->f))

/* ---- the descriptor ------------------------------------------------------ */

struct l2d_plugin {
    uint64_t magic;        /* L2D_PLUGIN_MAGIC */
    uint16_t abi_major;    /* L2D_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;
    uint32_t struct_size;  /* sizeof(struct l2d_plugin) at build time */
    enum l2d_kind kind;
    const char *name;      /* [a-z0-9_-]+, unique per kind */
    const char *version;
    const char *summary;   /* one line */
    const struct l2d_param_spec *params; /* terminated by {NULL, L2D_PARAM_END} */
    const void *ops;       /* struct l2d_<kind>_ops * */
};

#define L2D_PLUGIN_HEADER(kind_, name_, version_, summary_, params_, ops_)                     \
    {                                                                                          \
        L2D_PLUGIN_MAGIC, L2D_ABI_MAJOR, L2D_ABI_MINOR, (uint32_t)sizeof(struct l2d_plugin),   \
            (kind_), (name_), (version_), (summary_), (params_), (ops_)                        \
    }

#define L2D_PARAMS_END {NULL, L2D_PARAM_END, NULL, 0, 0, NULL, NULL}

/* The one symbol a plugin exports. */
typedef const struct l2d_plugin *(*l2d_plugin_entry_fn)(unsigned index);
#define L2D_PLUGIN_ENTRY_SYMBOL "l2d_plugin_entry"

#if defined(__GNUC__)
#define L2D_EXPORT __attribute__((visibility("default")))
#else
#define L2D_EXPORT
#endif

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index);

#ifdef __cplusplus
}
#endif
#endif
