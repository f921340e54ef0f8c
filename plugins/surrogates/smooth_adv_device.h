/* smooth-adv's train_batch_device (smooth_adv_device.cu). */
#ifndef L2D_SMOOTH_ADV_DEVICE_H
#define L2D_SMOOTH_ADV_DEVICE_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

struct l2d_sard_params {
    double u, rho, adv_weight;
    uint64_t seed;    /* the plugin's seed: agent j's attack of batch b uses seed + b A + j */
    uint64_t batches; /* batches so far (the host-side count, for the generic path) */
};

/* The SARD step on device arrays (the rules of the ABI's device ops).
 * *dev holds the device scratch, allocated on first use and grown with B;
 * free it with l2d_sard_device_free. */
int l2d_sard_train_batch_device(void **dev, const struct l2d_sard_params *p,
                                const struct l2d_model_ctx *model,
                                const struct l2d_attack_handle *attack, const float *x,
                                const double *costs, size_t B, double *loss, void *stream,
                                struct l2d_error *err);
void l2d_sard_device_free(void *dev);
/* Whether the step above runs without host state for this model and attack:
 * the fused path (its random starts count batches on the device) or no
 * smoothness term; the generic path passes host seeds to the attack. */
int l2d_sard_device_replayable(const struct l2d_sard_params *p, const struct l2d_model_ctx *model,
                               const struct l2d_attack_handle *attack);

#ifdef __cplusplus
}
#endif
#endif
