/* Attack objectives on a rejector (docs/math.md §5), packaged as the
 * struct l2d_objective an attack plugin works on. Agents are never
 * attacked: the per-agent costs are those of the clean x, fixed for the
 * whole attack.
 *
 *   untargeted (target < 0): maximise   sum_j tau_j Phi_01^nu(r(x'), j)
 *   targeted to agent jt:    minimise   w Phi_01^nu(r(x'), jt),
 *                            w = tau_jt, or 1 where tau_jt == 0 (a zero
 *                            weight would leave nothing to follow)
 * with tau_j = sum_{i != j} c_i and Phi_01^nu the comp-sum family (section 3).
 */
#ifndef L2D_CORE_OBJECTIVES_H
#define L2D_CORE_OBJECTIVES_H
#include <stddef.h>

#include "l2d/engine.h"
#include "l2d/model.h"
#include "l2d/plugin.h"

/* One sample's objective and its gradient with respect to the scores:
 * r[A], c[A] -> *value, dr[A] (dr may be NULL). Double throughout, softmax by
 * log-sum-exp. Fails (L2D_ENUMERIC) on a non-finite score, cost or value,
 * L2D_EINVAL on a target outside [-1, A). */
int l2d_rej_objective_score(const double *r, const double *c, size_t A, double nu, int target,
                            double *value, double *dr, struct l2d_error *err);

/* The arguments every objective checks, on the host or a device: costs
 * for B > 0 rows, nu finite and >= 0, target -1 or an agent in [0, A). */
int l2d_rej_objective_check(const double *c, size_t B, size_t A, double nu, int target,
                            struct l2d_error *err);

/* The objective over one batch. obj comes first so that &o->obj is what an
 * attack receives; obj.self points back at this struct. value_grad(x', B)
 * must be called with the B rows whose clean costs are c (row i of x' is
 * the perturbed row i): it refuses any other batch size. obj.self and mctx
 * point into the struct itself: do not copy or move it once initialised. */
struct l2d_rej_objective {
    struct l2d_objective obj;
    struct l2d_model_ctx model; /* the rejector as a differentiable function */
    const struct l2d_model_ctx *mctx; /* &model, or the caller's context */
    const double *c;            /* c[B][A], borrowed, not copied */
    size_t B, A;
    double nu;
    int target;                 /* agent index, or -1: untargeted */
    float *scores, *dscores;    /* [B][A] scratch */
    double *r, *dr;             /* [A] scratch */
};

/* From a model (l2d_model_out(m) agents, l2d_model_in(m) features).
 * c[B][A] and lo/hi (per-feature valid range, either may be NULL) are
 * borrowed and must outlive the objective, as must m. Every value_grad()
 * call runs a forward on the model (what it kept from an earlier forward is
 * gone); its parameter gradients are not touched. */
int l2d_rej_objective_init(struct l2d_rej_objective *o, struct l2d_model *m, const double *c,
                           size_t B, size_t A, double nu, int target, const float *lo,
                           const float *hi, struct l2d_error *err);

/* From any differentiable rejector (model->backward is called with
 * accumulate = 0, so parameter gradients are left alone); lo/hi are taken
 * from the context. *model must outlive the objective. */
int l2d_rej_objective_init_model(struct l2d_rej_objective *o, const struct l2d_model_ctx *model,
                                 const double *c, size_t B, double nu, int target,
                                 struct l2d_error *err);

void l2d_rej_objective_free(struct l2d_rej_objective *o);

/* One attack on a batch, for evaluation: builds the objective (untargeted
 * when target < 0), runs atk->ops->perturb with `seed` and frees it.
 * x_adv[B][in]; the agents' costs c[B][A] are the clean x's. */
int l2d_rej_attack(const struct l2d_attack_handle *atk, struct l2d_model *m, const float *x,
                   const double *c, size_t B, double nu, int target, const float *lo,
                   const float *hi, uint64_t seed, float *x_adv, struct l2d_error *err);

#endif
