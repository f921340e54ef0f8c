/* Element-wise layers on host arrays: ReLU, the residual add, flatten. */
#include "config.h"

#include "core/layers.h"

void l2d_relu_forward(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i]; /* NaN passes on */
}

void l2d_relu_backward(const float *y, size_t n, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] > 0.0f) dx[i] += dy[i];
}

void l2d_add_forward(const float *a, const float *b, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

void l2d_add_backward(size_t n, const float *dy, float *da, float *db)
{
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dy[i];
        if (db) db[i] += dy[i];
    }
}

void l2d_flatten_forward(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i];
}

void l2d_flatten_backward(size_t n, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++) dx[i] += dy[i];
}
