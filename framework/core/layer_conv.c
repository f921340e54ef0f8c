/* Conv2d on the CPU: one sample at a time, im2col into a [ci*k*k][ho*wo]
 * matrix and one OpenBLAS sgemm with W[co][ci*k*k]. Per sample, because a
 * batch-wide col matrix would need ci*k*k*B*ho*wo floats and a transpose
 * back into NCHW; the per-sample GEMMs are large enough (ho*wo columns)
 * for OpenBLAS to pay. Parameter gradients are summed over samples by the
 * sgemm's beta = 1 (float, in sample order: the same bits run after run
 * for a given OpenBLAS thread count), the bias over the batch in double. */
#include "config.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "core/layers.h"

int l2d_conv_shape_init(struct l2d_conv_shape *s, size_t ci, size_t h, size_t w, size_t co,
                        size_t k, size_t stride, size_t pad)
{
    memset(s, 0, sizeof *s);
    if (!ci || !h || !w || !co || !k || !stride) return -1;
    if (h > INT_MAX / 2 || w > INT_MAX / 2 || pad > INT_MAX / 4 || k > 64 || ci > INT_MAX / 4096)
        return -1;
    if (h + 2 * pad < k || w + 2 * pad < k) return -1;
    s->ci = ci, s->h = h, s->w = w, s->co = co, s->k = k, s->stride = stride, s->pad = pad;
    s->ho = (h + 2 * pad - k) / stride + 1;
    s->wo = (w + 2 * pad - k) / stride + 1;
    /* the GEMMs' sizes are ints */
    if (s->ho * s->wo > INT_MAX || ci * k * k > INT_MAX || co > INT_MAX ||
        (s->ho * s->wo) > (size_t)INT_MAX / (ci * k * k))
        return -1;
    return 0;
}

size_t l2d_conv_col_size(const struct l2d_conv_shape *s)
{
    return s->ci * s->k * s->k * s->ho * s->wo;
}

/* col[(c k + i) k + j][oy wo + ox] = x[c][oy s - pad + i][ox s - pad + j], 0 outside */
static void im2col(const struct l2d_conv_shape *s, const float *x, float *col)
{
    const size_t k = s->k, P = s->ho * s->wo;
    for (size_t c = 0; c < s->ci; c++)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                float *row = col + ((c * k + i) * k + j) * P;
                for (size_t oy = 0; oy < s->ho; oy++) {
                    /* signed: padding reaches above and left of the image */
                    long iy = (long)(oy * s->stride + i) - (long)s->pad;
                    float *r = row + oy * s->wo;
                    if (iy < 0 || iy >= (long)s->h) {
                        memset(r, 0, s->wo * sizeof *r);
                        continue;
                    }
                    const float *xr = x + (c * s->h + (size_t)iy) * s->w;
                    for (size_t ox = 0; ox < s->wo; ox++) {
                        long ix = (long)(ox * s->stride + j) - (long)s->pad;
                        r[ox] = ix < 0 || ix >= (long)s->w ? 0.0f : xr[ix];
                    }
                }
            }
}

/* the adjoint of im2col: dx[c][iy][ix] += every col entry that read it */
static void col2im_add(const struct l2d_conv_shape *s, const float *col, float *dx)
{
    const size_t k = s->k, P = s->ho * s->wo;
    for (size_t c = 0; c < s->ci; c++)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                const float *row = col + ((c * k + i) * k + j) * P;
                for (size_t oy = 0; oy < s->ho; oy++) {
                    long iy = (long)(oy * s->stride + i) - (long)s->pad;
                    if (iy < 0 || iy >= (long)s->h) continue;
                    float *xr = dx + (c * s->h + (size_t)iy) * s->w;
                    const float *r = row + oy * s->wo;
                    for (size_t ox = 0; ox < s->wo; ox++) {
                        long ix = (long)(ox * s->stride + j) - (long)s->pad;
                        if (ix >= 0 && ix < (long)s->w) xr[ix] += r[ox];
                    }
                }
            }
}

void l2d_conv_forward(const struct l2d_conv_shape *s, const float *x, size_t B, const float *W,
                      const float *b, float *y, float *col)
{
    const size_t K = s->ci * s->k * s->k, P = s->ho * s->wo, in = s->ci * s->h * s->w;
    for (size_t n = 0; n < B; n++) {
        float *yn = y + n * s->co * P;
        im2col(s, x + n * in, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)s->co, (int)P, (int)K, 1.0f, W,
                    (int)K, col, (int)P, 0.0f, yn, (int)P);
        if (b)
            for (size_t o = 0; o < s->co; o++)
                for (size_t p = 0; p < P; p++) yn[o * P + p] += b[o];
    }
}

void l2d_conv_backward(const struct l2d_conv_shape *s, const float *x, size_t B, const float *W,
                       const float *dy, float *dW, float *db, float *dx, float *col)
{
    const size_t K = s->ci * s->k * s->k, P = s->ho * s->wo, in = s->ci * s->h * s->w;
    if (db)
        for (size_t o = 0; o < s->co; o++) {
            double acc = 0.0;
            for (size_t n = 0; n < B; n++) {
                const float *d = dy + (n * s->co + o) * P;
                for (size_t p = 0; p < P; p++) acc += d[p];
            }
            db[o] = (float)((double)db[o] + acc);
        }
    for (size_t n = 0; n < B && (dW || dx); n++) {
        const float *dyn = dy + n * s->co * P;
        if (dW) {
            /* dW[co][K] += dy_n[co][P] col[K][P]^T */
            im2col(s, x + n * in, col);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)s->co, (int)K, (int)P, 1.0f,
                        dyn, (int)P, col, (int)P, 1.0f, dW, (int)K);
        }
        if (dx) {
            /* dcol[K][P] = W[co][K]^T dy_n[co][P], into the col scratch */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, (int)s->co, 1.0f,
                        W, (int)K, dyn, (int)P, 0.0f, col, (int)P);
            col2im_add(s, col, dx + n * in);
        }
    }
}
