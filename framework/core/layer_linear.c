/* Linear on host arrays, as one layer of mlp.c's GEMM path but with the
 * layers.h convention (backward adds into dx). */
#include "config.h"

#include <cblas.h>

#include "core/layers.h"

void l2d_linear_forward(size_t in, size_t out, const float *x, size_t B, const float *W,
                        const float *b, float *y)
{
    for (size_t r = 0; r < B; r++)
        for (size_t j = 0; j < out; j++) y[r * out + j] = b ? b[j] : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)out, (int)in, 1.0f, x,
                (int)in, W, (int)in, 1.0f, y, (int)out);
}

void l2d_linear_backward(size_t in, size_t out, const float *x, size_t B, const float *W,
                         const float *dy, float *dW, float *db, float *dx)
{
    if (dW) /* dW[out][in] += dy^T[out][B] x[B][in] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)B, 1.0f, dy,
                    (int)out, x, (int)in, 1.0f, dW, (int)in);
    if (db)
        for (size_t j = 0; j < out; j++) {
            double s = 0.0;
            for (size_t r = 0; r < B; r++) s += dy[r * out + j];
            db[j] = (float)((double)db[j] + s);
        }
    if (dx) /* dx[B][in] += dy[B][out] W[out][in] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)out, 1.0f,
                    dy, (int)out, W, (int)in, 1.0f, dx, (int)in);
}
