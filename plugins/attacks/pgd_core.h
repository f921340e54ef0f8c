/* Projected gradient descent/ascent on a struct l2d_objective, shared by the
 * pgd and fgsm attack plugins (FGSM is one l_inf step of size eps). */
#ifndef L2D_PGD_CORE_H
#define L2D_PGD_CORE_H
#include <stdint.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

enum l2d_pgd_norm { L2D_PGD_LINF = 0, L2D_PGD_L2 = 1 };

struct l2d_pgd_cfg {
    const char *who;        /* plugin name, for messages */
    enum l2d_pgd_norm norm;
    double eps;             /* ball radius, >= 0 */
    int steps;              /* >= 1 */
    double alpha;           /* step size, > 0 (already resolved from "0 = eps/steps") */
    int random_start;       /* start uniformly in the ball (seeded) */
    int clamp;              /* clip to obj->lo/hi where the objective has them */
    void *dev;              /* device scratch (pgd_device.cu), NULL until used */
};

/* Runs cfg->steps steps from x (or a random point of the ball) and writes
 * to x_adv, per row, the iterate with the best objective value among the
 * clean x, the start and every iterate: so value(x_adv) is never worse than
 * value(x). Costs steps gradient evaluations plus one value evaluation of
 * the last iterate (plus one of x with a random start). */
int l2d_pgd_run(const struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj, const float *x,
                size_t B, float *x_adv, uint64_t seed, struct l2d_error *err);

/* The configuration as the ABI's struct l2d_pgd_spec (attack describe()). */
void l2d_pgd_describe(const struct l2d_pgd_cfg *cfg, struct l2d_pgd_spec *spec);

/* l2d_pgd_run on device arrays against a device objective, queued on
 * stream (pgd_device.cu; the rules of the ABI's device ops). A row whose
 * objective value or gradient is not finite comes back as NaN, for the
 * host's check of the outputs. Scratch grows in cfg->dev. */
int l2d_pgd_run_device(struct l2d_pgd_cfg *cfg, const struct l2d_objective *obj, const float *x,
                       size_t B, float *x_adv, uint64_t seed, void *stream,
                       struct l2d_error *err);
/* Frees cfg->dev (NULL: nothing). */
void l2d_pgd_device_free(struct l2d_pgd_cfg *cfg);

/* "inf" -> L2D_PGD_LINF, "2" -> L2D_PGD_L2; -1 otherwise. */
int l2d_pgd_norm_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
