/* Two-stage rejector training on a GPU: see train_cuda.h. The structure
 * follows train.c step for step so the two can be read side by side. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels.h"
#include "cuda/model_cuda.h"
#include "cuda/objectives_cuda.h"
#include "cuda/train_cuda.h"

/* Rows per forward call when scoring a whole split (as train.c). */
#define EVAL_CHUNK 4096

static const char *sur_name(const struct l2d_surrogate_inst *sur)
{
    return sur && sur->name ? sur->name : "surrogate";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int all_finite_d(const double *v, size_t n, size_t *bad)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) {
            *bad = k;
            return 0;
        }
    return 1;
}

/* How the surrogate runs a batch, best first (see train_cuda.h). */
enum path { PATH_DEV_LOSS, PATH_DEV_BATCH, PATH_HOST_BATCH, PATH_HOST_LOSS };

struct run {
    const struct l2d_train_cfg *cfg;
    struct l2d_model *m;
    const struct l2d_surrogate_inst *sur;
    cudaStream_t s;
    int dev;
    size_t n, nv, dim, A, Bmax, nb;
    enum path path;
    int dev_val_loss;  /* validation loss through loss_device */
    int host_val_loss; /* through the host loss (slow) */
    uint64_t passes;
    size_t last_B;     /* rows of the last forward through a context */
    void (*log)(void *self, const char *msg);
    void *log_self;
    int said_slow, said_graph;
    /* device */
    float *X, *Xv, *lo, *hi, *xb, *sf, *gf, *vs, *xadv;
    double *C, *Cv, *cb, *lossb, *vloss, *acc;
    uint32_t *perm;
    struct l2d_cuda_step_scalars *sched;
    int *st, *stv;     /* status words: training (+ parameters), validation */
    /* pinned host: what goes up and comes back once per epoch */
    uint32_t *h_perm;
    struct l2d_cuda_step_scalars *h_sched;
    double *h_acc;     /* [5]: train loss, train risk, val loss, val risk, adv risk */
    int *h_st;         /* [6]: st, stv */
    /* host */
    const double *hcv; /* the caller's validation costs (host) */
    size_t *idx;
    float *hx, *hs;    /* slow path: [Bmax][dim], [EVAL_CHUNK][A] */
    double *hsd, *hcb, *hgd, *hloss;
    float *hgf;
    /* host model context (slow train_batch): device scratch, grown on demand */
    float *cx, *cy, *cdx;
    size_t ccap;
};

static void note(struct run *r, int *said, const char *msg)
{
    if (*said) return;
    *said = 1;
    if (r->log) r->log(r->log_self, msg);
}

/* ---- the model as plugins see it ----------------------------------------- */

static int dctx_forward(void *self, const float *x, size_t B, float *scores, struct l2d_error *err)
{
    struct run *r = self;
    int rc = r->m->be->forward(r->m, x, B, scores, err);
    r->last_B = rc ? 0 : B;
    return rc;
}

static int dctx_backward(void *self, const float *x, size_t B, const float *dscores, float *dx,
                         int accumulate, struct l2d_error *err)
{
    struct run *r = self;
    (void)x; /* the model kept what it needs from the forward on x */
    if (B != r->last_B)
        return l2d_seterr(err, L2D_EINVAL,
                          "model backward on %zu rows follows a forward on %zu rows", B, r->last_B);
    r->passes += B;
    return r->m->be->backward(r->m, dscores, B, dx, accumulate, err);
}

static void dctx_add_passes(void *self, size_t rows) { ((struct run *)self)->passes += rows; }

/* Host arrays in and out, the model on the device: for a surrogate whose
 * train_batch runs on the host (the slow path). */
static int hctx_grow(struct run *r, size_t B, struct l2d_error *err)
{
    int rc = 0, dev = r->dev;
    if (B <= r->ccap) return 0;
    cudaFree(r->cx);
    cudaFree(r->cy);
    cudaFree(r->cdx);
    r->cx = r->cy = r->cdx = NULL;
    r->ccap = 0;
    L2D_CK(dev, "model context", cudaMalloc((void **)&r->cx, B * r->dim * sizeof(float)));
    L2D_CK(dev, "model context", cudaMalloc((void **)&r->cdx, B * r->dim * sizeof(float)));
    L2D_CK(dev, "model context", cudaMalloc((void **)&r->cy, B * r->A * sizeof(float)));
    r->ccap = B;
out:
    return rc;
}

static int hctx_forward(void *self, const float *x, size_t B, float *scores, struct l2d_error *err)
{
    struct run *r = self;
    int rc = hctx_grow(r, B, err), dev = r->dev;
    if (rc) return rc;
    r->last_B = 0;
    L2D_CK(dev, "model context", cudaMemcpyAsync(r->cx, x, B * r->dim * sizeof *x,
                                                 cudaMemcpyHostToDevice, r->s));
    if ((rc = r->m->be->forward(r->m, r->cx, B, r->cy, err))) goto out;
    L2D_CK(dev, "model context", cudaMemcpyAsync(scores, r->cy, B * r->A * sizeof *scores,
                                                 cudaMemcpyDeviceToHost, r->s));
    L2D_CK(dev, "model context", cudaStreamSynchronize(r->s));
    r->last_B = B;
out:
    return rc;
}

static int hctx_backward(void *self, const float *x, size_t B, const float *dscores, float *dx,
                         int accumulate, struct l2d_error *err)
{
    struct run *r = self;
    int rc = 0, dev = r->dev;
    (void)x;
    if (B != r->last_B)
        return l2d_seterr(err, L2D_EINVAL,
                          "model backward on %zu rows follows a forward on %zu rows", B, r->last_B);
    r->passes += B;
    L2D_CK(dev, "model context", cudaMemcpyAsync(r->cy, dscores, B * r->A * sizeof *dscores,
                                                 cudaMemcpyHostToDevice, r->s));
    if ((rc = r->m->be->backward(r->m, r->cy, B, dx ? r->cdx : NULL, accumulate, err))) goto out;
    if (dx)
        L2D_CK(dev, "model context", cudaMemcpyAsync(dx, r->cdx, B * r->dim * sizeof *dx,
                                                     cudaMemcpyDeviceToHost, r->s));
    L2D_CK(dev, "model context", cudaStreamSynchronize(r->s));
out:
    return rc;
}

/* ---- set-up --------------------------------------------------------------- */

/* train.c's checks, then what the device loop needs besides. */
static int check_args(const struct l2d_train_cfg *cfg, const struct l2d_model *rej,
                      const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                      const double *c_train, const struct l2d_data *val, const double *c_val,
                      const struct l2d_epoch_rec *epochs, struct l2d_error *err)
{
    int rc = l2d_train_check_args(cfg, rej, sur, train, c_train, val, c_val, epochs, err);
    if (rc) return rc;
    if (rej->be != &l2d_model_backend_cuda || rej->device < 0)
        return l2d_seterr(err, L2D_EINVAL, "training on the GPU: the rejector is not a CUDA model");
    if (train->n > UINT32_MAX)
        return l2d_seterr(err, L2D_EINVAL, "training on the GPU: %zu rows (at most 2^32 - 1)",
                          train->n);
    return 0;
}

static void free_run(struct run *r)
{
    if (r->s) cudaStreamSynchronize(r->s);
    void *dev[] = {r->X,  r->Xv,    r->lo,    r->hi,   r->xb,   r->sf,  r->gf,    r->vs,
                   r->xadv, r->C,   r->Cv,    r->cb,   r->lossb, r->vloss, r->acc, r->perm,
                   r->sched, r->st, r->stv,   r->cx,   r->cy,   r->cdx};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; i++) cudaFree(dev[i]);
    cudaFreeHost(r->h_perm);
    cudaFreeHost(r->h_sched);
    cudaFreeHost(r->h_acc);
    cudaFreeHost(r->h_st);
    free(r->idx);
    free(r->hx);
    free(r->hs);
    free(r->hsd);
    free(r->hcb);
    free(r->hgd);
    free(r->hloss);
    free(r->hgf);
}

/* at least one byte: an empty validation split still gets a valid pointer */
static size_t at_least_1(size_t bytes) { return bytes > 0 ? bytes : 1; }
#define DMALLOC(p, bytes) \
    L2D_CK(dev, "training buffers", cudaMalloc((void **)&(p), at_least_1(bytes)))
#define UPLOAD(d, h, bytes)                                                                    \
    L2D_CK(dev, "training upload", cudaMemcpyAsync((d), (h), (bytes), cudaMemcpyHostToDevice, r->s))

static int alloc_run(struct run *r, const struct l2d_data *train, const double *c_train,
                     const struct l2d_data *val, const double *c_val, struct l2d_error *err)
{
    int rc = 0, dev = r->dev;
    const size_t n = r->n, nv = r->nv, dim = r->dim, A = r->A, B = r->Bmax;
    const size_t ch = nv < EVAL_CHUNK ? nv : EVAL_CHUNK;
    DMALLOC(r->X, n * dim * sizeof(float));
    DMALLOC(r->C, n * A * sizeof(double));
    DMALLOC(r->Xv, nv * dim * sizeof(float));
    DMALLOC(r->Cv, nv * A * sizeof(double));
    DMALLOC(r->xb, B * dim * sizeof(float));
    DMALLOC(r->cb, B * A * sizeof(double));
    DMALLOC(r->sf, B * A * sizeof(float));
    DMALLOC(r->gf, B * A * sizeof(float));
    DMALLOC(r->lossb, B * sizeof(double));
    DMALLOC(r->vs, ch * A * sizeof(float));
    DMALLOC(r->vloss, ch * sizeof(double));
    DMALLOC(r->xadv, ch * dim * sizeof(float));
    DMALLOC(r->acc, 5 * sizeof(double));
    DMALLOC(r->perm, n * sizeof(uint32_t));
    DMALLOC(r->sched, r->nb * sizeof(struct l2d_cuda_step_scalars));
    DMALLOC(r->st, 3 * sizeof(int));
    DMALLOC(r->stv, 3 * sizeof(int));
    /* two of each: the next epoch's are drawn while the device runs this one */
    L2D_CK(dev, "pinned buffers", cudaMallocHost((void **)&r->h_perm, 2 * n * sizeof(uint32_t)));
    L2D_CK(dev, "pinned buffers",
           cudaMallocHost((void **)&r->h_sched, 2 * r->nb * sizeof(struct l2d_cuda_step_scalars)));
    L2D_CK(dev, "pinned buffers", cudaMallocHost((void **)&r->h_acc, 5 * sizeof(double)));
    L2D_CK(dev, "pinned buffers", cudaMallocHost((void **)&r->h_st, 6 * sizeof(int)));
    r->idx = malloc(n * sizeof *r->idx);
    r->hx = malloc(B * dim * sizeof *r->hx);
    r->hs = malloc((B > ch ? B : ch) * A * sizeof *r->hs);
    r->hsd = malloc((B > ch ? B : ch) * A * sizeof *r->hsd);
    r->hcb = malloc(B * A * sizeof *r->hcb);
    r->hgd = malloc(B * A * sizeof *r->hgd);
    r->hloss = malloc((B > ch ? B : ch) * sizeof *r->hloss);
    r->hgf = malloc(B * A * sizeof *r->hgf);
    if (!r->idx || !r->hx || !r->hs || !r->hsd || !r->hcb || !r->hgd || !r->hloss || !r->hgf) {
        rc = l2d_seterr(err, L2D_ENOMEM, "training: out of memory");
        goto out;
    }
    /* the data, once per call */
    UPLOAD(r->X, train->x, n * dim * sizeof(float));
    UPLOAD(r->C, c_train, n * A * sizeof(double));
    if (nv) {
        UPLOAD(r->Xv, val->x, nv * dim * sizeof(float));
        UPLOAD(r->Cv, c_val, nv * A * sizeof(double));
    }
    if (r->sur->lo) {
        DMALLOC(r->lo, dim * sizeof(float));
        UPLOAD(r->lo, r->sur->lo, dim * sizeof(float));
    }
    if (r->sur->hi) {
        DMALLOC(r->hi, dim * sizeof(float));
        UPLOAD(r->hi, r->sur->hi, dim * sizeof(float));
    }
    L2D_CK(dev, "training status", cudaMemsetAsync(r->st, 0, 3 * sizeof(int), r->s));
    L2D_CK(dev, "training status", cudaMemsetAsync(r->stv, 0, 3 * sizeof(int), r->s));
    L2D_CK(dev, "training upload", cudaStreamSynchronize(r->s));
out:
    return rc;
}

/* ---- one mini-batch -------------------------------------------------------- */

/* Queues batch k (rows i0 .. i0+B of this epoch's permutation): its
 * gradient, step and sums. Host paths synchronise and may fail at once
 * (their errors carry no epoch/batch prefix); device failures land in
 * r->st. */
static int run_batch(struct run *r, const struct l2d_model_ctx *dctx, size_t k, size_t i0,
                     size_t B, struct l2d_error *err)
{
    struct l2d_model *m = r->m;
    const struct l2d_surrogate_inst *sur = r->sur;
    const size_t A = r->A, dim = r->dim;
    const int dev = r->dev, kb = (int)k;
    int rc = 0;
    size_t bad;
    L2D_CK(dev, "gather", l2d_cuda_gather(r->X, r->C, r->perm, i0, B, dim, A, r->xb, r->cb, r->s));
    if ((rc = m->be->forward(m, r->xb, B, r->sf, err))) goto out;
    /* the device paths check scores, loss and gradient with the batch's
     * sums in one launch after the step's work (same status, same order of
     * precedence); the host paths need the scores' check before copying */
    if (r->path != PATH_DEV_LOSS && r->path != PATH_DEV_BATCH)
        L2D_CK(dev, "check", l2d_cuda_flag_rows(r->sf, 0, B * A, A, L2D_CUDA_FAIL_SCORE, kb, r->st, r->s));
    m->be->zero_grad(m);
    switch (r->path) {
    case PATH_DEV_LOSS:
        if ((rc = sur->ops->loss_device(sur->state, r->sf, r->cb, B, A, 1.0 / (double)B, r->lossb,
                                        r->gf, r->s, err)))
            goto out;
        r->passes += B;
        if ((rc = m->be->backward(m, r->gf, B, NULL, 1, err))) goto out;
        L2D_CK(dev, "check", l2d_cuda_batch_check_sums(r->sf, r->lossb, r->gf, r->cb, B, A, kb,
                                                       r->st, r->acc, r->s));
        break;
    case PATH_DEV_BATCH:
        if ((rc = sur->ops->train_batch_device(sur->state, dctx, sur->attack, r->xb, r->cb, B,
                                               r->lossb, r->s, err)))
            goto out;
        L2D_CK(dev, "check", l2d_cuda_batch_check_sums(r->sf, r->lossb, NULL, r->cb, B, A, kb,
                                                       r->st, r->acc, r->s));
        break;
    case PATH_HOST_BATCH:
    case PATH_HOST_LOSS:
        /* the slow path: this batch's arrays to the host and back */
        L2D_CK(dev, "slow path", cudaMemcpyAsync(r->hs, r->sf, B * A * sizeof(float),
                                                 cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "slow path", cudaMemcpyAsync(r->hcb, r->cb, B * A * sizeof(double),
                                                 cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "slow path", cudaMemcpyAsync(r->h_st, r->st, 3 * sizeof(int),
                                                 cudaMemcpyDeviceToHost, r->s));
        if (r->path == PATH_HOST_BATCH)
            L2D_CK(dev, "slow path", cudaMemcpyAsync(r->hx, r->xb, B * dim * sizeof(float),
                                                     cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "slow path", cudaStreamSynchronize(r->s));
        if (r->h_st[0]) goto out; /* reported from the status word, as on the device path */
        if (r->path == PATH_HOST_BATCH) {
            struct l2d_model_ctx h = *dctx;
            h.self = r;
            h.forward = hctx_forward;
            h.backward = hctx_backward;
            h.lo = sur->lo;
            h.hi = sur->hi;
            h.device = -1;
            h.stream = NULL;
            h.mlp = NULL;   /* its arrays are on the device: not for a host plugin */
            h.add_passes = NULL;
            if ((rc = sur->ops->train_batch(sur->state, &h, sur->attack, r->hx, r->hcb, B,
                                            r->hloss, err)))
                goto out;
            if (!all_finite_d(r->hloss, B, &bad)) {
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu", sur_name(sur), bad);
                goto out;
            }
        } else {
            for (size_t q = 0; q < B * A; q++) r->hsd[q] = r->hs[q];
            if ((rc = sur->ops->loss(sur->state, r->hsd, r->hcb, B, A, r->hloss, r->hgd, err))) goto out;
            if (!all_finite_d(r->hloss, B, &bad)) {
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu", sur_name(sur), bad);
                goto out;
            }
            if (!all_finite_d(r->hgd, B * A, &bad)) {
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite gradient on row %zu",
                                sur_name(sur), bad / A);
                goto out;
            }
            for (size_t q = 0; q < B * A; q++) r->hgf[q] = (float)(r->hgd[q] / (double)B);
            UPLOAD(r->gf, r->hgf, B * A * sizeof(float));
            r->passes += B;
            if ((rc = m->be->backward(m, r->gf, B, NULL, 1, err))) goto out;
        }
        UPLOAD(r->lossb, r->hloss, B * sizeof(double));
        /* the host buffers are reused by the next batch: wait for the copies */
        L2D_CK(dev, "slow path", cudaStreamSynchronize(r->s));
        break;
    }
    L2D_CK(dev, "check", l2d_cuda_flag_any(m->be->grads(m), m->n_params, L2D_CUDA_FAIL_PARAM_GRAD,
                                           kb, r->st, r->s));
    if (r->path != PATH_DEV_LOSS && r->path != PATH_DEV_BATCH)
        L2D_CK(dev, "sums", l2d_cuda_batch_sums(r->lossb, r->sf, r->cb, B, A, r->acc, r->s));
    rc = l2d_cuda_model_step_dev(m, &r->sched[k], err);
out:
    return rc;
}

/* train.c's permutation of an epoch (the same RNG stream, drawn in the same
 * order) and the optimiser scalars of its steps, into pinned buffer `which`
 * (0 or 1). The epoch's first step is number step + 1. */
static int prep_epoch(struct run *r, struct l2d_model *rej, struct l2d_rng *rng,
                      const struct l2d_train_cfg *cfg, int64_t step, int64_t total, int64_t warm,
                      size_t which, struct l2d_error *err)
{
    uint32_t *perm = r->h_perm + which * r->n;
    struct l2d_cuda_step_scalars *sched = r->h_sched + which * r->nb;
    for (size_t i = 0; i < r->n; i++) r->idx[i] = i;
    l2d_rng_shuffle(rng, r->idx, r->n);
    for (size_t i = 0; i < r->n; i++) perm[i] = (uint32_t)r->idx[i];
    for (size_t k = 0; k < r->nb; k++) {
        double lr = l2d_lr_at(cfg->lr, step + (int64_t)k, total, warm, cfg->cosine);
        int rc = l2d_cuda_model_step_scalars(rej, lr, step + (int64_t)k + 1, &sched[k], err);
        if (rc) return rc;
    }
    return 0;
}

/* Every batch of one epoch, as queued calls (direct or under capture). On
 * failure *kfail is the batch. */
static int run_epoch_batches(struct run *r, const struct l2d_model_ctx *dctx, int check_intr,
                             int e, size_t *kfail, struct l2d_error *err)
{
    for (size_t k = 0; k < r->nb; k++) {
        if (check_intr && l2d_interrupted)
            return l2d_seterr(err, L2D_EINTERRUPTED, "training interrupted at epoch %d, batch %zu",
                              e + 1, k + 1);
        size_t i0 = k * r->Bmax, B = r->n - i0 < r->Bmax ? r->n - i0 : r->Bmax;
        int rc = run_batch(r, dctx, k, i0, B, err);
        if (rc) {
            *kfail = k;
            return rc;
        }
        if (r->path >= PATH_HOST_BATCH && r->h_st[0]) return 0; /* reported at the epoch's end */
    }
    return 0;
}

/* ---- validation ----------------------------------------------------------- */

/* Mean loss and risk of the model on the validation split, queued: sums in
 * acc[2], acc[3]; failures in r->stv (batch = chunk). Host loss: synchronises. */
static int validate(struct run *r, struct l2d_error *err)
{
    struct l2d_model *m = r->m;
    const struct l2d_surrogate_inst *sur = r->sur;
    const size_t A = r->A, nv = r->nv, chunk = nv < EVAL_CHUNK ? nv : EVAL_CHUNK;
    const int dev = r->dev;
    int rc = 0;
    size_t bad;
    for (size_t i0 = 0, q = 0; i0 < nv; i0 += chunk, q++) {
        size_t B = nv - i0 < chunk ? nv - i0 : chunk;
        if ((rc = m->be->forward(m, r->Xv + i0 * r->dim, B, r->vs, err))) goto out;
        L2D_CK(dev, "check", l2d_cuda_flag_rows(r->vs, 0, B * A, A, L2D_CUDA_FAIL_SCORE, (int)q,
                                                r->stv, r->s));
        const double *c = r->Cv + i0 * A;
        if (r->dev_val_loss) {
            if ((rc = sur->ops->loss_device(sur->state, r->vs, c, B, A, 1.0, r->vloss, NULL, r->s,
                                            err)))
                goto out;
            L2D_CK(dev, "check", l2d_cuda_flag_rows(r->vloss, 1, B, 1, L2D_CUDA_FAIL_LOSS, (int)q,
                                                    r->stv, r->s));
        } else if (r->host_val_loss) {
            L2D_CK(dev, "slow path", cudaMemcpyAsync(r->hs, r->vs, B * A * sizeof(float),
                                                     cudaMemcpyDeviceToHost, r->s));
            L2D_CK(dev, "slow path", cudaMemcpyAsync(r->h_st + 3, r->stv, 3 * sizeof(int),
                                                     cudaMemcpyDeviceToHost, r->s));
            L2D_CK(dev, "slow path", cudaStreamSynchronize(r->s));
            if (r->h_st[3]) break; /* reported from the status word */
            for (size_t k = 0; k < B * A; k++) r->hsd[k] = r->hs[k];
            /* costs from the host copy the caller gave: the same values */
            if ((rc = sur->ops->loss(sur->state, r->hsd, r->hcv + i0 * A, B, A, r->hloss, NULL, err)))
                goto out;
            if (!all_finite_d(r->hloss, B, &bad)) {
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu", sur_name(sur),
                                i0 + bad);
                goto out;
            }
            L2D_CK(dev, "slow path", cudaMemcpyAsync(r->vloss, r->hloss, B * sizeof(double),
                                                     cudaMemcpyHostToDevice, r->s));
            L2D_CK(dev, "slow path", cudaStreamSynchronize(r->s));
        }
        L2D_CK(dev, "sums", l2d_cuda_batch_sums(r->dev_val_loss || r->host_val_loss ? r->vloss : NULL,
                                                r->vs, c, B, A, r->acc + 2, r->s));
    }
out:
    return rc;
}

/* Deferral risk on the validation split under the untargeted attack: sum
 * in acc[4] (costs stay the clean ones: agents are not attacked). */
static int adv_validate(struct run *r, uint64_t seed, struct l2d_error *err)
{
    struct l2d_model *m = r->m;
    const size_t A = r->A, nv = r->nv, dim = r->dim, chunk = nv < EVAL_CHUNK ? nv : EVAL_CHUNK;
    const int dev = r->dev;
    int rc = 0, slow = 0;
    for (size_t i0 = 0; i0 < nv; i0 += chunk) {
        size_t B = nv - i0 < chunk ? nv - i0 : chunk;
        rc = l2d_cuda_rej_attack(r->sur->attack, m, r->Xv + i0 * dim, r->Cv + i0 * A, B,
                                 r->cfg->adv_nu, -1, r->lo, r->hi, r->sur->lo, r->sur->hi,
                                 seed + i0, r->xadv, r->stv, &slow, err);
        if (slow)
            note(r, &r->said_slow,
                 "the attack plugin has no perturb_device: adversarial validation runs it on the "
                 "host, copying to and from the GPU at every step (slow path)");
        if (rc) goto out;
        if ((rc = m->be->forward(m, r->xadv, B, r->vs, err))) goto out;
        /* the risk lands in acc[4] (acc[3], the loss slot of this pair, is
         * read and written back unchanged: no loss is given) */
        L2D_CK(dev, "sums", l2d_cuda_batch_sums(NULL, r->vs, r->Cv + i0 * A, B, A, r->acc + 3, r->s));
    }
out:
    return rc;
}

/* ---- the status words, as messages ------------------------------------------ */

/* The first failure an epoch recorded, as train.c words it. */
static int status_error(const struct run *r, int e, struct l2d_error *err)
{
    const int *st = r->h_st, *sv = r->h_st + 3;
    const char *name = sur_name(r->sur);
    if (st[0] == L2D_CUDA_FAIL_PARAMS)
        return l2d_seterr(err, L2D_ENUMERIC, "epoch %d: non-finite rejector parameters", e + 1);
    if (st[0]) {
        const int b = st[1] + 1, row = st[2];
        switch (st[0]) {
        case L2D_CUDA_FAIL_SCORE:
            return l2d_seterr(err, L2D_ENUMERIC, "epoch %d, batch %d: non-finite rejector score",
                              e + 1, b);
        case L2D_CUDA_FAIL_LOSS:
            return l2d_seterr(err, L2D_ENUMERIC, "epoch %d, batch %d: %s: non-finite loss on row %d",
                              e + 1, b, name, row);
        case L2D_CUDA_FAIL_GRAD:
            return l2d_seterr(err, L2D_ENUMERIC,
                              "epoch %d, batch %d: %s: non-finite gradient on row %d", e + 1, b,
                              name, row);
        default:
            return l2d_seterr(err, L2D_ENUMERIC, "epoch %d, batch %d: non-finite parameter gradient",
                              e + 1, b);
        }
    }
    if (sv[0]) {
        const size_t row = (size_t)sv[1] * EVAL_CHUNK + (size_t)sv[2];
        if (sv[0] == L2D_CUDA_FAIL_SCORE)
            return l2d_seterr(err, L2D_ENUMERIC,
                              "epoch %d, validation: non-finite rejector score on row %zu", e + 1,
                              row);
        return l2d_seterr(err, L2D_ENUMERIC, "epoch %d, validation: %s: non-finite loss on row %zu",
                          e + 1, name, row);
    }
    return 0;
}

/* ---- training ------------------------------------------------------------------ */

static enum path pick_path(const struct l2d_surrogate_ops *o)
{
    const int dev = L2D_OPS_HAS(o, struct l2d_surrogate_ops, train_batch_device);
    /* a surrogate that needs the model (train_batch) keeps needing it: its
     * loss alone would train something else */
    if (o->train_batch || (dev && o->train_batch_device))
        return dev && o->train_batch_device ? PATH_DEV_BATCH : PATH_HOST_BATCH;
    return dev && o->loss_device ? PATH_DEV_LOSS : PATH_HOST_LOSS;
}

int l2d_cuda_train_rejector(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                            const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                            const double *c_train, const struct l2d_data *val,
                            const double *c_val, struct l2d_epoch_rec *epochs,
                            struct l2d_train_result *res, l2d_progress_fn progress,
                            void *progress_self, struct l2d_error *err)
{
    return l2d_cuda_train_rejector_log(cfg, rej, sur, train, c_train, val, c_val, epochs, res,
                                       progress, progress_self, NULL, NULL, err);
}

int l2d_cuda_train_rejector_log(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                                const struct l2d_surrogate_inst *sur,
                                const struct l2d_data *train, const double *c_train,
                                const struct l2d_data *val, const double *c_val,
                                struct l2d_epoch_rec *epochs, struct l2d_train_result *res,
                                l2d_progress_fn progress, void *progress_self,
                                void (*log)(void *self, const char *msg), void *log_self,
                                struct l2d_error *err)
{
    int rc = check_args(cfg, rej, sur, train, c_train, val, c_val, epochs, err);
    if (rc) return rc;
    if ((rc = l2d_cuda_model_use(rej, err))) return rc;
    struct run R;
    memset(&R, 0, sizeof R);
    struct run *r = &R;
    r->cfg = cfg;
    r->m = rej;
    r->sur = sur;
    r->s = (cudaStream_t)rej->stream;
    r->dev = rej->device;
    r->log = log;
    r->log_self = log_self;
    r->n = train->n;
    r->dim = train->dim;
    r->A = rej->out;
    r->nv = val && val->n > 0 ? val->n : 0;
    r->hcv = c_val;
    r->Bmax = cfg->batch < r->n ? cfg->batch : r->n;
    r->nb = (r->n + r->Bmax - 1) / r->Bmax;
    const struct l2d_surrogate_ops *o = sur->ops;
    const int ops_dev = L2D_OPS_HAS(o, struct l2d_surrogate_ops, train_batch_device);
    r->path = pick_path(o);
    r->dev_val_loss = ops_dev && o->loss_device;
    r->host_val_loss = !r->dev_val_loss && o->loss;
    const int have_val = r->nv > 0, dev = r->dev;
    const int64_t total = (int64_t)cfg->epochs * (int64_t)r->nb;
    const int64_t warm = (int64_t)floor(cfg->warmup * (double)total);
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    int use_graph = r->path == PATH_DEV_LOSS, best = -1;
    uint64_t graph_passes = 0; /* passes of one replay: those counted while capturing */
    double best_rank = 0;
    int64_t step = 0;
    struct l2d_error e2 = {0, ""};

    if (r->path >= PATH_HOST_BATCH) {
        char msg[L2D_ERRMSG_MAX];
        snprintf(msg, sizeof msg,
                 "surrogate %s has no device %s: training runs it on the host, copying to and "
                 "from the GPU every batch (slow path)",
                 sur_name(sur), r->path == PATH_HOST_BATCH ? "train_batch" : "loss");
        note(r, &r->said_slow, msg);
    }
    if ((rc = alloc_run(r, train, c_train, val, c_val, err))) goto out;
    if ((rc = rej->be->optim_init(rej, cfg->optimizer, cfg->weight_decay, err))) goto out;

    struct l2d_mlp_view view = {rej->n_layers, rej->dims, rej->be->params(rej), rej->be->grads(rej)};
    struct l2d_model_ctx dctx = {r, r->dim, r->A, dctx_forward, dctx_backward, r->lo, r->hi,
                                 dev, rej->stream, &view, dctx_add_passes};
    /* a device train_batch is captured only when the plugin says it keeps
     * its per-batch state on the device (a replay would freeze host seeds) */
    if (r->path == PATH_DEV_BATCH &&
        L2D_OPS_HAS(sur->ops, struct l2d_surrogate_ops, device_replayable) &&
        sur->ops->device_replayable &&
        sur->ops->device_replayable(sur->state, &dctx, sur->attack) == 1)
        use_graph = 1;
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix(cfg->seed, "train.shuffle"));

    for (int e = 0; e < cfg->epochs && !rc; e++) {
        double t0 = now_s();
        if (l2d_interrupted) {
            rc = l2d_seterr(err, L2D_EINTERRUPTED, "training interrupted at epoch %d, batch 1", e + 1);
            break;
        }
        /* train.c's permutation and learning rates, drawn during the last
         * epoch (or before the first), uploaded once */
        const size_t cur = (size_t)(e & 1);
        if (e == 0 && (rc = prep_epoch(r, rej, &rng, cfg, step, total, warm, cur, err))) goto out;
        UPLOAD(r->perm, r->h_perm + cur * r->n, r->n * sizeof(uint32_t));
        UPLOAD(r->sched, r->h_sched + cur * r->nb, r->nb * sizeof *r->h_sched);
        L2D_CK(dev, "epoch sums", cudaMemsetAsync(r->acc, 0, 5 * sizeof(double), r->s));

        size_t kfail = 0;
        /* Epoch 1 runs uncaptured (plugins allocate on their first, largest
         * batch); from epoch 2 the epoch is one graph, captured once. */
        if (use_graph && e >= 1 && !exec) {
            L2D_CK(dev, "capture", cudaStreamBeginCapture(r->s, cudaStreamCaptureModeThreadLocal));
            uint64_t passes0 = r->passes;
            rc = run_epoch_batches(r, &dctx, 0, e, &kfail, &e2);
            graph_passes = r->passes - passes0;
            r->passes = passes0; /* counted when the graph runs */
            cudaError_t ce = cudaStreamEndCapture(r->s, &graph);
            if (!rc && ce == cudaSuccess) ce = cudaGraphInstantiate(&exec, graph, 0);
            if (rc || ce != cudaSuccess) {
                char msg[L2D_ERRMSG_MAX];
                snprintf(msg, sizeof msg,
                         "training: the epoch could not be captured as a CUDA graph (%s); "
                         "epochs run batch by batch",
                         rc ? e2.msg : cudaGetErrorString(ce));
                note(r, &r->said_graph, msg);
                (void)cudaGetLastError();
                if (graph) cudaGraphDestroy(graph);
                graph = NULL;
                exec = NULL;
                use_graph = 0;
                rc = 0;
            }
        }
        if (exec) {
            L2D_CK(dev, "epoch graph", cudaGraphLaunch(exec, r->s));
            r->passes += graph_passes;
        } else {
            rc = run_epoch_batches(r, &dctx, 1, e, &kfail, &e2);
            if (rc) {
                if (rc == L2D_EINTERRUPTED)
                    l2d_seterr(err, rc, "%s", e2.msg);
                else
                    l2d_seterr(err, rc, "epoch %d, batch %zu: %s", e + 1, kfail + 1, e2.msg);
                break;
            }
        }
        step += (int64_t)r->nb;
        /* the next epoch's permutation and rates, while the device works
         * (this epoch's copies from the other buffer are queued before) */
        if (e + 1 < cfg->epochs &&
            (rc = prep_epoch(r, rej, &rng, cfg, step, total, warm, cur ^ 1, err)))
            goto out;
        L2D_CK(dev, "check", l2d_cuda_flag_any(rej->be->params(rej), rej->n_params,
                                               L2D_CUDA_FAIL_PARAMS, -1, r->st, r->s));
        if (have_val && (rc = validate(r, &e2))) {
            l2d_seterr(err, rc, "epoch %d, validation: %s", e + 1, e2.msg);
            break;
        }
        if (have_val && cfg->select_best && cfg->select_adv &&
            (rc = adv_validate(r, l2d_seed_mix(cfg->seed, "val.attack"), &e2))) {
            l2d_seterr(err, rc, "epoch %d, adversarial validation: %s", e + 1, e2.msg);
            break;
        }
        /* what the epoch logs, and the status words: the one copy back */
        L2D_CK(dev, "epoch results", cudaMemcpyAsync(r->h_acc, r->acc, 5 * sizeof(double),
                                                     cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "epoch results", cudaMemcpyAsync(r->h_st, r->st, 3 * sizeof(int),
                                                     cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "epoch results", cudaMemcpyAsync(r->h_st + 3, r->stv, 3 * sizeof(int),
                                                     cudaMemcpyDeviceToHost, r->s));
        L2D_CK(dev, "epoch", cudaStreamSynchronize(r->s));
        if ((rc = status_error(r, e, err))) break;
        struct l2d_epoch_rec *rec = &epochs[e];
        rec->epoch = e + 1;
        rec->train_loss = r->h_acc[0] / (double)r->n;
        rec->train_risk = r->h_acc[1] / (double)r->n;
        rec->val_loss = rec->val_risk = NAN;
        if (have_val) {
            rec->val_loss = r->dev_val_loss || r->host_val_loss ? r->h_acc[2] / (double)r->nv : NAN;
            rec->val_risk = r->h_acc[3] / (double)r->nv;
        }
        double rank = rec->val_risk;
        if (have_val && cfg->select_best && cfg->select_adv) rank = r->h_acc[4] / (double)r->nv;
        rec->seconds = now_s() - t0;
        if (cfg->select_best && have_val) {
            if (best < 0 || rank < best_rank) {
                best_rank = rank;
                best = e;
                if ((rc = rej->be->snapshot(rej, err))) break;
            }
        } else {
            best = e;
        }
        if (progress) progress(progress_self, e + 1, cfg->epochs, rec->train_loss, rec->val_risk);
    }
    if (!rc && cfg->select_best && have_val) rc = rej->be->restore(rej, err);
    if (!rc) rc = l2d_cuda_model_set_steps(rej, step, err);
    if (!rc) L2D_CK(dev, "training", cudaStreamSynchronize(r->s));
out:
    if (res) {
        res->best_epoch = best;
        res->passes = r->passes;
        res->steps = step;
    }
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    free_run(r);
    return rc;
}

/* ---- split-level loss and risk ------------------------------------------------- */

int l2d_cuda_rejector_loss_risk(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                                const struct l2d_data *data, const double *c, double *loss,
                                double *risk, struct l2d_error *err)
{
    if (!rej || !data || !c || !risk)
        return l2d_seterr(err, L2D_EINVAL, "loss/risk: missing rejector, data, costs or output");
    if (rej->be != &l2d_model_backend_cuda || rej->device < 0)
        return l2d_seterr(err, L2D_EINVAL, "loss/risk on the GPU: the rejector is not a CUDA model");
    if (rej->in != data->dim)
        return l2d_seterr(err, L2D_EINVAL, "loss/risk: rejector input %zu, data dim %zu", rej->in,
                          data->dim);
    if (data->n == 0) return l2d_seterr(err, L2D_EINVAL, "loss/risk: empty split");
    int rc = l2d_cuda_model_use(rej, err);
    if (rc) return rc;
    struct run R;
    memset(&R, 0, sizeof R);
    struct run *r = &R;
    const struct l2d_surrogate_ops *o = sur && loss ? sur->ops : NULL;
    r->m = rej;
    r->sur = sur;
    r->s = (cudaStream_t)rej->stream;
    r->dev = rej->device;
    r->nv = data->n;
    r->dim = data->dim;
    r->A = rej->out;
    r->hcv = c;
    r->dev_val_loss = o && L2D_OPS_HAS(o, struct l2d_surrogate_ops, loss_device) && o->loss_device;
    r->host_val_loss = o && !r->dev_val_loss && o->loss;
    const int dev = r->dev;
    const size_t nv = r->nv, A = r->A, ch = nv < EVAL_CHUNK ? nv : EVAL_CHUNK;
    DMALLOC(r->Xv, nv * r->dim * sizeof(float));
    DMALLOC(r->Cv, nv * A * sizeof(double));
    DMALLOC(r->vs, ch * A * sizeof(float));
    DMALLOC(r->vloss, ch * sizeof(double));
    DMALLOC(r->acc, 5 * sizeof(double));
    DMALLOC(r->stv, 3 * sizeof(int));
    L2D_CK(dev, "pinned buffers", cudaMallocHost((void **)&r->h_acc, 5 * sizeof(double)));
    L2D_CK(dev, "pinned buffers", cudaMallocHost((void **)&r->h_st, 6 * sizeof(int)));
    r->hs = malloc(ch * A * sizeof *r->hs);
    r->hsd = malloc(ch * A * sizeof *r->hsd);
    r->hloss = malloc(ch * sizeof *r->hloss);
    if (!r->hs || !r->hsd || !r->hloss) {
        rc = l2d_seterr(err, L2D_ENOMEM, "loss/risk: out of memory");
        goto out;
    }
    UPLOAD(r->Xv, data->x, nv * r->dim * sizeof(float));
    UPLOAD(r->Cv, c, nv * A * sizeof(double));
    L2D_CK(dev, "loss/risk", cudaMemsetAsync(r->acc, 0, 5 * sizeof(double), r->s));
    L2D_CK(dev, "loss/risk", cudaMemsetAsync(r->stv, 0, 3 * sizeof(int), r->s));
    if ((rc = validate(r, err))) goto out;
    L2D_CK(dev, "loss/risk", cudaMemcpyAsync(r->h_acc, r->acc, 5 * sizeof(double),
                                             cudaMemcpyDeviceToHost, r->s));
    L2D_CK(dev, "loss/risk", cudaMemcpyAsync(r->h_st + 3, r->stv, 3 * sizeof(int),
                                             cudaMemcpyDeviceToHost, r->s));
    L2D_CK(dev, "loss/risk", cudaStreamSynchronize(r->s));
    if (r->h_st[3]) {
        const size_t row = (size_t)r->h_st[4] * EVAL_CHUNK + (size_t)r->h_st[5];
        rc = r->h_st[3] == L2D_CUDA_FAIL_SCORE
                 ? l2d_seterr(err, L2D_ENUMERIC, "non-finite rejector score on row %zu", row)
                 : l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu", sur_name(sur),
                              row);
        goto out;
    }
    *risk = r->h_acc[3] / (double)nv;
    if (loss) *loss = r->dev_val_loss || r->host_val_loss ? r->h_acc[2] / (double)nv : NAN;
out:
    free_run(r);
    return rc;
}
