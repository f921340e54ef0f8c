/* Two-stage rejector training (MT Algorithm 1) and split-level loss/risk. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "core/model_check.h"
#include "core/model_impl.h"
#include "core/objectives.h"
#ifdef L2D_HAVE_CUDA
#include "cuda/train_cuda.h"
#endif
#include "core/train.h"

volatile sig_atomic_t l2d_interrupted = 0;

/* Rows per forward call when scoring a whole split (see metrics.c). */
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

static size_t argmax_f(const float *v, size_t n)
{
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[b]) b = j;
    return b;
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

static int all_finite_f(const float *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) return 0;
    return 1;
}

/* ---- the rejector as train_batch sees it, with its passes counted -------- */

struct counted {
    struct l2d_model_ctx inner; /* l2d_model_ctx_init's */
    uint64_t passes;            /* rows through backward (each after its forward) */
};

static int counted_forward(void *self, const float *x, size_t B, float *scores,
                           struct l2d_error *err)
{
    const struct l2d_model_ctx *in = &((struct counted *)self)->inner;
    return in->forward(in->self, x, B, scores, err);
}

static int counted_backward(void *self, const float *x, size_t B, const float *dscores,
                            float *dx, int accumulate, struct l2d_error *err)
{
    struct counted *c = self;
    int rc = c->inner.backward(c->inner.self, x, B, dscores, dx, accumulate, err);
    if (!rc) c->passes += B;
    return rc;
}

/* for plugins that run the model in their own kernels */
static void counted_add_passes(void *self, size_t rows) { ((struct counted *)self)->passes += rows; }

/* ---- split-level loss and risk ------------------------------------------ */

/* Deferral risk of rej on data attacked by the untargeted attack: the costs
 * stay the clean ones (agents are not attacked). */
static int adv_risk(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                    const struct l2d_data *data, const double *c, double nu, uint64_t seed,
                    double *risk, struct l2d_error *err)
{
    size_t n = data->n, A = l2d_model_out(rej), dim = data->dim;
    size_t chunk = n < EVAL_CHUNK ? n : EVAL_CHUNK;
    float *xa = malloc(chunk * dim * sizeof *xa), *s = malloc(chunk * A * sizeof *s);
    int rc = 0;
    if (!xa || !s) rc = l2d_seterr(err, L2D_ENOMEM, "adversarial risk: out of memory");
    double sum = 0;
    for (size_t i0 = 0; !rc && i0 < n; i0 += chunk) {
        size_t B = n - i0 < chunk ? n - i0 : chunk;
        rc = l2d_rej_attack(sur->attack, rej, data->x + i0 * dim, c + i0 * A, B, nu, -1, sur->lo,
                            sur->hi, seed + i0, xa, err);
        if (!rc) rc = l2d_model_forward(rej, xa, B, s, err);
        for (size_t i = 0; !rc && i < B; i++) sum += c[(i0 + i) * A + argmax_f(s + i * A, A)];
    }
    free(xa);
    free(s);
    if (!rc) *risk = sum / (double)n;
    return rc;
}


int l2d_rejector_loss_risk(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                           const struct l2d_data *data, const double *c, double *loss,
                           double *risk, struct l2d_error *err)
{
    if (rej && l2d_model_device(rej) >= 0) {
#ifdef L2D_HAVE_CUDA
        return l2d_cuda_rejector_loss_risk(rej, sur, data, c, loss, risk, err);
#else
        return l2d_seterr(err, L2D_EUNSUPPORTED, "loss/risk: a CUDA model in a build without CUDA");
#endif
    }
    if (!rej || !data || !c || !risk)
        return l2d_seterr(err, L2D_EINVAL, "loss/risk: missing rejector, data, costs or output");
    if (l2d_model_in(rej) != data->dim)
        return l2d_seterr(err, L2D_EINVAL, "loss/risk: rejector input %zu, data dim %zu",
                          l2d_model_in(rej), data->dim);
    size_t n = data->n, A = l2d_model_out(rej);
    if (n == 0) return l2d_seterr(err, L2D_EINVAL, "loss/risk: empty split");
    int want_loss = loss && sur && sur->ops && sur->ops->loss;
    size_t chunk = n < EVAL_CHUNK ? n : EVAL_CHUNK;
    float *s = malloc(chunk * A * sizeof *s);
    double *sd = malloc(chunk * A * sizeof *sd), *v = malloc(chunk * sizeof *v);
    int rc = 0;
    if (!s || !sd || !v) rc = l2d_seterr(err, L2D_ENOMEM, "loss/risk: out of memory");
    double sum_loss = 0, sum_risk = 0;
    for (size_t i0 = 0; !rc && i0 < n; i0 += chunk) {
        size_t B = n - i0 < chunk ? n - i0 : chunk, bad;
        rc = l2d_model_forward(rej, data->x + i0 * data->dim, B, s, err);
        if (rc) break;
        for (size_t k = 0; k < B * A; k++) sd[k] = s[k];
        if (!all_finite_d(sd, B * A, &bad)) {
            rc = l2d_seterr(err, L2D_ENUMERIC, "non-finite rejector score on row %zu",
                            i0 + bad / A);
            break;
        }
        for (size_t i = 0; i < B; i++) sum_risk += c[(i0 + i) * A + argmax_f(s + i * A, A)];
        if (want_loss) {
            rc = sur->ops->loss(sur->state, sd, c + i0 * A, B, A, v, NULL, err);
            if (!rc && !all_finite_d(v, B, &bad))
                rc = l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu",
                                sur_name(sur), i0 + bad);
            for (size_t i = 0; !rc && i < B; i++) sum_loss += v[i];
        }
    }
    free(s);
    free(sd);
    free(v);
    if (rc) return rc;
    *risk = sum_risk / n;
    if (loss) *loss = want_loss ? sum_loss / n : NAN;
    return 0;
}

/* ---- training ------------------------------------------------------------ */

static int check_costs(const double *c, size_t n, size_t A, const char *split,
                       struct l2d_error *err)
{
    size_t bad;
    if (!c) return l2d_seterr(err, L2D_EINVAL, "training: no %s costs", split);
    if (!all_finite_d(c, n * A, &bad))
        return l2d_seterr(err, L2D_EINVAL, "training: non-finite %s cost at row %zu, agent %zu",
                          split, bad / A, bad % A);
    return 0;
}

int l2d_train_check_args(const struct l2d_train_cfg *cfg, const struct l2d_model *rej,
                         const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                         const double *c_train, const struct l2d_data *val, const double *c_val,
                         const struct l2d_epoch_rec *epochs, struct l2d_error *err)
{
    if (!cfg || !rej || !train || !epochs)
        return l2d_seterr(err, L2D_EINVAL, "training: missing config, rejector, data or records");
    const struct l2d_surrogate_ops *o = sur ? sur->ops : NULL;
    /* a model on a device can train with device ops alone */
    const int has_dev = o && l2d_model_device(rej) >= 0 &&
                        L2D_OPS_HAS(o, struct l2d_surrogate_ops, train_batch_device) &&
                        (o->loss_device || o->train_batch_device);
    if (!o || (!o->loss && !o->train_batch && !has_dev))
        return l2d_seterr(err, L2D_EINVAL, "training: surrogate has neither loss nor train_batch");
    if (cfg->epochs < 1) return l2d_seterr(err, L2D_EINVAL, "train.epochs = %d: must be >= 1", cfg->epochs);
    if (cfg->select_best && cfg->select_adv && !sur->attack)
        return l2d_seterr(err, L2D_EINVAL, "train.select = val_adv_risk: no attack to validate with");
    if (cfg->batch < 1) return l2d_seterr(err, L2D_EINVAL, "train.batch = 0: must be >= 1");
    if (!(cfg->lr > 0) || !isfinite(cfg->lr))
        return l2d_seterr(err, L2D_EINVAL, "train.lr = %g: must be finite and > 0", cfg->lr);
    if (!(cfg->weight_decay >= 0) || !isfinite(cfg->weight_decay))
        return l2d_seterr(err, L2D_EINVAL, "train.weight_decay = %g: must be >= 0",
                          cfg->weight_decay);
    if (!(cfg->warmup >= 0 && cfg->warmup <= 1))
        return l2d_seterr(err, L2D_EINVAL, "train.warmup = %g: must lie in [0, 1]", cfg->warmup);
    if (train->n == 0 || !train->x) return l2d_seterr(err, L2D_EINVAL, "training: empty training split");
    const size_t in = l2d_model_in(rej), A = l2d_model_out(rej);
    if (in != train->dim || A < 1)
        return l2d_seterr(err, L2D_EINVAL, "training: rejector is %zu -> %zu, data dim is %zu",
                          in, A, train->dim);
    int rc = check_costs(c_train, train->n, A, "training", err);
    if (rc) return rc;
    if (val && val->n > 0) {
        if (val->dim != train->dim || !val->x)
            return l2d_seterr(err, L2D_EINVAL, "training: validation dim %zu, training dim %zu",
                              val->dim, train->dim);
        rc = check_costs(c_val, val->n, A, "validation", err);
    }
    return rc;
}

struct bufs {
    size_t *idx;
    float *xb, *sf, *gf;
    double *sd, *cb, *gd, *lossb;
};

static void free_bufs(struct bufs *b)
{
    free(b->idx);
    free(b->xb);
    free(b->sf);
    free(b->gf);
    free(b->sd);
    free(b->cb);
    free(b->gd);
    free(b->lossb);
}

static int alloc_bufs(struct bufs *b, size_t n, size_t B, size_t dim, size_t A)
{
    memset(b, 0, sizeof *b);
    b->idx = malloc(n * sizeof *b->idx);
    b->xb = malloc(B * dim * sizeof *b->xb);
    b->sf = malloc(B * A * sizeof *b->sf);
    b->gf = malloc(B * A * sizeof *b->gf);
    b->sd = malloc(B * A * sizeof *b->sd);
    b->cb = malloc(B * A * sizeof *b->cb);
    b->gd = malloc(B * A * sizeof *b->gd);
    b->lossb = malloc(B * sizeof *b->lossb);
    return b->idx && b->xb && b->sf && b->gf && b->sd && b->cb && b->gd && b->lossb;
}

/* One mini-batch: the gradient of the batch-mean loss lands in rej's
 * gradients; adds the batch's loss and risk sums. Errors carry no
 * epoch/batch prefix. */
static int run_batch(struct l2d_model *rej, const struct l2d_surrogate_inst *sur,
                     struct counted *cnt, const struct l2d_model_ctx *ctx, struct bufs *b,
                     size_t B, size_t A, double *sum_loss, double *sum_risk, struct l2d_error *err)
{
    size_t bad;
    int rc = l2d_model_forward(rej, b->xb, B, b->sf, err);
    if (rc) return rc;
    if (!all_finite_f(b->sf, B * A))
        return l2d_seterr(err, L2D_ENUMERIC, "non-finite rejector score");
    l2d_model_zero_grad(rej);
    if (sur->ops->train_batch) {
        rc = sur->ops->train_batch(sur->state, ctx, sur->attack, b->xb, b->cb, B, b->lossb, err);
        if (rc) return rc;
        if (!all_finite_d(b->lossb, B, &bad))
            return l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu",
                              sur_name(sur), bad);
    } else {
        for (size_t k = 0; k < B * A; k++) b->sd[k] = b->sf[k];
        rc = sur->ops->loss(sur->state, b->sd, b->cb, B, A, b->lossb, b->gd, err);
        if (rc) return rc;
        if (!all_finite_d(b->lossb, B, &bad))
            return l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite loss on row %zu",
                              sur_name(sur), bad);
        if (!all_finite_d(b->gd, B * A, &bad))
            return l2d_seterr(err, L2D_ENUMERIC, "%s: non-finite gradient on row %zu",
                              sur_name(sur), bad / A);
        for (size_t k = 0; k < B * A; k++) b->gf[k] = (float)(b->gd[k] / (double)B);
        cnt->passes += B;
        rc = l2d_model_backward(rej, b->gf, B, NULL, 1, err);
        if (rc) return rc;
    }
    int finite;
    if ((rc = l2d_model_all_finite(rej, L2D_MODEL_GRADS, &finite, err))) return rc;
    if (!finite) return l2d_seterr(err, L2D_ENUMERIC, "non-finite parameter gradient");
    for (size_t i = 0; i < B; i++) {
        *sum_loss += b->lossb[i];
        *sum_risk += b->cb[i * A + argmax_f(b->sf + i * A, A)];
    }
    return 0;
}

int l2d_train_rejector(const struct l2d_train_cfg *cfg, struct l2d_model *rej,
                       const struct l2d_surrogate_inst *sur, const struct l2d_data *train,
                       const double *c_train, const struct l2d_data *val, const double *c_val,
                       struct l2d_epoch_rec *epochs, struct l2d_train_result *res,
                       l2d_progress_fn progress, void *progress_self, struct l2d_error *err)
{
    /* a GPU model goes to the device loop, which makes the same checks */
    if (rej && sur && l2d_model_device(rej) >= 0) {
#ifdef L2D_HAVE_CUDA
        return l2d_cuda_train_rejector_log(cfg, rej, sur, train, c_train, val, c_val, epochs, res,
                                           progress, progress_self, sur->log, sur->log_self, err);
#else
        return l2d_seterr(err, L2D_EUNSUPPORTED, "training: a CUDA model in a build without CUDA");
#endif
    }
    int rc = l2d_train_check_args(cfg, rej, sur, train, c_train, val, c_val, epochs, err);
    if (rc) return rc;
    const size_t n = train->n, dim = train->dim, A = l2d_model_out(rej);
    const size_t Bmax = cfg->batch < n ? cfg->batch : n;
    const size_t nb = (n + Bmax - 1) / Bmax;
    const int64_t total = (int64_t)cfg->epochs * (int64_t)nb;
    const int64_t warm = (int64_t)floor(cfg->warmup * (double)total);
    const int have_val = val && val->n > 0;

    struct bufs b;
    if (!alloc_bufs(&b, n, Bmax, dim, A)) {
        free_bufs(&b);
        return l2d_seterr(err, L2D_ENOMEM, "training: out of memory");
    }
    rc = l2d_model_optim_init(rej, cfg->optimizer, cfg->weight_decay, err);
    if (rc) {
        free_bufs(&b);
        return rc;
    }

    struct l2d_mlp_view view;
    struct counted cnt = {.passes = 0};
    l2d_model_ctx_init(&cnt.inner, &view, rej, sur->lo, sur->hi);
    struct l2d_model_ctx ctx = cnt.inner;
    ctx.self = &cnt;
    ctx.forward = counted_forward;
    ctx.backward = counted_backward;
    ctx.add_passes = counted_add_passes;
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix(cfg->seed, "train.shuffle"));
    struct l2d_error e2 = {0, ""};
    int best = -1;
    double best_rank = 0;
    int64_t step = 0;

    for (int e = 0; e < cfg->epochs && !rc; e++) {
        double t0 = now_s(), sum_loss = 0, sum_risk = 0;
        for (size_t i = 0; i < n; i++) b.idx[i] = i;
        l2d_rng_shuffle(&rng, b.idx, n);
        /* training mode for the epoch's steps only (BatchNorm: batch
         * statistics, running averages updated; nothing for an MLP);
         * validation, checkpoint selection and whatever follows the loop
         * see evaluation mode */
        l2d_model_train_mode(rej, 1, NULL);
        for (size_t k = 0; k < nb; k++) {
            if (l2d_interrupted) {
                rc = l2d_seterr(err, L2D_EINTERRUPTED, "training interrupted at epoch %d, batch %zu",
                                e + 1, k + 1);
                break;
            }
            size_t i0 = k * Bmax, B = n - i0 < Bmax ? n - i0 : Bmax;
            for (size_t i = 0; i < B; i++) {
                size_t r = b.idx[i0 + i];
                memcpy(b.xb + i * dim, train->x + r * dim, dim * sizeof *b.xb);
                memcpy(b.cb + i * A, c_train + r * A, A * sizeof *b.cb);
            }
            rc = run_batch(rej, sur, &cnt, &ctx, &b, B, A, &sum_loss, &sum_risk, &e2);
            if (!rc) rc = l2d_model_step(rej, l2d_lr_at(cfg->lr, step, total, warm, cfg->cosine), &e2);
            if (rc) {
                l2d_seterr(err, rc, "epoch %d, batch %zu: %s", e + 1, k + 1, e2.msg);
                break;
            }
            step++;
        }
        l2d_model_train_mode(rej, 0, NULL);
        if (rc) break;
        struct l2d_epoch_rec *r = &epochs[e];
        r->epoch = e + 1;
        r->train_loss = sum_loss / n;
        r->train_risk = sum_risk / n;
        r->val_loss = r->val_risk = r->val_adv_risk = NAN;
        int finite;
        if ((rc = l2d_model_all_finite(rej, L2D_MODEL_PARAMS, &finite, &e2))) {
            l2d_seterr(err, rc, "epoch %d: %s", e + 1, e2.msg);
            break;
        }
        if (!finite) {
            rc = l2d_seterr(err, L2D_ENUMERIC, "epoch %d: non-finite rejector parameters",
                            e + 1);
            break;
        }
        if (have_val) {
            rc = l2d_rejector_loss_risk(rej, sur, val, c_val, &r->val_loss, &r->val_risk, &e2);
            if (rc) {
                l2d_seterr(err, rc, "epoch %d, validation: %s", e + 1, e2.msg);
                break;
            }
        }
        double rank = r->val_risk; /* what selects the epoch kept */
        if (!rc && have_val && cfg->select_best && cfg->select_adv) {
            rc = adv_risk(rej, sur, val, c_val, cfg->adv_nu, l2d_seed_mix(cfg->seed, "val.attack"),
                          &rank, &e2);
            if (rc) {
                l2d_seterr(err, rc, "epoch %d, adversarial validation: %s", e + 1, e2.msg);
                break;
            }
            r->val_adv_risk = rank;
        }
        r->seconds = now_s() - t0;
        if (cfg->select_best && have_val) {
            if (best < 0 || rank < best_rank) {
                best_rank = rank;
                best = e;
                if ((rc = l2d_model_snapshot(rej, &e2))) {
                    l2d_seterr(err, rc, "epoch %d: keeping the best parameters: %s", e + 1, e2.msg);
                    break;
                }
            }
        } else {
            best = e;
        }
        if (progress) progress(progress_self, e + 1, cfg->epochs, r->train_loss, r->val_risk);
    }
    if (!rc && cfg->select_best && have_val) rc = l2d_model_restore(rej, err);
    if (res) {
        res->best_epoch = best;
        res->passes = cnt.passes;
        res->steps = step;
    }
    free_bufs(&b);
    return rc;
}
