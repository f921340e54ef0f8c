/* One epoch of rejector training, as the training loop reports it and the
 * store writes it. The store helper defines the same struct in
 * host/record.h; the guard lets both headers meet in one unit until the
 * two are unified. */
#ifndef L2D_CORE_RECORD_H
#define L2D_CORE_RECORD_H

#ifndef L2D_EPOCH_REC_DEFINED
#define L2D_EPOCH_REC_DEFINED
struct l2d_epoch_rec {
    int epoch; /* 1-based */
    double train_loss, train_risk, val_loss, val_risk, seconds;
};
#endif

#endif
