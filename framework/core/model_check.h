/* Checks on a model's parameters and gradients for the training loop,
 * which must stop on a diverging step rather than train on NaN. Internal
 * to framework/ (model.h stays the backends' contract). */
#ifndef L2D_CORE_MODEL_CHECK_H
#define L2D_CORE_MODEL_CHECK_H

#include "l2d/model.h"

enum l2d_model_part { L2D_MODEL_PARAMS = 0, L2D_MODEL_GRADS = 1 };

/* *finite = 1 when every value of that part is finite, else 0. */
int l2d_model_all_finite(struct l2d_model *m, enum l2d_model_part part, int *finite,
                         struct l2d_error *err);

#endif
