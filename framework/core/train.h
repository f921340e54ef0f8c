/* Two-stage rejector training (MT Algorithm 1): the agents are fixed, only
 * the rejector r : X -> R^A is learned, by minimising a surrogate of the
 * deferral loss c_{argmax r} over mini-batches. */
#ifndef L2D_CORE_TRAIN_H
#define L2D_CORE_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "l2d/engine.h"
#include "l2d/model.h"
#include "l2d/plugin.h"
#include "core/record.h"

/* Set from a signal handler (the CLI's SIGINT/SIGTERM); the training loop
 * checks it between batches and stops with L2D_EINTERRUPTED. */
extern volatile sig_atomic_t l2d_interrupted;

struct l2d_train_cfg {
    int epochs;              /* >= 1 */
    size_t batch;            /* >= 1; the last batch of an epoch may be short */
    double lr;               /* base learning rate, > 0 */
    enum l2d_optim_kind optimizer;
    double weight_decay;     /* >= 0, handed to the optimiser */
    double warmup;           /* fraction of total steps in [0, 1] */
    int cosine;              /* 1: cosine decay after warm-up; 0: constant */
    int select_best;         /* 1: keep the epoch with the lowest validation
                                deferral risk (ties: earliest); 0: the last */
    uint64_t seed;           /* shuffling stream */
    /* With select_best: rank epochs by the validation deferral risk under the
     * untargeted attack (sur->attack, objective parameter adv_nu) instead of
     * the clean one: ADV's checkpoint rule for SARD. */
    int select_adv;
    double adv_nu;
};

/* A created surrogate. attack, lo and hi are handed to train_batch (SARD)
 * through its struct l2d_model_ctx; all may be NULL. train_batch must fill
 * loss[B] and accumulate, through model->backward, the parameter gradient
 * of the batch MEAN loss; the loop zeroes gradients before and steps after. */
struct l2d_surrogate_inst {
    const struct l2d_surrogate_ops *ops;
    void *state;
    const char *name;                       /* for messages; may be NULL */
    const struct l2d_attack_handle *attack; /* may be NULL */
    const float *lo, *hi;                   /* valid input range or NULL */
    /* Notices (a plugin on the slow path of a GPU run), each said once per
     * training run; may be NULL. */
    void (*log)(void *self, const char *msg);
    void *log_self;
};

/* Called after every epoch (1-based epoch). */
typedef void (*l2d_progress_fn)(void *self, int epoch, int epochs, double train_loss,
                                double val_risk);

/* What a training run did, beside the epoch records. */
struct l2d_train_result {
    int best_epoch;       /* index into epochs[] of the parameters kept */
    uint64_t passes;      /* rejector passes: rows through forward+backward
                             (plain training: epochs * n_train; SARD: more) */
    int64_t steps;        /* optimiser steps taken */
};

/* Train `rej` (created by the caller: in = train->dim, out = A) on
 * (train, c_train[n][A]) with surrogate `sur`; after each epoch evaluate
 * surrogate loss and deferral risk on (val, c_val) (val may be NULL or
 * empty: val fields are NaN and the last epoch is kept). Fills
 * epochs[0 .. cfg->epochs) and *res (may be NULL). The parameters of the
 * kept epoch are in `rej` on success. Training sets rej's optimiser afresh
 * (cfg->optimizer) and keeps the best epoch in rej's snapshot, replacing
 * any the caller took.
 *
 * Per batch: forward (float) -> scores in double -> sur->ops->loss (mean
 * over the batch) -> grad / B -> backward -> optimiser step at
 * l2d_lr_at(lr, step, total, warmup * total, cosine). A surrogate with
 * train_batch runs the whole step itself through a struct l2d_model_ctx.
 *
 * Train loss and risk are sample means over the epoch, taken with the
 * scores each batch had before its step. Errors: L2D_EINVAL (bad cfg or
 * shapes, non-finite costs), L2D_ENUMERIC ("epoch E, batch B: ..."),
 * L2D_EINTERRUPTED, L2D_ENOMEM, or the surrogate's own status. */
int l2d_train_rejector(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                       const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                       const double *c_train, const struct l2d_data *val, const double *c_val,
                       struct l2d_epoch_rec *epochs, struct l2d_train_result *res,
                       l2d_progress_fn progress, void *progress_self, struct l2d_error *err);

/* The checks of l2d_train_rejector's arguments, made before any work (the
 * CUDA loop makes them too): a one-line L2D_EINVAL naming what is wrong. A
 * surrogate with device ops only passes for a model on a device. */
int l2d_train_check_args(const struct l2d_train_cfg *cfg, const struct l2d_model *rej,
                         const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                         const double *c_train, const struct l2d_data *val, const double *c_val,
                         const struct l2d_epoch_rec *epochs, struct l2d_error *err);

/* Mean surrogate loss and deferral risk (mean c_{argmax r}, ties to the
 * lowest index) of `rej` on a whole split, evaluated in chunks. `loss` may
 * be NULL (then `sur` may be NULL too). */
int l2d_rejector_loss_risk(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                           const struct l2d_data *data, const double *c, double *loss,
                           double *risk, struct l2d_error *err);

#endif
