/* Evaluation attacks on a GPU model from host arrays: the chunk of a split
 * that framework/core/objectives.c's l2d_rej_attack is handed is uploaded,
 * attacked on the device (the attack's perturb_device against the device
 * objective, or its host perturb), and x_adv comes back. One upload and one
 * download per chunk; the attack's steps run on the device. */
#include "config.h"

#include <stdlib.h>

#include "cuda/cuda_check.h"
#include "cuda/eval_cuda.h"
#include "cuda/kernels.h"
#include "cuda/objectives_cuda.h"

int l2d_cuda_rej_attack_host(const struct l2d_attack_handle *atk, struct l2d_model *m,
                             const float *x, const double *c, size_t B, double nu, int target,
                             const float *lo, const float *hi, uint64_t seed, float *x_adv,
                             int *slow, struct l2d_error *err)
{
    if (B == 0) return 0;
    const size_t D = m->in, A = m->out;
    const int d = m->device;
    cudaStream_t s = (cudaStream_t)m->stream;
    float *dx = NULL, *dxa = NULL, *dlo = NULL, *dhi = NULL;
    double *dc = NULL;
    int *dst = NULL, st[3] = {0, 0, 0};
    int rc = 0;
    L2D_CK(d, "attack", cudaSetDevice(d));
    L2D_CK(d, "attack", cudaMalloc((void **)&dx, B * D * sizeof *dx));
    L2D_CK(d, "attack", cudaMalloc((void **)&dxa, B * D * sizeof *dxa));
    L2D_CK(d, "attack", cudaMalloc((void **)&dc, B * A * sizeof *dc));
    L2D_CK(d, "attack", cudaMalloc((void **)&dst, sizeof st));
    L2D_CK(d, "attack", cudaMemsetAsync(dst, 0, sizeof st, s));
    L2D_CK(d, "attack", cudaMemcpyAsync(dx, x, B * D * sizeof *dx, cudaMemcpyHostToDevice, s));
    L2D_CK(d, "attack", cudaMemcpyAsync(dc, c, B * A * sizeof *dc, cudaMemcpyHostToDevice, s));
    if (lo) {
        L2D_CK(d, "attack", cudaMalloc((void **)&dlo, D * sizeof *dlo));
        L2D_CK(d, "attack", cudaMemcpyAsync(dlo, lo, D * sizeof *dlo, cudaMemcpyHostToDevice, s));
    }
    if (hi) {
        L2D_CK(d, "attack", cudaMalloc((void **)&dhi, D * sizeof *dhi));
        L2D_CK(d, "attack", cudaMemcpyAsync(dhi, hi, D * sizeof *dhi, cudaMemcpyHostToDevice, s));
    }
    rc = l2d_cuda_rej_attack(atk, m, dx, dc, B, nu, target, dlo, dhi, lo, hi, seed, dxa, dst, slow,
                             err);
    if (rc) goto out;
    L2D_CK(d, "attack", cudaMemcpyAsync(x_adv, dxa, B * D * sizeof *dxa, cudaMemcpyDeviceToHost, s));
    L2D_CK(d, "attack", cudaMemcpyAsync(st, dst, sizeof st, cudaMemcpyDeviceToHost, s));
    L2D_CK(d, "attack", cudaStreamSynchronize(s));
    if (st[0] == L2D_CUDA_FAIL_SCORE)
        rc = l2d_seterr(err, L2D_ENUMERIC, "attack objective: score or cost not finite (row %d)",
                        st[2]);
    else if (st[0])
        rc = l2d_seterr(err, L2D_ENUMERIC,
                        "attack objective: value is not finite (nu = %g, scores too far apart) "
                        "(row %d)",
                        nu, st[2]);
out:
    if (s) cudaStreamSynchronize(s); /* nothing queued may outlive the buffers */
    cudaFree(dx);
    cudaFree(dxa);
    cudaFree(dc);
    cudaFree(dlo);
    cudaFree(dhi);
    cudaFree(dst);
    return rc;
}
