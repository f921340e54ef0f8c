/* The surrogates' CUDA launchers (ce_device.cu, rho_margin_device.cu),
 * called by the plugins' loss_device ops: loss[B] and, when grad != NULL,
 * grad[B][A] = scale * d loss_i / d scores_i, from float scores[B][A] and
 * double costs[B][A], all device arrays, queued on stream. A row with bad
 * input (a non-finite score, a cost < 0 or non-finite, an overflow) gets a
 * NaN loss, which the host's check of the outputs reports. */
#ifndef L2D_SURROGATES_DEVICE_H
#define L2D_SURROGATES_DEVICE_H
#include <stddef.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Agents one thread's row holds in registers. */
#define L2D_SURROGATE_DEVICE_MAX_A 64

int l2d_ce_loss_device(double nu, const float *scores, const double *costs, size_t B, size_t A,
                       double scale, double *loss, float *grad, void *stream,
                       struct l2d_error *err);
int l2d_rm_loss_device(double rho, double u, const float *scores, const double *costs, size_t B,
                       size_t A, double scale, double *loss, float *grad, void *stream,
                       struct l2d_error *err);

#ifdef __cplusplus
}
#endif
#endif
