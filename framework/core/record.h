/* One epoch of rejector training, as the training loop reports it and the
 * store (host/record.h) writes it. */
#ifndef L2D_CORE_RECORD_H
#define L2D_CORE_RECORD_H

struct l2d_epoch_rec {
    int epoch; /* 1-based */
    double train_loss, train_risk, val_loss, val_risk, seconds;
    /* validation deferral risk under the untargeted attack, measured when
     * it selects the epoch kept (train.select = val_adv_risk); else NaN */
    double val_adv_risk;
};

#endif
