/* Launchers of libl2d's own CUDA kernels, callable from C. Each queues its
 * kernel on `stream` and returns what cudaGetLastError() says after the
 * launch (cudaSuccess or the launch error); none synchronises, so all of
 * them may be captured into a CUDA graph. Arrays are device memory.
 *
 * Every reduction runs in a fixed order (one thread owns an output and
 * walks its terms in index order; no atomics), so the same inputs give the
 * same bits on the same GPU, run after run. Each kernel has a CPU twin
 * (named beside it) that t/test_cuda_*.c compares it with. */
#ifndef L2D_CUDA_KERNELS_H
#define L2D_CUDA_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear layers (twin: framework/core/mlp.c) -------------------------- */

/* y[B][N] = x[B][K] W[N][K]^T + b[N], then ReLU when relu != 0. Float
 * products summed in float over k = 0..K-1 in order, bias added last. */
cudaError_t l2d_cuda_linear_forward(const float *x, const float *W, const float *b, float *y,
                                    size_t B, size_t K, size_t N, int relu, cudaStream_t stream);

/* Parameter gradient of a linear layer, added to what is there:
 * gW[N][K] += dy[B][N]^T x[B][K] and gb[N] += sum_r dy[r][N], each sum in
 * double in a fixed order that depends on B alone (small layers: over
 * fixed row chunks, partials added in chunk order), rounded once into the
 * float. scratch (device, scratch_n doubles; may be NULL) holds the chunk
 * partials when it is large enough (l2d_cuda_grad_scratch_doubles), else
 * they come from the stream-ordered pool. */
cudaError_t l2d_cuda_linear_backward_params(const float *dy, const float *x, float *gW,
                                            float *gb, size_t B, size_t K, size_t N,
                                            double *scratch, size_t scratch_n,
                                            cudaStream_t stream);
size_t l2d_cuda_grad_scratch_doubles(size_t B, size_t K, size_t N);

/* dx[B][K] = dy[B][N] W[N][K]; with mask != NULL (the layer's input after
 * ReLU), dx = 0 where !(mask > 0): the ReLU of the layer below. */
cudaError_t l2d_cuda_linear_backward_input(const float *dy, const float *W, const float *mask,
                                           float *dx, size_t B, size_t K, size_t N,
                                           cudaStream_t stream);

/* ---- optimisers (twin: framework/core/optim.c) ---------------------------- */

/* The scalars of one optimiser step, computed on the host exactly as
 * optim.c does (pow and sqrt of the step count), so that the device update
 * is bit-identical to the CPU one. */
struct l2d_cuda_step_scalars {
    double lr;        /* learning rate of this step */
    double step_size; /* Adam/AdamW: lr / (1 - beta1^t) */
    double bc2_sqrt;  /* Adam/AdamW: sqrt(1 - beta2^t) */
};
/* kind: enum l2d_optim_kind. The scalars come from `s`, or from device
 * memory `ds` when ds != NULL (a training loop captured into a graph reads
 * each step's scalars from an array it refills every epoch). m, v: NULL for
 * SGD. */
cudaError_t l2d_cuda_optim_step(int kind, size_t n, float *params, const float *grads,
                                float *m, float *v, double beta1, double beta2, double eps,
                                double weight_decay, struct l2d_cuda_step_scalars s,
                                const struct l2d_cuda_step_scalars *ds, cudaStream_t stream);

/* ---- the training loop (twin: framework/core/train.c) -------------------- */

/* xb[i][dim] = X[perm[i0 + i]][dim], cb[i][A] = C[perm[i0 + i]][A] for
 * i < B: one mini-batch gathered from data resident on the device. */
cudaError_t l2d_cuda_gather(const float *X, const double *C, const uint32_t *perm, size_t i0,
                            size_t B, size_t dim, size_t A, float *xb, double *cb,
                            cudaStream_t stream);

/* The status word a training run keeps on the device: st[0] the first
 * failure's code (0: none), st[1] its batch (0-based), st[2] its row. */
enum l2d_cuda_fail {
    L2D_CUDA_FAIL_SCORE = 1,      /* non-finite rejector score */
    L2D_CUDA_FAIL_LOSS = 2,       /* non-finite surrogate loss */
    L2D_CUDA_FAIL_GRAD = 3,       /* non-finite surrogate gradient */
    L2D_CUDA_FAIL_PARAM_GRAD = 4, /* non-finite parameter gradient */
    L2D_CUDA_FAIL_PARAMS = 5      /* non-finite parameters */
};
/* When st[0] is still 0 and v[n] (float, or double when dbl) holds a
 * non-finite value: st = {code, batch, first bad index / width}. One block,
 * so the first bad index is found without atomics; for arrays of a batch. */
cudaError_t l2d_cuda_flag_rows(const void *v, int dbl, size_t n, size_t width, int code,
                               int batch, int *st, cudaStream_t stream);
/* The same for a long float array (parameters, gradients): many blocks; the
 * row is left 0 (the message names no row). */
cudaError_t l2d_cuda_flag_any(const float *v, size_t n, int code, int batch, int *st,
                              cudaStream_t stream);

/* acc[0] += sum_i loss[i] (when loss != NULL), acc[1] += sum_i
 * c[i][argmax_k s[i][k]] (ties to the lowest k), over i < B in a fixed
 * order, in double. */
cudaError_t l2d_cuda_batch_sums(const double *loss, const float *s, const double *c, size_t B,
                                size_t A, double *acc, cudaStream_t stream);

/* A batch's checks and sums in one launch: when st[0] is still 0, the
 * first non-finite value of s[B][A] (L2D_CUDA_FAIL_SCORE), else of loss[B]
 * (_LOSS), else of g[B][A] (_GRAD; g may be NULL) sets st = {code, batch,
 * row}, as l2d_cuda_flag_rows would in that order; then the sums of
 * l2d_cuda_batch_sums. */
cudaError_t l2d_cuda_batch_check_sums(const float *s, const double *loss, const float *g,
                                      const double *c, size_t B, size_t A, int batch, int *st,
                                      double *acc, cudaStream_t stream);

/* Float scores to double (for a host surrogate) and back for gradients:
 * gf[i] = (float)(gd[i] * scale). */
cudaError_t l2d_cuda_scale_to_float(const double *gd, double scale, size_t n, float *gf,
                                    cudaStream_t stream);

/* ---- attack objectives (twin: framework/core/objectives.c) --------------- */

/* Per row i < B, from scores s[i][A] and clean costs c[i][A]: value[i] and
 * ds[i][A] (float, when ds != NULL) as l2d_rej_objective_score computes
 * them (untargeted when target < 0), in double. A non-finite score, cost
 * or value sets st = {L2D_CUDA_FAIL_SCORE or _LOSS, batch, row} when st[0]
 * is 0 (st may be NULL). */
cudaError_t l2d_cuda_rej_objective(const float *s, const double *c, size_t B, size_t A,
                                   double nu, int target, double *value, float *ds, int *st,
                                   int batch, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
