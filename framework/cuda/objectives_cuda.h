/* Attack objectives on a rejector held on a GPU: the device twin of
 * framework/core/objectives.h (docs/math.md §5), as the struct
 * l2d_objective (device = N) an attack's perturb_device works on, and one
 * attack on a batch with the host path for attacks without device ops. */
#ifndef L2D_CUDA_OBJECTIVES_CUDA_H
#define L2D_CUDA_OBJECTIVES_CUDA_H
#include <stddef.h>
#include <stdint.h>

#include "core/model_impl.h"
#include "l2d/plugin.h"

/* obj comes first: &o->obj is what the attack receives. c[B][A] (clean
 * costs), lo/hi are device arrays, borrowed. Non-finite scores, costs or
 * values are not errors of value_grad (it does not synchronise): they set
 * st (device int[3], see enum l2d_cuda_fail), which the caller reads. */
struct l2d_cuda_objective {
    struct l2d_objective obj;
    struct l2d_model *m;
    const double *c;
    size_t B, A;
    double nu;
    int target;
    float *scores, *dscores; /* device [B][A] */
    int *st;
    int batch;               /* written into st on a failure */
};

/* An objective for B rows on CUDA model m (the objective does not own m).
 * target < 0: untargeted (maximise); else targeted to agent `target`. */
int l2d_cuda_objective_init(struct l2d_cuda_objective *o, struct l2d_model *m, const double *c,
                            size_t B, double nu, int target, const float *lo, const float *hi,
                            int *st, struct l2d_error *err);
void l2d_cuda_objective_free(struct l2d_cuda_objective *o);

/* The error (L2D_ENUMERIC, one line) for an objective's status word read
 * back to the host, or 0 when it says nothing failed. */
int l2d_cuda_objective_status(const int st[3], double nu, struct l2d_error *err);

/* x_adv[B][dim] from x[B][dim] (device arrays) with attack atk against the
 * objective above: through perturb_device when the attack has it, else
 * through its host perturb on host copies (every objective call then
 * copies and synchronises: the slow path; *slow is set to 1 when taken).
 * lo_host/hi_host: the same ranges in host memory, for that path. */
int l2d_cuda_rej_attack(const struct l2d_attack_handle *atk, struct l2d_model *m, const float *x,
                        const double *c, size_t B, double nu, int target, const float *lo,
                        const float *hi, const float *lo_host, const float *hi_host,
                        uint64_t seed, float *x_adv, int *st, int *slow, struct l2d_error *err);
#endif
