/* fgsm: the fast gradient sign method (Goodfellow et al.): one l_inf step
 * of size eps along the sign of the objective's gradient, clipped to the
 * objective's valid range when clamp is set (and the objective has one).
 * Returns per row the better of the clean x and the stepped point, so the
 * objective never gets worse.
 *
 * Parameters: eps (>= 0, default 0.25), clamp (default false).
 * describe() and perturb_device as for pgd (one step of size eps). */

#include <math.h>
#include <stdlib.h>

#include "l2d/plugin.h"
#include "pgd_core.h"

static int fgsm_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                       struct l2d_error *err)
{
    (void)host;
    struct l2d_pgd_cfg c = {0};
    c.who = "fgsm";
    c.norm = L2D_PGD_LINF;
    c.eps = l2d_param_double(p, "eps", 0.25);
    c.steps = 1;
    c.alpha = c.eps;
    c.clamp = l2d_param_int(p, "clamp", 0) != 0;
    if (!isfinite(c.eps) || c.eps < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "fgsm: eps: %g is not a finite number >= 0", c.eps);
    struct l2d_pgd_cfg *s = malloc(sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "fgsm: out of memory");
    *s = c;
    *state = s;
    return 0;
}

static int fgsm_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                        float *x_adv, uint64_t seed, struct l2d_error *err)
{
    return l2d_pgd_run(state, obj, x, B, x_adv, seed, err);
}

static void fgsm_destroy(void *state)
{
#ifdef L2D_PLUGIN_CUDA
    if (state) l2d_pgd_device_free(state);
#endif
    free(state);
}

static int fgsm_describe(void *state, struct l2d_pgd_spec *spec)
{
    l2d_pgd_describe(state, spec);
    return 0;
}

#ifdef L2D_PLUGIN_CUDA
static int fgsm_perturb_device(void *state, const struct l2d_objective *obj, const float *x,
                             size_t B, float *x_adv, uint64_t seed, void *stream,
                             struct l2d_error *err)
{
    return l2d_pgd_run_device(state, obj, x, B, x_adv, seed, stream, err);
}
#endif

static const struct l2d_attack_ops fgsm_ops = {
    .struct_size = sizeof(struct l2d_attack_ops),
    .create = fgsm_create,
    .perturb = fgsm_perturb,
    .destroy = fgsm_destroy,
#ifdef L2D_PLUGIN_CUDA
    .perturb_device = fgsm_perturb_device,
#endif
    .describe = fgsm_describe,
};

static const struct l2d_param_spec fgsm_params[] = {
    {"eps", L2D_PARAM_DOUBLE, "0.25", 0, 1e6, NULL, "size of the sign step (l_inf radius)"},
    {"clamp", L2D_PARAM_BOOL, "false", 0, 0, NULL,
     "clip to the data set's valid input range (the data set must have one)"},
    L2D_PARAMS_END,
};

static const struct l2d_plugin fgsm_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_ATTACK, "fgsm", "1.0",
                      "fast gradient sign method: one l_inf step of size eps", fgsm_params,
                      &fgsm_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &fgsm_plugin : NULL;
}
