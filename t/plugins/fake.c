/* A surrogate plugin built several times, each with one defect selected by
 * a macro, to test that the loader refuses it with a message naming the file
 * (FAKE_BAD_MAGIC, FAKE_ABI_MAJOR, FAKE_ABI_MINOR, FAKE_KIND, FAKE_SHORT_OPS,
 * FAKE_NO_LOSS, FAKE_NO_ENTRY, FAKE_DUP_PARAM, FAKE_DEFAULT, FAKE_TWIN_DESC).
 * Loss: sum_j c_j * r_j^2 / 2 (gradient c_j r_j), or a wrong gradient with
 * FAKE_BAD_GRAD so plugin-check's finite differences must catch it. */
#include <stdlib.h>
#include "l2d/plugin.h"

static int create(const struct l2d_params *p, const struct l2d_host *h, void **st,
                  struct l2d_error *err)
{
    (void)p; (void)h; (void)err;
    *st = NULL;
    return 0;
}

static __attribute__((unused)) int loss(void *st, const double *r, const double *c, size_t B, size_t A, double *l,
                double *g, struct l2d_error *err)
{
    (void)st; (void)err;
    for (size_t i = 0; i < B; i++) {
        l[i] = 0;
        for (size_t j = 0; j < A; j++) {
            l[i] += c[i * A + j] * r[i * A + j] * r[i * A + j] / 2;
#ifdef FAKE_BAD_GRAD
            if (g) g[i * A + j] = 2 * c[i * A + j] * r[i * A + j];
#else
            if (g) g[i * A + j] = c[i * A + j] * r[i * A + j];
#endif
        }
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
    .struct_size = FAKE_OPS_SIZE, .create = create, .loss = FAKE_LOSS, .destroy = destroy};

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
