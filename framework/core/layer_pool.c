/* Max pooling (kernel k, stride s, no padding, floor) and global average
 * pooling on NCHW host arrays. */
#include "config.h"

#include <math.h>

#include "core/layers.h"

int l2d_maxpool_out(size_t h, size_t k, size_t s, size_t *ho)
{
    if (!k || !s || h < k) return -1;
    *ho = (h - k) / s + 1;
    return 0;
}

void l2d_maxpool_forward(size_t C, size_t h, size_t w, size_t k, size_t s, const float *x, size_t B,
                         float *y, uint32_t *arg)
{
    size_t ho = (h - k) / s + 1, wo = (w - k) / s + 1;
    for (size_t pl = 0; pl < B * C; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        uint32_t *ap = arg + pl * ho * wo;
        for (size_t oy = 0; oy < ho; oy++)
            for (size_t ox = 0; ox < wo; ox++) {
                size_t best = oy * s * w + ox * s;
                float bv = xp[best];
                for (size_t i = 0; i < k && !isnan(bv); i++)
                    for (size_t j = 0; j < k; j++) {
                        size_t q = (oy * s + i) * w + ox * s + j;
                        /* the first maximum in row-major order; a NaN wins */
                        if (xp[q] > bv || isnan(xp[q])) {
                            bv = xp[q];
                            best = q;
                            if (isnan(bv)) break;
                        }
                    }
                yp[oy * wo + ox] = bv;
                ap[oy * wo + ox] = (uint32_t)best;
            }
    }
}

void l2d_maxpool_backward(size_t C, size_t h, size_t w, size_t k, size_t s, size_t B,
                          const uint32_t *arg, const float *dy, float *dx)
{
    size_t ho = (h - k) / s + 1, wo = (w - k) / s + 1, P = ho * wo;
    for (size_t pl = 0; pl < B * C; pl++)
        for (size_t q = 0; q < P; q++) dx[pl * h * w + arg[pl * P + q]] += dy[pl * P + q];
}

void l2d_gap_forward(size_t C, size_t HW, const float *x, size_t B, float *y)
{
    for (size_t pl = 0; pl < B * C; pl++) {
        double acc = 0.0;
        for (size_t p = 0; p < HW; p++) acc += x[pl * HW + p];
        y[pl] = (float)(acc / (double)HW);
    }
}

void l2d_gap_backward(size_t C, size_t HW, size_t B, const float *dy, float *dx)
{
    for (size_t pl = 0; pl < B * C; pl++) {
        const float g = (float)((double)dy[pl] / (double)HW);
        for (size_t p = 0; p < HW; p++) dx[pl * HW + p] += g;
    }
}
