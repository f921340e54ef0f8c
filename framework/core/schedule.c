/* Learning-rate schedule: linear warm-up, then cosine decay to 0. */
#include "config.h"

#include <math.h>

#include "l2d/engine.h"

double l2d_lr_at(double base_lr, int64_t step, int64_t total_steps, int64_t warmup_steps,
                 int cosine)
{
    if (step < 0) step = 0;
    if (warmup_steps > 0 && step < warmup_steps)
        return base_lr * (double)(step + 1) / (double)warmup_steps;
    if (!cosine) return base_lr;
    int64_t span = total_steps - warmup_steps;
    if (span <= 0) return base_lr;
    double frac = (double)(step - warmup_steps) / (double)span;
    if (frac > 1.0) frac = 1.0;
    return 0.5 * base_lr * (1.0 + cos(M_PI * frac));
}
