/* Attack objectives on a CUDA rejector: see objectives_cuda.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels.h"
#include "cuda/model_cuda.h"
#include "core/objectives.h"
#include "cuda/objectives_cuda.h"

static int dev_value_grad(void *self, const float *x, size_t B, double *value, float *grad,
                          struct l2d_error *err)
{
    struct l2d_cuda_objective *o = self;
    struct l2d_model *m = o->m;
    int rc = 0;
    if (B != o->B)
        return l2d_seterr(err, L2D_EINVAL,
                          "attack objective: called on %zu rows, built for the %zu rows of its "
                          "costs",
                          B, o->B);
    if ((rc = m->be->forward(m, x, B, o->scores, err))) return rc;
    L2D_CK(m->device, "attack objective",
           l2d_cuda_rej_objective(o->scores, o->c, B, o->A, o->nu, o->target, value,
                                  grad ? o->dscores : NULL, o->st, o->batch,
                                  (cudaStream_t)m->stream));
    if (grad) rc = m->be->backward(m, o->dscores, B, grad, 0, err);
out:
    return rc;
}

int l2d_cuda_objective_init(struct l2d_cuda_objective *o, struct l2d_model *m, const double *c,
                            size_t B, double nu, int target, const float *lo, const float *hi,
                            int *st, struct l2d_error *err)
{
    int rc = 0;
    memset(o, 0, sizeof *o);
    if (!m || m->device < 0) return l2d_seterr(err, L2D_EINVAL, "attack objective: no CUDA rejector");
    const size_t A = m->out;
    if ((rc = l2d_rej_objective_check(c, B, A, nu, target, err))) return rc;
    if ((rc = l2d_cuda_model_use(m, err))) return rc;
    o->m = m;
    o->c = c;
    o->B = B;
    o->A = A;
    o->nu = nu;
    o->target = target;
    o->st = st;
    const size_t n = (B ? B : 1) * A;
    L2D_CK(m->device, "attack objective", cudaMalloc((void **)&o->scores, n * sizeof(float)));
    L2D_CK(m->device, "attack objective", cudaMalloc((void **)&o->dscores, n * sizeof(float)));
    o->obj.self = o;
    o->obj.dim = m->in;
    o->obj.maximise = target < 0;
    o->obj.value_grad = dev_value_grad;
    o->obj.lo = lo;
    o->obj.hi = hi;
    o->obj.device = m->device;
    o->obj.stream = m->stream;
out:
    if (rc) l2d_cuda_objective_free(o);
    return rc;
}

void l2d_cuda_objective_free(struct l2d_cuda_objective *o)
{
    if (!o) return;
    if (o->m && o->m->stream) cudaStreamSynchronize((cudaStream_t)o->m->stream);
    cudaFree(o->scores);
    cudaFree(o->dscores);
    o->scores = o->dscores = NULL;
}

/* ---- the host path: a host objective over the device one ---------------- */

struct host_obj {
    struct l2d_objective obj;
    struct l2d_cuda_objective *dev;
    float *dx, *dgrad; /* device [B][dim] */
    double *dvalue;    /* device [B] */
};

static int host_value_grad(void *self, const float *x, size_t B, double *value, float *grad,
                           struct l2d_error *err)
{
    struct host_obj *h = self;
    struct l2d_cuda_objective *o = h->dev;
    cudaStream_t s = (cudaStream_t)o->m->stream;
    const int d = o->m->device;
    const size_t dim = o->m->in;
    int rc = 0, st[3] = {0, 0, 0};
    if (B != o->B)
        return l2d_seterr(err, L2D_EINVAL, "attack objective: called on %zu rows, built for %zu",
                          B, o->B);
    L2D_CK(d, "attack objective (host path)",
           cudaMemcpyAsync(h->dx, x, B * dim * sizeof *x, cudaMemcpyHostToDevice, s));
    if ((rc = dev_value_grad(o, h->dx, B, h->dvalue, grad ? h->dgrad : NULL, err))) goto out;
    L2D_CK(d, "attack objective (host path)",
           cudaMemcpyAsync(value, h->dvalue, B * sizeof *value, cudaMemcpyDeviceToHost, s));
    if (grad)
        L2D_CK(d, "attack objective (host path)",
               cudaMemcpyAsync(grad, h->dgrad, B * dim * sizeof *grad, cudaMemcpyDeviceToHost, s));
    if (o->st)
        L2D_CK(d, "attack objective (host path)",
               cudaMemcpyAsync(st, o->st, sizeof st, cudaMemcpyDeviceToHost, s));
    L2D_CK(d, "attack objective (host path)", cudaStreamSynchronize(s));
    /* on this path the attack can be told at once, as the CPU objective does */
    rc = l2d_cuda_objective_status(st, o->nu, err);
out:
    return rc;
}

int l2d_cuda_objective_status(const int st[3], double nu, struct l2d_error *err)
{
    if (st[0] == L2D_CUDA_FAIL_SCORE)
        return l2d_seterr(err, L2D_ENUMERIC, "attack objective: score or cost not finite (row %d)",
                          st[2]);
    if (st[0])
        return l2d_seterr(err, L2D_ENUMERIC,
                          "attack objective: value is not finite (nu = %g, scores too far apart) "
                          "(row %d)",
                          nu, st[2]);
    return 0;
}

int l2d_cuda_rej_attack(const struct l2d_attack_handle *atk, struct l2d_model *m, const float *x,
                        const double *c, size_t B, double nu, int target, const float *lo,
                        const float *hi, const float *lo_host, const float *hi_host,
                        uint64_t seed, float *x_adv, int *st, int *slow, struct l2d_error *err)
{
    if (!atk || !atk->ops) return l2d_seterr(err, L2D_EINVAL, "attack objective: no attack plugin");
    if (!x || !x_adv) return l2d_seterr(err, L2D_EINVAL, "attack objective: no x or x_adv");
    struct l2d_cuda_objective o;
    int rc = l2d_cuda_objective_init(&o, m, c, B, nu, target, lo, hi, st, err);
    if (rc) return rc;
    const int has_dev = L2D_OPS_HAS(atk->ops, struct l2d_attack_ops, perturb_device) &&
                        atk->ops->perturb_device;
    if (has_dev) {
        rc = atk->ops->perturb_device(atk->state, &o.obj, x, B, x_adv, seed, m->stream, err);
        l2d_cuda_objective_free(&o);
        return rc;
    }
    if (!atk->ops->perturb) {
        l2d_cuda_objective_free(&o);
        return l2d_seterr(err, L2D_EINVAL, "attack objective: the attack has no perturb op");
    }
    if (slow) *slow = 1;
    const size_t dim = m->in;
    cudaStream_t s = (cudaStream_t)m->stream;
    struct host_obj h;
    memset(&h, 0, sizeof h);
    h.dev = &o;
    float *hx = malloc((B ? B : 1) * dim * sizeof *hx), *hxa = malloc((B ? B : 1) * dim * sizeof *hxa);
    if (!hx || !hxa) {
        rc = l2d_seterr(err, L2D_ENOMEM, "attack objective: out of memory");
        goto out;
    }
    L2D_CK(m->device, "attack (host path)", cudaMalloc((void **)&h.dx, (B ? B : 1) * dim * sizeof(float)));
    L2D_CK(m->device, "attack (host path)", cudaMalloc((void **)&h.dgrad, (B ? B : 1) * dim * sizeof(float)));
    L2D_CK(m->device, "attack (host path)", cudaMalloc((void **)&h.dvalue, (B ? B : 1) * sizeof(double)));
    L2D_CK(m->device, "attack (host path)",
           cudaMemcpyAsync(hx, x, B * dim * sizeof *hx, cudaMemcpyDeviceToHost, s));
    L2D_CK(m->device, "attack (host path)", cudaStreamSynchronize(s));
    h.obj.self = &h;
    h.obj.dim = dim;
    h.obj.maximise = target < 0;
    h.obj.value_grad = host_value_grad;
    h.obj.lo = lo_host;
    h.obj.hi = hi_host;
    h.obj.device = -1;
    rc = atk->ops->perturb(atk->state, &h.obj, hx, B, hxa, seed, err);
    if (rc) goto out;
    L2D_CK(m->device, "attack (host path)",
           cudaMemcpyAsync(x_adv, hxa, B * dim * sizeof *hxa, cudaMemcpyHostToDevice, s));
    L2D_CK(m->device, "attack (host path)", cudaStreamSynchronize(s));
out:
    l2d_cuda_objective_free(&o);
    cudaFree(h.dx);
    cudaFree(h.dgrad);
    cudaFree(h.dvalue);
    free(hx);
    free(hxa);
    return rc;
}
