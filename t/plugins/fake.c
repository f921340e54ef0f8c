/* A surrogate plugin built several times, each with one defect selected by
 * a macro, to test that the loader refuses it with a message naming the file
 * (FAKE_BAD_MAGIC, FAKE_ABI_MAJOR, FAKE_ABI_MINOR, FAKE_KIND, FAKE_SHORT_OPS,
 * FAKE_NO_LOSS, FAKE_NO_ENTRY, FAKE_DUP_PARAM, FAKE_DEFAULT, FAKE_TWIN_DESC).
 * Loss: the expected cost under softmax(r), sum_j c_j p_j (gradient
 * p_k (c_k - loss)), minimised by sending every query to the cheapest agent;
 * infimum min_j c_j. Defects plugin-check must catch: FAKE_BAD_GRAD (the
 * gradient doubled), FAKE_WRONG_SIGN (minus the expected cost: minimised by
 * the most expensive agent), FAKE_INF_ABOVE (an infimum 0.25 above the true
 * one, so above the loss near the minimiser). */
#include <math.h>
#include <stdlib.h>
#include "l2d/plugin.h"

static int create(const struct l2d_params *p, const struct l2d_host *h, void **st,
                  struct l2d_error *err)
{
    (void)p; (void)h; (void)err;
    *st = NULL;
    return 0;
}

#ifdef FAKE_WRONG_SIGN
#define FAKE_SIGN (-1.0)
#else
#define FAKE_SIGN 1.0
#endif

static __attribute__((unused)) int loss(void *st, const double *r, const double *c, size_t B,
                                        size_t A, double *l, double *g, struct l2d_error *err)
{
    (void)st; (void)err;
    for (size_t i = 0; i < B; i++) {
        const double *ri = r + i * A, *ci = c + i * A;
        double m = ri[0], z = 0, e = 0;
        for (size_t j = 1; j < A; j++) m = ri[j] > m ? ri[j] : m;
        for (size_t j = 0; j < A; j++) z += exp(ri[j] - m);
        for (size_t j = 0; j < A; j++) e += ci[j] * exp(ri[j] - m) / z;
        l[i] = FAKE_SIGN * e;
        for (size_t j = 0; g && j < A; j++) {
            double pk = exp(ri[j] - m) / z, gk = FAKE_SIGN * pk * (ci[j] - e);
#ifdef FAKE_BAD_GRAD
            gk *= 2;
#endif
            g[i * A + j] = gk;
        }
    }
    return 0;
}

#ifdef FAKE_INF_ABOVE
#define FAKE_INF_SHIFT 0.25
#else
#define FAKE_INF_SHIFT 0.0
#endif
static int infimum(void *st, const double *c, size_t B, size_t A, double *inf, struct l2d_error *err)
{
    (void)st; (void)err;
    for (size_t i = 0; i < B; i++) {
        double m = c[i * A];
        for (size_t j = 1; j < A; j++) m = c[i * A + j] < m ? c[i * A + j] : m;
        /* minus the expected cost: the least is minus the dearest */
        if (FAKE_SIGN < 0)
            for (size_t j = 0; j < A; j++) m = -c[i * A + j] < m ? -c[i * A + j] : m;
        inf[i] = m + FAKE_INF_SHIFT;
    }
    return 0;
}

static void destroy(void *st) { (void)st; }

#ifdef FAKE_SHORT_OPS
#define FAKE_OPS_SIZE sizeof(size_t) /* as if built against an ops table with no op */
#else
#define FAKE_OPS_SIZE sizeof(struct l2d_surrogate_ops)
#endif
#ifdef FAKE_NO_LOSS
#define FAKE_LOSS NULL
#else
#define FAKE_LOSS loss
#endif
static __attribute__((unused)) const struct l2d_surrogate_ops ops = {
    .struct_size = FAKE_OPS_SIZE, .create = create, .loss = FAKE_LOSS, .infimum = infimum,
    .destroy = destroy};

#ifndef FAKE_DEFAULT
#define FAKE_DEFAULT "1"
#endif

static const struct l2d_param_spec params[] = {
    {"scale", L2D_PARAM_DOUBLE, FAKE_DEFAULT, 0, 10, NULL, "unused"},
#ifdef FAKE_DUP_PARAM
    {"scale", L2D_PARAM_DOUBLE, "1", 0, 10, NULL, "declared twice"},
#endif
    L2D_PARAMS_END};

static __attribute__((unused)) struct l2d_plugin desc = L2D_PLUGIN_HEADER(L2D_KIND_SURROGATE, FAKE_NAME, "0.1",
                                                  "test surrogate", params, &ops);
/* a second descriptor of the same kind and name (FAKE_TWIN_DESC) */
static __attribute__((unused)) struct l2d_plugin twin = L2D_PLUGIN_HEADER(L2D_KIND_SURROGATE, FAKE_NAME, "0.2",
                                                  "the same name again", params, &ops);

#ifndef FAKE_NO_ENTRY
const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
#ifdef FAKE_BAD_MAGIC
    desc.magic = 0x1234;
#endif
#ifdef FAKE_ABI_MAJOR
    desc.abi_major = FAKE_ABI_MAJOR;
#endif
#ifdef FAKE_ABI_MINOR
    desc.abi_minor = FAKE_ABI_MINOR;
#endif
#ifdef FAKE_KIND
    desc.kind = (enum l2d_kind)FAKE_KIND;
#endif
#ifdef FAKE_TWIN_DESC
    if (index == 1) return &twin;
#endif
    return index == 0 ? &desc : NULL;
}
#endif
