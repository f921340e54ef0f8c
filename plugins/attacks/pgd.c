/* pgd: projected gradient ascent/descent in an l_inf or l_2 ball (Madry et
 * al.; ADV section 4), on whatever l2d_objective the host hands over.
 *
 * Parameters:
 *   norm          inf | 2                          (default inf)
 *   eps           ball radius >= 0                 (default 0.25)
 *   steps         iterations >= 1                  (default 10)
 *   step          step size; 0 means eps/steps     (default 0: PGD10 with
 *                 step eps/10, PGD40 with eps/40, as the papers run them)
 *   random_start  start uniformly in the ball, drawn from perturb()'s seed
 *   clamp         clip to the objective's valid range (obj->lo/hi) after
 *                 each step; an objective without a range is left unclipped
 *                 (refusing clamp without a range is the host's config job)
 *
 * Unlike textbook PGD, which returns the last iterate, perturb() returns per
 * row the best iterate seen, the clean x included: the objective at x_adv is
 * never worse than at x.
 *
 * describe() gives this configuration as a struct l2d_pgd_spec (for SARD's
 * fused kernel); perturb_device (pgd_device.cu, with CUDA) runs the same
 * steps on a device objective, drawing the same random start. */

#include <math.h>
#include <stdlib.h>

#include "l2d/plugin.h"
#include "pgd_core.h"

static int pgd_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                      struct l2d_error *err)
{
    (void)host;
    struct l2d_pgd_cfg c = {0};
    c.who = "pgd";
    const char *norm = l2d_param_str(p, "norm", "inf");
    int n = l2d_pgd_norm_parse(norm);
    if (n < 0) return l2d_seterr(err, L2D_EINVAL, "pgd: norm: '%s' is not one of inf|2", norm);
    c.norm = (enum l2d_pgd_norm)n;
    c.eps = l2d_param_double(p, "eps", 0.25);
    int64_t steps = l2d_param_int(p, "steps", 10);
    double st = l2d_param_double(p, "step", 0.0);
    c.random_start = l2d_param_int(p, "random_start", 0) != 0;
    c.clamp = l2d_param_int(p, "clamp", 0) != 0;
    if (!isfinite(c.eps) || c.eps < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "pgd: eps: %g is not a finite number >= 0", c.eps);
    if (steps < 1 || steps > 1000000)
        return l2d_seterr(err, L2D_EINVAL, "pgd: steps: %lld is out of range [1, 1000000]",
                          (long long)steps);
    if (!isfinite(st) || st < 0.0)
        return l2d_seterr(err, L2D_EINVAL, "pgd: step: %g is not a finite number >= 0", st);
    c.steps = (int)steps;
    c.alpha = st > 0.0 ? st : c.eps / (double)c.steps;
    struct l2d_pgd_cfg *s = malloc(sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "pgd: out of memory");
    *s = c;
    *state = s;
    return 0;
}

static int pgd_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                       float *x_adv, uint64_t seed, struct l2d_error *err)
{
    return l2d_pgd_run(state, obj, x, B, x_adv, seed, err);
}

static void pgd_destroy(void *state)
{
#ifdef L2D_PLUGIN_CUDA
    if (state) l2d_pgd_device_free(state);
#endif
    free(state);
}

static int pgd_describe(void *state, struct l2d_pgd_spec *spec)
{
    l2d_pgd_describe(state, spec);
    return 0;
}

#ifdef L2D_PLUGIN_CUDA
static int pgd_perturb_device(void *state, const struct l2d_objective *obj, const float *x,
                             size_t B, float *x_adv, uint64_t seed, void *stream,
                             struct l2d_error *err)
{
    return l2d_pgd_run_device(state, obj, x, B, x_adv, seed, stream, err);
}
#endif

static const struct l2d_attack_ops pgd_ops = {
    .struct_size = sizeof(struct l2d_attack_ops),
    .create = pgd_create,
    .perturb = pgd_perturb,
    .destroy = pgd_destroy,
#ifdef L2D_PLUGIN_CUDA
    .perturb_device = pgd_perturb_device,
#endif
    .describe = pgd_describe,
};

static const struct l2d_param_spec pgd_params[] = {
    {"norm", L2D_PARAM_ENUM, "inf", 0, 0, "inf|2", "the ball: l_inf box or l_2 sphere"},
    {"eps", L2D_PARAM_DOUBLE, "0.25", 0, 1e6, NULL, "radius of the ball"},
    {"steps", L2D_PARAM_INT, "10", 1, 1000000, NULL, "number of gradient steps"},
    {"step", L2D_PARAM_DOUBLE, "0", 0, 1e6, NULL, "step size; 0 means eps/steps"},
    {"random_start", L2D_PARAM_BOOL, "false", 0, 0, NULL, "start at a uniform point of the ball"},
    {"clamp", L2D_PARAM_BOOL, "false", 0, 0, NULL,
     "clip to the data set's valid input range (the data set must have one)"},
    L2D_PARAMS_END,
};

static const struct l2d_plugin pgd_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_ATTACK, "pgd", "1.0",
                      "projected gradient attack in an l_inf or l_2 ball, best iterate kept",
                      pgd_params, &pgd_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &pgd_plugin : NULL;
}
