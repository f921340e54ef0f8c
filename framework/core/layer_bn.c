/* BatchNorm2d on the CPU, PyTorch's arithmetic: per channel over the B * HW
 * values of a batch, statistics in double (two passes: mean, then the
 * centred squares, which keeps the variance accurate when the mean is
 * large), y = (x - mean) / sqrt(var + eps) * gamma + beta rounded once to
 * float. Running averages: r = (1 - 0.1) r + 0.1 s, with the unbiased
 * variance, as torch.nn.BatchNorm2d (momentum 0.1, eps 1e-5). */
#include "config.h"

#include <math.h>

#include "core/layers.h"

static void normalise(size_t C, size_t HW, size_t B, const float *x, const float *gamma,
                      const float *beta, const double *mean, const double *invstd, float *y)
{
    for (size_t c = 0; c < C; c++) {
        const double mu = mean[c], a = invstd[c] * (double)gamma[c], b = beta[c];
        for (size_t n = 0; n < B; n++) {
            const float *xp = x + (n * C + c) * HW;
            float *yp = y + (n * C + c) * HW;
            for (size_t p = 0; p < HW; p++) yp[p] = (float)(((double)xp[p] - mu) * a + b);
        }
    }
}

int l2d_bn_forward_train(size_t C, size_t HW, size_t B, const float *x, const float *gamma,
                         const float *beta, float *y, float *run_mean, float *run_var,
                         double *mean, double *invstd)
{
    const size_t N = B * HW;
    if (N < 2) return -1;
    for (size_t c = 0; c < C; c++) {
        double s = 0.0;
        for (size_t n = 0; n < B; n++) {
            const float *xp = x + (n * C + c) * HW;
            for (size_t p = 0; p < HW; p++) s += xp[p];
        }
        const double mu = s / (double)N;
        double q = 0.0;
        for (size_t n = 0; n < B; n++) {
            const float *xp = x + (n * C + c) * HW;
            for (size_t p = 0; p < HW; p++) {
                double d = (double)xp[p] - mu;
                q += d * d;
            }
        }
        const double var = q / (double)N; /* biased: what normalises */
        mean[c] = mu;
        invstd[c] = 1.0 / sqrt(var + L2D_BN_EPS);
        run_mean[c] = (float)((1.0 - L2D_BN_MOMENTUM) * run_mean[c] + L2D_BN_MOMENTUM * mu);
        run_var[c] = (float)((1.0 - L2D_BN_MOMENTUM) * run_var[c] +
                             L2D_BN_MOMENTUM * q / (double)(N - 1));
    }
    normalise(C, HW, B, x, gamma, beta, mean, invstd, y);
    return 0;
}

void l2d_bn_forward_eval(size_t C, size_t HW, size_t B, const float *x, const float *gamma,
                         const float *beta, const float *run_mean, const float *run_var, float *y,
                         double *mean, double *invstd)
{
    for (size_t c = 0; c < C; c++) {
        mean[c] = run_mean[c];
        invstd[c] = 1.0 / sqrt((double)run_var[c] + L2D_BN_EPS);
    }
    normalise(C, HW, B, x, gamma, beta, mean, invstd, y);
}

void l2d_bn_backward(size_t C, size_t HW, size_t B, int train, const float *x, const float *gamma,
                     const double *mean, const double *invstd, const float *dy, float *dgamma,
                     float *dbeta, float *dx)
{
    const double N = (double)(B * HW);
    for (size_t c = 0; c < C; c++) {
        const double mu = mean[c], is = invstd[c];
        double sdy = 0.0, sdyx = 0.0; /* sum dy, sum dy * xhat */
        for (size_t n = 0; n < B; n++) {
            const float *xp = x + (n * C + c) * HW, *dp = dy + (n * C + c) * HW;
            for (size_t p = 0; p < HW; p++) {
                sdy += dp[p];
                sdyx += (double)dp[p] * (((double)xp[p] - mu) * is);
            }
        }
        if (dgamma) dgamma[c] = (float)((double)dgamma[c] + sdyx);
        if (dbeta) dbeta[c] = (float)((double)dbeta[c] + sdy);
        if (!dx) continue;
        const double g = (double)gamma[c] * is;
        /* training: the batch's mean and variance depend on x, so
         * dx = g (dy - mean(dy) - xhat mean(dy xhat)); evaluation: g dy */
        const double m1 = train ? sdy / N : 0.0, m2 = train ? sdyx / N : 0.0;
        for (size_t n = 0; n < B; n++) {
            const float *xp = x + (n * C + c) * HW, *dp = dy + (n * C + c) * HW;
            float *o = dx + (n * C + c) * HW;
            for (size_t p = 0; p < HW; p++) {
                double xh = ((double)xp[p] - mu) * is;
                o[p] = (float)((double)o[p] + g * ((double)dp[p] - m1 - xh * m2));
            }
        }
    }
}
