/* Two-stage rejector training on a GPU (MT Algorithm 1), device-resident:
 * the twin of l2d_train_rejector (framework/core/train.h), with the same
 * arguments and contract, for a rejector that is a CUDA model.
 *
 * Same algorithm as train.c: the same shuffling stream and batch order (the
 * permutation is drawn on the host with the same RNG and uploaded once per
 * epoch), the learning rate of l2d_lr_at at every step (uploaded once per
 * epoch as an array), the same loss and risk sums (in the same order), the
 * same validation and epoch selection. Features and costs are uploaded once
 * per call; batches are gathered on the device; nothing comes back inside
 * an epoch but what a host-only plugin needs (below); the epoch's sums and
 * a status word come back once per epoch.
 *
 * Per batch, by what the surrogate offers (best first):
 *   loss_device         forward, loss_device (scale 1/B), backward, step:
 *                       from the second epoch on, the whole epoch is one
 *                       CUDA graph, replayed each epoch;
 *   train_batch_device  given a device model context (MLP view, add_passes);
 *                       launched step by step, never captured: a plugin may
 *                       keep host state (attack seeds) that a replay would
 *                       freeze;
 *   loss, train_batch   host ops: the slow path, copies to and from the
 *                       host every batch; said once through `log`.
 * Non-finite values are caught on the device (a status word with the first
 * failing batch and row) and fail the run as the CPU loop does ("epoch E,
 * batch B: ..."), at the end of that epoch. */
#ifndef L2D_CUDA_TRAIN_CUDA_H
#define L2D_CUDA_TRAIN_CUDA_H

#include "core/model_impl.h"
#include "core/train.h"

/* l2d_train_rejector for a CUDA model rej. */
int l2d_cuda_train_rejector(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                            const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                            const double *c_train, const struct l2d_data *val,
                            const double *c_val, struct l2d_epoch_rec *epochs,
                            struct l2d_train_result *res, l2d_progress_fn progress,
                            void *progress_self, struct l2d_error *err);

/* The same, with a sink for notices (the slow path, a graph that could not
 * be captured), each said once per call; log may be NULL. */
int l2d_cuda_train_rejector_log(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                                const struct l2d_surrogate_inst *sur,
                                const struct l2d_data *train, const double *c_train,
                                const struct l2d_data *val, const double *c_val,
                                struct l2d_epoch_rec *epochs, struct l2d_train_result *res,
                                l2d_progress_fn progress, void *progress_self,
                                void (*log)(void *self, const char *msg), void *log_self,
                                struct l2d_error *err);

/* l2d_rejector_loss_risk for a CUDA model: data->x and c are host arrays,
 * uploaded here; the loss through loss_device when the surrogate has it,
 * else its host loss (slow path). */
int l2d_cuda_rejector_loss_risk(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                                const struct l2d_data *data, const double *c, double *loss,
                                double *risk, struct l2d_error *err);
#endif
