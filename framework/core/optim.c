/* SGD, Adam and AdamW with PyTorch's update rules (torch.optim.*, no
 * amsgrad, no momentum for SGD). Moments are float; the per-element
 * arithmetic is done in double and rounded once into the parameter. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/mlp.h"

int l2d_optim_init(struct l2d_optim *o, enum l2d_optim_kind kind, size_t n, double weight_decay,
                   struct l2d_error *err)
{
    if (!o) return l2d_seterr(err, L2D_EINVAL, "optimiser: NULL state");
    o->m = o->v = NULL;
    o->n = 0;
    o->t = 0;
    if (kind != L2D_OPT_SGD && kind != L2D_OPT_ADAM && kind != L2D_OPT_ADAMW)
        return l2d_seterr(err, L2D_EINVAL, "optimiser: unknown kind %d", (int)kind);
    if (!isfinite(weight_decay) || weight_decay < 0)
        return l2d_seterr(err, L2D_EINVAL, "optimiser: weight_decay must be finite and >= 0, got %g",
                          weight_decay);
    o->kind = kind;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->weight_decay = weight_decay;
    o->n = n;
    if (kind != L2D_OPT_SGD) {
        o->m = calloc(n ? n : 1, sizeof *o->m);
        o->v = calloc(n ? n : 1, sizeof *o->v);
        if (!o->m || !o->v) {
            l2d_optim_free(o);
            return l2d_seterr(err, L2D_ENOMEM, "optimiser: cannot allocate moments for %zu parameters",
                              n);
        }
    }
    return 0;
}

void l2d_optim_free(struct l2d_optim *o)
{
    if (!o) return;
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
    o->n = 0;
}

void l2d_optim_step(struct l2d_optim *o, float *params, const float *grads, double lr)
{
    const double wd = o->weight_decay;
    o->t++;
    if (o->kind == L2D_OPT_SGD) {
        for (size_t i = 0; i < o->n; i++)
            params[i] = (float)((double)params[i] - lr * ((double)grads[i] + wd * params[i]));
        return;
    }
    const double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const double bc1 = 1.0 - pow(b1, (double)o->t);
    const double bc2_sqrt = sqrt(1.0 - pow(b2, (double)o->t));
    const double step_size = lr / bc1;
    const int decoupled = o->kind == L2D_OPT_ADAMW;
    for (size_t i = 0; i < o->n; i++) {
        double p = params[i], g = grads[i];
        if (decoupled)
            p *= 1.0 - lr * wd;
        else
            g += wd * p;
        double m = b1 * o->m[i] + (1.0 - b1) * g;
        double v = b2 * o->v[i] + (1.0 - b2) * g * g;
        o->m[i] = (float)m;
        o->v[i] = (float)v;
        p -= step_size * m / (sqrt(v) / bc2_sqrt + eps);
        params[i] = (float)p;
    }
}
