/* Learning-rate schedule: warm-up and cosine values computed by hand. */
#include <math.h>

#include "l2d/engine.h"
#include "tap.h"

int main(void)
{
    tap_plan(11);
    /* base 0.1, 110 steps, 10 of warm-up: cosine runs over 100 steps */
    tap_close(l2d_lr_at(0.1, 0, 110, 10, 1), 0.01, 1e-15, 0, "warm-up start is base/warmup");
    tap_close(l2d_lr_at(0.1, 4, 110, 10, 1), 0.05, 1e-15, 0, "warm-up middle");
    tap_close(l2d_lr_at(0.1, 9, 110, 10, 1), 0.1, 1e-15, 0, "warm-up end reaches base");
    tap_close(l2d_lr_at(0.1, 10, 110, 10, 1), 0.1, 1e-15, 0, "cosine start is base");
    tap_close(l2d_lr_at(0.1, 60, 110, 10, 1), 0.05, 1e-15, 0, "cosine midpoint is base/2");
    tap_close(l2d_lr_at(0.1, 35, 110, 10, 1), 0.05 * (1 + sqrt(0.5)), 1e-15, 0, "cosine quarter");
    tap_close(l2d_lr_at(0.1, 109, 110, 10, 1), 0.05 * (1 + cos(M_PI * 0.99)), 1e-15, 0,
              "last step: 0.05*(1+cos(0.99 pi))");
    tap_close(l2d_lr_at(0.1, 500, 110, 10, 1), 0.0, 1e-15, 0, "past the end stays at 0");
    tap_close(l2d_lr_at(0.1, 0, 100, 0, 1), 0.1, 1e-15, 0, "no warm-up starts at base");
    tap_close(l2d_lr_at(0.1, 3, 100, 10, 0), 0.04, 1e-15, 0, "constant: warm-up still applies");
    tap_close(l2d_lr_at(0.1, 80, 100, 10, 0), 0.1, 1e-15, 0, "constant after warm-up");
    return tap_done();
}
