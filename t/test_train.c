/* Rejector training (MT Algorithm 1): convergence to the oracle on a toy
 * problem, repeatability, best-epoch selection, numeric errors, the lr
 * schedule, pass counts and the train_batch (model context) path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/train.h"
#include "tap.h"
#include "toy_surrogate.h"

#define A 3
#define DIM 2

/* Three Gaussian clusters; agent k costs 0 on cluster k and 1 elsewhere,
 * plus uniform noise in [0, .2) so costs are not all ties. perm maps the
 * cluster to its cheapest agent. */
struct split {
    size_t n;
    float *x;
    double *c;
    struct l2d_data d;
};

static void make_split(struct split *s, size_t n, uint64_t seed, const int perm[A])
{
    static const double cx[A] = {3, -1.5, -1.5}, cy[A] = {0, 2.6, -2.6};
    struct l2d_rng r;
    l2d_rng_seed(&r, seed);
    s->n = n;
    s->x = malloc(n * DIM * sizeof *s->x);
    s->c = malloc(n * A * sizeof *s->c);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)l2d_rng_below(&r, A);
        s->x[i * DIM] = (float)(cx[k] + 0.7 * l2d_rng_normal(&r));
        s->x[i * DIM + 1] = (float)(cy[k] + 0.7 * l2d_rng_normal(&r));
        for (size_t j = 0; j < A; j++)
            s->c[i * A + j] = ((int)j == perm[k] ? 0.0 : 1.0) + 0.2 * l2d_rng_uniform(&r);
    }
    struct l2d_data d = {n, DIM, s->x, NULL, NULL, 0};
    s->d = d;
}

static void free_split(struct split *s)
{
    free(s->x);
    free(s->c);
}

static struct l2d_model *new_rejector(uint64_t seed, size_t nh, const size_t *hidden)
{
    struct l2d_rng r;
    struct l2d_model *m = NULL;
    struct l2d_error err;
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = DIM, .out = A, .n_hidden = nh, .hidden = hidden};
    l2d_rng_seed(&r, seed);
    if (l2d_model_create(&m, &arch, -1, &r, &err)) {
        tap_diag("model_create: %s", err.msg);
        exit(1);
    }
    return m;
}

/* Whether two models of one shape hold the same parameter bits. */
static int same_params(struct l2d_model *a, struct l2d_model *b)
{
    size_t n = l2d_model_n_params(a);
    float *pa = malloc(n * sizeof *pa), *pb = malloc(n * sizeof *pb);
    struct l2d_error err;
    int same = pa && pb && n == l2d_model_n_params(b) && !l2d_model_get_params_host(a, pa, &err) &&
               !l2d_model_get_params_host(b, pb, &err) && !memcmp(pa, pb, n * sizeof *pa);
    free(pa);
    free(pb);
    return same;
}

static struct l2d_train_cfg base_cfg(void)
{
    struct l2d_train_cfg c = {20, 32, 0.05, L2D_OPT_ADAM, 0.0, 0.1, 1, 1, 7, 0, 0.0};
    return c;
}

static const struct l2d_surrogate_inst toy = {&toy_ops, NULL, "toy", NULL, NULL, NULL, NULL, NULL};

/* ---- surrogates that misbehave on purpose -------------------------------- */
struct faulty {
    int calls, at;   /* 0-based call index that misbehaves */
    int mode;        /* 0: NaN loss, 1: ENUMERIC error, 2: NaN gradient */
};

static int faulty_loss(void *state, const double *scores, const double *costs, size_t B,
                       size_t nA, double *loss, double *grad, struct l2d_error *err)
{
    struct faulty *f = state;
    int rc = toy_loss(NULL, scores, costs, B, nA, loss, grad, err);
    if (rc || !grad) return rc; /* validation calls pass */
    if (f->calls++ != f->at) return 0;
    if (f->mode == 0) loss[B - 1] = NAN;
    if (f->mode == 1) return l2d_seterr(err, L2D_ENUMERIC, "boom at row 2");
    if (f->mode == 2) grad[1] = INFINITY;
    return 0;
}

static const struct l2d_surrogate_ops faulty_ops = {.struct_size = sizeof(struct l2d_surrogate_ops), .loss = faulty_loss};

/* loss_i = sum_k w_k r_ik: a constant gradient, so SGD moves every bias
 * by -w_k * (sum of the learning rates used). */
static const double LIN_W[A] = {1.0, -2.0, 0.5};
static int lin_loss(void *state, const double *scores, const double *costs, size_t B, size_t nA,
                    double *loss, double *grad, struct l2d_error *err)
{
    (void)state, (void)costs, (void)err;
    for (size_t i = 0; i < B; i++) {
        loss[i] = 0;
        for (size_t k = 0; k < nA; k++) {
            loss[i] += LIN_W[k] * scores[i * nA + k];
            if (grad) grad[i * nA + k] = LIN_W[k];
        }
    }
    return 0;
}
static const struct l2d_surrogate_ops lin_ops = {.struct_size = sizeof(struct l2d_surrogate_ops), .loss = lin_loss};

/* The toy surrogate run through train_batch and the model context; checks
 * dx against W^T dscores for a linear rejector, W read through the
 * context's MLP view. `rounds` forward/backward pairs per batch (a
 * SARD-like count); only the last accumulates. */
struct tb_state {
    int rounds;
    double max_dx_err;
    int bad_view; /* the context's MLP view is not the linear DIM -> A model */
};

static int tb_train_batch(void *state, const struct l2d_model_ctx *model,
                          const struct l2d_attack_handle *attack, const float *x,
                          const double *costs, size_t B, double *loss, struct l2d_error *err)
{
    struct tb_state *s = state;
    (void)attack;
    float *sc = malloc(B * A * sizeof *sc), *g = malloc(B * A * sizeof *g),
          *dx = malloc(B * DIM * sizeof *dx);
    double *sd = malloc(B * A * sizeof *sd), *gd = malloc(B * A * sizeof *gd);
    int rc = 0;
    for (int r = 0; !rc && r < s->rounds; r++) {
        rc = model->forward(model->self, x, B, sc, err);
        for (size_t k = 0; !rc && k < B * A; k++) sd[k] = sc[k];
        if (!rc) rc = toy_loss(NULL, sd, costs, B, A, loss, gd, err);
        for (size_t k = 0; !rc && k < B * A; k++) g[k] = (float)(gd[k] / (double)B);
        if (!rc) rc = model->backward(model->self, x, B, g, dx, r == s->rounds - 1, err);
        const struct l2d_mlp_view *v = model->mlp;
        if (!v || v->n_layers != 1 || v->dims[0] != DIM || v->dims[1] != A || model->device != -1) {
            s->bad_view = 1;
            break;
        }
        const float *W = v->params; /* layer 0's W[A][DIM] comes first */
        for (size_t i = 0; !rc && i < B; i++)
            for (size_t q = 0; q < DIM; q++) {
                double want = 0;
                for (size_t k = 0; k < A; k++) want += (double)g[i * A + k] * W[k * DIM + q];
                double e = fabs(want - dx[i * DIM + q]);
                if (e > s->max_dx_err) s->max_dx_err = e;
            }
    }
    free(sc), free(g), free(dx), free(sd), free(gd);
    return rc;
}
static const struct l2d_surrogate_ops tb_ops = {.struct_size = sizeof(struct l2d_surrogate_ops),
                                                .loss = toy_loss,
                                                .infimum = toy_infimum,
                                                .train_batch = tb_train_batch};

/* ---- a stub attack whose adversarial validation risks are known -------- */
/* Called once per epoch on the validation split (n < the evaluation chunk).
 * On call k it leaves x as it is when rotate[k] is 0 (the adversarial risk
 * is then the clean one, bit for bit) or turns it by 120 degrees, which
 * carries cluster k onto cluster k + 1: a rejector that has learnt the
 * clusters then sends every row to an agent that costs 1 or more. */
#define STUB_EPOCHS 12
struct stub_attack {
    int calls;
    int rotate[STUB_EPOCHS];
};
static int stub_perturb(void *state, const struct l2d_objective *obj, const float *x, size_t B,
                        float *x_adv, uint64_t seed, struct l2d_error *err)
{
    struct stub_attack *s = state;
    (void)obj, (void)seed, (void)err;
    int rot = s->calls < STUB_EPOCHS && s->rotate[s->calls];
    s->calls++;
    const double c = -0.5, sn = 0.8660254037844386;
    for (size_t i = 0; i < B; i++) {
        double u = x[i * DIM], v = x[i * DIM + 1];
        x_adv[i * DIM] = rot ? (float)(c * u - sn * v) : x[i * DIM];
        x_adv[i * DIM + 1] = rot ? (float)(sn * u + c * v) : x[i * DIM + 1];
    }
    return 0;
}
static const struct l2d_attack_ops stub_ops = {.struct_size = sizeof(struct l2d_attack_ops),
                                               .perturb = stub_perturb};

/* loss 0, gradient 0: the parameters never move, so every epoch ties */
static int zero_loss(void *state, const double *scores, const double *costs, size_t B, size_t nA,
                     double *loss, double *grad, struct l2d_error *err)
{
    (void)state, (void)scores, (void)costs, (void)err;
    for (size_t i = 0; i < B; i++) loss[i] = 0;
    if (grad)
        for (size_t k = 0; k < B * nA; k++) grad[k] = 0;
    return 0;
}
static const struct l2d_surrogate_ops zero_ops = {.struct_size = sizeof(struct l2d_surrogate_ops),
                                                  .loss = zero_loss};

struct prog {
    int calls, last_epoch;
    double last_loss;
};
static void progress(void *self, int epoch, int epochs, double train_loss, double val_risk)
{
    struct prog *p = self;
    (void)epochs, (void)val_risk;
    p->calls++;
    p->last_epoch = epoch;
    p->last_loss = train_loss;
}

static int recs_equal(const struct l2d_epoch_rec *a, const struct l2d_epoch_rec *b, int n)
{
    for (int e = 0; e < n; e++)
        if (a[e].epoch != b[e].epoch || memcmp(&a[e].train_loss, &b[e].train_loss, sizeof(double)) ||
            memcmp(&a[e].train_risk, &b[e].train_risk, sizeof(double)) ||
            memcmp(&a[e].val_loss, &b[e].val_loss, sizeof(double)) ||
            memcmp(&a[e].val_risk, &b[e].val_risk, sizeof(double)))
            return 0;
    return 1;
}

/* A convolutional rejector through the loop: the toy's 2 features as a
 * 2-channel 1x1 image into a ResNet-4. The loop switches training mode on
 * for its steps (BatchNorm's running statistics move) and leaves the model
 * in evaluation mode, in which its validation risks were measured. */
static void resnet_training(struct split *tr, struct split *va, struct split *te)
{
    struct l2d_error err = {0, ""};
    struct l2d_epoch_rec rec[64], rec2[64];
    struct l2d_train_result res;
    struct l2d_train_cfg cfg = base_cfg();
    cfg.epochs = 8;
    const struct l2d_arch arch = {.kind = L2D_ARCH_RESNET4, .out = A, .in_c = DIM, .in_h = 1,
                                  .in_w = 1, .width = 8};
    struct l2d_model *m[2] = {NULL, NULL};
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        struct l2d_rng r;
        l2d_rng_seed(&r, 5);
        rc |= l2d_model_create(&m[k], &arch, -1, &r, &err);
        if (!rc)
            rc |= l2d_train_rejector(&cfg, m[k], &toy, &tr->d, tr->c, &va->d, va->c, k ? rec2 : rec,
                                     &res, NULL, NULL, &err);
    }
    if (!tap_ok(rc == 0, "ResNet-4 rejector trains (%s)", err.msg)) {
        for (int k = 0; k < 3; k++) tap_ok(0, "ResNet-4 rejector: no trained model to check");
    } else {
        float b[48];
        int moved = 0;
        l2d_model_get_buffers_host(m[0], b, &err);
        for (size_t i = 0; i < l2d_model_n_buffers(m[0]); i++) moved += b[i] != (i % 16 < 8 ? 0.0f : 1.0f);
        tap_ok(!l2d_model_is_training(m[0]) && l2d_model_n_buffers(m[0]) == 48 && moved == 48,
               "left in evaluation mode, all %d running statistics moved by the training steps",
               moved);
        double risk, loss;
        rc = l2d_rejector_loss_risk(m[0], &toy, &va->d, va->c, &loss, &risk, &err);
        tap_ok(rc == 0 && risk == rec[res.best_epoch].val_risk,
               "the restored best epoch's validation risk %.4f is measured again in evaluation mode",
               risk);
        rc = l2d_rejector_loss_risk(m[0], &toy, &te->d, te->c, &loss, &risk, &err);
        tap_ok(rc == 0 && recs_equal(rec, rec2, cfg.epochs) && same_params(m[0], m[1]) &&
                   risk < rec[0].train_risk,
               "repeatable to the bit; test risk %.4f below the first epoch's train risk %.4f",
               risk, rec[0].train_risk);
    }
    l2d_model_destroy(m[0]);
    l2d_model_destroy(m[1]);
}

int main(void)
{
    tap_plan(50);
    struct l2d_error err = {0, ""};
    static const int id[A] = {0, 1, 2}, rot[A] = {1, 2, 0};
    struct split tr, va, te, va_rot;
    make_split(&tr, 300, 11, id);
    make_split(&va, 150, 12, id);
    make_split(&te, 600, 13, id);
    make_split(&va_rot, 150, 12, rot);
    struct l2d_epoch_rec rec[64], rec2[64];
    struct l2d_train_result res;

    /* (a) a linear rejector reaches the oracle's test risk */
    struct l2d_train_cfg cfg = base_cfg();
    struct l2d_model *m = new_rejector(1, 0, NULL);
    struct prog pg = {0, 0, 0};
    int rc = l2d_train_rejector(&cfg, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, &res, progress, &pg,
                                &err);
    tap_ok(rc == 0, "training runs (%s)", err.msg);
    double risk, loss, oracle = 0, first_risk = rec[0].train_risk;
    for (size_t i = 0; i < te.n; i++) oracle += te.c[i * A + l2d_first_argmin(te.c + i * A, A)];
    oracle /= te.n;
    rc = l2d_rejector_loss_risk(m, &toy, &te.d, te.c, &loss, &risk, &err);
    tap_diag("test risk %.4f, oracle %.4f, first-epoch train risk %.4f", risk, oracle, first_risk);
    tap_ok(rc == 0 && oracle < 0.11 && risk <= oracle + 0.01,
           "test risk %.4f within .01 of the oracle's %.4f", risk, oracle);
    tap_ok(rec[cfg.epochs - 1].train_loss < rec[0].train_loss,
           "train loss falls: %.4f -> %.4f", rec[0].train_loss, rec[cfg.epochs - 1].train_loss);
    tap_ok(pg.calls == cfg.epochs && pg.last_epoch == cfg.epochs &&
               pg.last_loss == rec[cfg.epochs - 1].train_loss,
           "progress called once per epoch with the records' values");
    int ok = 1;
    for (int e = 0; e < cfg.epochs; e++)
        ok &= rec[e].epoch == e + 1 && isfinite(rec[e].val_loss) && rec[e].seconds >= 0 &&
              rec[e].train_risk >= 0 && rec[e].train_risk <= 1.2;
    tap_ok(ok, "records numbered 1..epochs, finite");
    /* the system metrics agree with loss_risk */
    size_t *al = malloc(te.n * sizeof *al);
    struct l2d_metric_list ml = {0, 0, NULL};
    struct l2d_eval_in ein = {&te.d, te.c, A, NULL, NULL, NULL};
    rc = l2d_rejector_alloc(m, &te.d, A, al, NULL, &err);
    if (!rc) rc = l2d_eval_alloc(&ein, al, "", &ml, &err);
    tap_ok(rc == 0 && l2d_metric_list_find(&ml, "risk")->value == risk,
           "eval_alloc risk equals loss_risk's");
    l2d_metric_list_free(&ml);
    free(al);

    /* (f) pass and step counts */
    tap_ok(res.passes == (uint64_t)cfg.epochs * tr.n, "passes = epochs * n = %llu",
           (unsigned long long)res.passes);
    tap_ok(res.steps == (int64_t)cfg.epochs * 10, "steps = epochs * ceil(300/32) = %lld",
           (long long)res.steps);

    /* (c) best-epoch selection: the kept parameters reproduce the best
     * epoch's validation numbers; it is the first minimum */
    int best = res.best_epoch;
    rc = l2d_rejector_loss_risk(m, &toy, &va.d, va.c, &loss, &risk, &err);
    tap_ok(rc == 0 && risk == rec[best].val_risk && loss == rec[best].val_loss,
           "restored parameters give epoch %d's val risk %.6f and loss", best + 1, risk);
    ok = 1;
    for (int e = 0; e < cfg.epochs; e++)
        ok &= e < best ? rec[e].val_risk > rec[best].val_risk : rec[e].val_risk >= rec[best].val_risk;
    tap_ok(ok, "best epoch %d is the first with the lowest val risk", best + 1);
    l2d_model_destroy(m);

    /* validation costs that contradict training: the risk rises as the
     * rejector learns, so the best epoch is not the last */
    struct l2d_train_cfg c2 = base_cfg();
    c2.lr = 0.01;
    c2.optimizer = L2D_OPT_SGD;
    c2.epochs = 12;
    m = new_rejector(2, 0, NULL);
    rc = l2d_train_rejector(&c2, m, &toy, &tr.d, tr.c, &va_rot.d, va_rot.c, rec, &res, NULL, NULL,
                            &err);
    best = res.best_epoch;
    tap_diag("contradicting val: best epoch %d (risk %.4f), last %.4f", best + 1,
             rec[best].val_risk, rec[c2.epochs - 1].val_risk);
    tap_ok(rc == 0 && best < c2.epochs - 1 && rec[best].val_risk < rec[c2.epochs - 1].val_risk,
           "best epoch %d is before the last", best + 1);
    rc = l2d_rejector_loss_risk(m, &toy, &va_rot.d, va_rot.c, &loss, &risk, &err);
    tap_ok(rc == 0 && risk == rec[best].val_risk && loss == rec[best].val_loss,
           "its parameters were restored (val risk %.6f)", risk);
    l2d_model_destroy(m);
    c2.select_best = 0;
    m = new_rejector(2, 0, NULL);
    rc = l2d_train_rejector(&c2, m, &toy, &tr.d, tr.c, &va_rot.d, va_rot.c, rec, &res, NULL, NULL,
                            &err);
    rc |= l2d_rejector_loss_risk(m, &toy, &va_rot.d, va_rot.c, &loss, &risk, &err);
    tap_ok(rc == 0 && res.best_epoch == c2.epochs - 1 && risk == rec[c2.epochs - 1].val_risk,
           "select_best = 0 keeps the last epoch");
    l2d_model_destroy(m);
    /* no validation split: NaN records, last epoch kept */
    c2.select_best = 1;
    m = new_rejector(2, 0, NULL);
    rc = l2d_train_rejector(&c2, m, &toy, &tr.d, tr.c, NULL, NULL, rec, &res, NULL, NULL, &err);
    tap_ok(rc == 0 && isnan(rec[0].val_risk) && isnan(rec[0].val_loss) &&
               res.best_epoch == c2.epochs - 1,
           "no validation: NaN val fields, last epoch kept");
    l2d_model_destroy(m);

    /* select = val_adv_risk with the stub attack: identity on epochs 4 and 9,
     * a rotation that costs the trained rejector dearly on the others. The
     * epoch kept is the first argmin of the recorded adversarial risks. */
    {
        struct stub_attack sa = {0, {1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1}};
        struct l2d_attack_handle ah = {&stub_ops, &sa};
        struct l2d_surrogate_inst ts = {&toy_ops, NULL, "toy", &ah, NULL, NULL, NULL, NULL};
        struct l2d_train_cfg ca = base_cfg();
        ca.epochs = STUB_EPOCHS;
        ca.select_adv = 1;
        ca.adv_nu = 1;
        m = new_rejector(9, 0, NULL);
        rc = l2d_train_rejector(&ca, m, &ts, &tr.d, tr.c, &va.d, va.c, rec, &res, NULL, NULL, &err);
        tap_ok(rc == 0 && sa.calls == STUB_EPOCHS, "val_adv_risk: trains, one attack per epoch (%d; %s)",
               sa.calls, rc ? err.msg : "ok");
        tap_ok(rec[3].val_adv_risk == rec[3].val_risk && rec[8].val_adv_risk == rec[8].val_risk,
               "an identity attack's risk is the clean one (epoch 4: %.4f, epoch 9: %.4f)",
               rec[3].val_adv_risk, rec[8].val_adv_risk);
        ok = 1;
        for (int e = 2; e < STUB_EPOCHS; e++)
            if (sa.rotate[e]) ok &= rec[e].val_adv_risk > 0.9 && rec[e].val_adv_risk <= 1.2;
        tap_ok(ok, "the rotation costs the trained rejector about 1 (epoch 12: %.4f)",
               rec[STUB_EPOCHS - 1].val_adv_risk);
        int want = rec[8].val_risk < rec[3].val_risk ? 8 : 3, first = 0;
        for (int e = 1; e < STUB_EPOCHS; e++)
            if (rec[e].val_adv_risk < rec[first].val_adv_risk) first = e;
        tap_ok(res.best_epoch == want && first == want,
               "the epoch kept, %d, is the first argmin of the adversarial risks (want %d)",
               res.best_epoch + 1, want + 1);
        rc = l2d_rejector_loss_risk(m, &toy, &va.d, va.c, &loss, &risk, &err);
        tap_ok(rc == 0 && risk == rec[want].val_risk, "its parameters were restored (val risk %.6f)", risk);
        l2d_model_destroy(m);

        /* ties: nothing moves, every epoch has the same adversarial risk:
         * the first is kept */
        struct stub_attack sz = {0, {0}};
        struct l2d_attack_handle zh = {&stub_ops, &sz};
        struct l2d_surrogate_inst zs = {&zero_ops, NULL, "zero", &zh, NULL, NULL, NULL, NULL};
        ca.epochs = 6;
        m = new_rejector(9, 0, NULL);
        rc = l2d_train_rejector(&ca, m, &zs, &tr.d, tr.c, &va.d, va.c, rec, &res, NULL, NULL, &err);
        tap_ok(rc == 0 && rec[0].val_adv_risk == rec[5].val_adv_risk && isfinite(rec[0].val_adv_risk),
               "a zero gradient: every epoch ties (%.4f)", rec[0].val_adv_risk);
        tap_ok(res.best_epoch == 0, "ties: the earliest epoch is kept (%d)", res.best_epoch + 1);
        l2d_model_destroy(m);

        /* plain val_risk selection leaves the adversarial risk unmeasured */
        ca.select_adv = 0;
        m = new_rejector(9, 0, NULL);
        rc = l2d_train_rejector(&ca, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, &res, NULL, NULL, &err);
        tap_ok(rc == 0 && isnan(rec[0].val_adv_risk) && isnan(rec[5].val_adv_risk),
               "select = val_risk: val_adv_risk is NaN (not measured)");
        l2d_model_destroy(m);
    }

    /* (b) repeatability, with a hidden layer so the init matters too */
    const size_t hid[1] = {8};
    struct l2d_train_cfg c3 = base_cfg();
    c3.epochs = 5;
    struct l2d_model *m1 = new_rejector(3, 1, hid), *m2 = new_rejector(3, 1, hid);
    rc = l2d_train_rejector(&c3, m1, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    rc |= l2d_train_rejector(&c3, m2, &toy, &tr.d, tr.c, &va.d, va.c, rec2, NULL, NULL, NULL, &err);
    tap_ok(rc == 0 && recs_equal(rec, rec2, c3.epochs), "same seed: identical epoch records");
    tap_ok(same_params(m1, m2), "same seed: identical parameters");
    l2d_model_destroy(m2);
    m2 = new_rejector(3, 1, hid);
    c3.seed = 8;
    rc = l2d_train_rejector(&c3, m2, &toy, &tr.d, tr.c, &va.d, va.c, rec2, NULL, NULL, NULL, &err);
    tap_ok(rc == 0 && !recs_equal(rec, rec2, c3.epochs), "other seed: other records");
    tap_ok(!same_params(m1, m2), "other seed: other parameters");
    l2d_model_destroy(m1);
    l2d_model_destroy(m2);

    /* (d) numeric errors name the epoch and batch; 10 batches per epoch */
    struct faulty f = {0, 13, 0};
    struct l2d_surrogate_inst fs = {&faulty_ops, &f, "faulty", NULL, NULL, NULL, NULL, NULL};
    m = new_rejector(4, 0, NULL);
    rc = l2d_train_rejector(&cfg, m, &fs, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "epoch 2, batch 4:") &&
               strstr(err.msg, "faulty") && strstr(err.msg, "non-finite loss"),
           "NaN loss: %s", err.msg);
    tap_ok(f.calls == 14, "training stopped at the bad batch (%d calls)", f.calls);
    f.calls = 0, f.at = 0, f.mode = 1;
    rc = l2d_train_rejector(&cfg, m, &fs, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strcmp(err.msg, "epoch 1, batch 1: boom at row 2") == 0,
           "surrogate's own error, prefixed: %s", err.msg);
    f.calls = 0, f.at = 25, f.mode = 2;
    rc = l2d_train_rejector(&cfg, m, &fs, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "epoch 3, batch 6:") &&
               strstr(err.msg, "non-finite gradient"),
           "infinite gradient: %s", err.msg);
    /* bad inputs */
    tr.c[7] = NAN;
    rc = l2d_train_rejector(&cfg, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "row 2, agent 1"), "NaN cost: %s", err.msg);
    tr.c[7] = 1;
    struct l2d_train_cfg bad = cfg;
    bad.epochs = 0;
    rc = l2d_train_rejector(&bad, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "epochs"), "epochs = 0: %s", err.msg);
    bad = cfg;
    bad.warmup = 1.5;
    rc = l2d_train_rejector(&bad, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "warmup"), "warmup 1.5: %s", err.msg);
    bad = cfg;
    bad.lr = 0;
    rc = l2d_train_rejector(&bad, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "lr"), "lr 0: %s", err.msg);
    struct l2d_data wrongdim = tr.d;
    wrongdim.dim = 3;
    rc = l2d_train_rejector(&cfg, m, &toy, &wrongdim, tr.c, &va.d, va.c, rec, NULL, NULL, NULL,
                            &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "dim"), "wrong dim: %s", err.msg);
    struct l2d_surrogate_ops none = {.struct_size = sizeof(struct l2d_surrogate_ops)};
    struct l2d_surrogate_inst ns = {&none, NULL, "none", NULL, NULL, NULL, NULL, NULL};
    rc = l2d_train_rejector(&cfg, m, &ns, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    tap_ok(rc == L2D_EINVAL, "surrogate without loss: %s", err.msg);
    /* interruption */
    l2d_interrupted = 1;
    rc = l2d_train_rejector(&cfg, m, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    l2d_interrupted = 0;
    tap_ok(rc == L2D_EINTERRUPTED && strstr(err.msg, "epoch 1, batch 1"), "interrupted: %s",
           err.msg);
    l2d_model_destroy(m);

    /* (e) the lr schedule: x = 1, a constant gradient w, SGD; 16 rows,
     * batch 4 (exact in float), 5 epochs = 20 steps, warm-up 25% = 5 steps.
     * Each bias moves by -w_k * sum_t lr_t. */
    float ones[16];
    double zc[16 * A];
    for (int i = 0; i < 16; i++) ones[i] = 1;
    memset(zc, 0, sizeof zc);
    struct l2d_data d1 = {16, 1, ones, NULL, NULL, 0};
    struct l2d_surrogate_inst ls = {&lin_ops, NULL, "linear", NULL, NULL, NULL, NULL, NULL};
    double moved[2][A];
    for (int cos = 0; cos < 2; cos++) {
        struct l2d_train_cfg c4 = {5, 4, 0.1, L2D_OPT_SGD, 0.0, cos ? 0.25 : 0.0, cos, 0, 1, 0, 0.0};
        struct l2d_rng r;
        struct l2d_model *lm = NULL;
        l2d_rng_seed(&r, 5);
        l2d_model_create(&lm, &(struct l2d_arch){.kind = L2D_ARCH_MLP, .in = 1, .out = A, .n_hidden = 0, .hidden = NULL}, -1, &r, &err);
        float p0[2 * A], p1[2 * A]; /* W[A][1], then b[A] */
        l2d_model_get_params_host(lm, p0, &err);
        const float *w0 = p0, *b0 = p0 + A, *w1 = p1, *b1 = p1 + A;
        rc = l2d_train_rejector(&c4, lm, &ls, &d1, zc, NULL, NULL, rec, &res, NULL, NULL, &err);
        /* constant: 20 * 0.1 = 2. Warm-up: 0.1 * (1..5) / 5, sum 0.3; cosine
         * over steps 5..19: 0.05 * (1 + cos(pi k / 15)), k = 0..14, and
         * sum_k cos(pi k / 15) = 1 (the terms k, 15 - k cancel; k = 15 is
         * missing), so 0.05 * 16 = 0.8: in all 1.1 */
        l2d_model_get_params_host(lm, p1, &err);
        double sum = cos ? 1.1 : 2.0, check = 0;
        for (int t = 0; t < 20; t++) check += l2d_lr_at(0.1, t, 20, cos ? 5 : 0, cos);
        tap_close(check, sum, 1e-12, 0, cos ? "warm-up + cosine: sum of lr" : "constant: sum of lr");
        ok = rc == 0;
        for (int k = 0; k < A; k++) {
            moved[cos][k] = (double)b0[k] - b1[k];
            ok &= fabs(moved[cos][k] - LIN_W[k] * sum) < 1e-5 &&
                  fabs(((double)w0[k] - w1[k]) - LIN_W[k] * sum) < 1e-5;
        }
        tap_ok(ok, "%s: every parameter moved by -w_k * sum lr (bias 0 moved %.6f, want %.6f)",
               cos ? "cosine, warm-up 5 of 20 steps" : "constant", moved[cos][0], LIN_W[0] * sum);
        l2d_model_destroy(lm);
    }
    tap_ok(fabs(moved[0][1] - moved[1][1]) > 0.5, "cosine and constant schedules differ");

    /* train_batch through the model context: one forward/backward round
     * reproduces the plain loop bit for bit; dx = W^T dscores */
    struct tb_state tbs = {1, 0, 0};
    struct l2d_surrogate_inst tb = {&tb_ops, &tbs, "tb", NULL, NULL, NULL, NULL, NULL};
    struct l2d_train_cfg c5 = base_cfg();
    c5.epochs = 4;
    m1 = new_rejector(6, 0, NULL);
    m2 = new_rejector(6, 0, NULL);
    rc = l2d_train_rejector(&c5, m1, &toy, &tr.d, tr.c, &va.d, va.c, rec, NULL, NULL, NULL, &err);
    rc |= l2d_train_rejector(&c5, m2, &tb, &tr.d, tr.c, &va.d, va.c, rec2, &res, NULL, NULL, &err);
    tap_ok(rc == 0 && recs_equal(rec, rec2, c5.epochs) && same_params(m1, m2),
           "train_batch path = plain path, bit for bit (%s)", err.msg);
    tap_ok(!tbs.bad_view && tbs.max_dx_err < 1e-6,
           "model ctx: the MLP view on the CPU, dx = W^T dscores (max error %.3g)", tbs.max_dx_err);
    tap_ok(res.passes == (uint64_t)c5.epochs * tr.n, "passes through the context: %llu",
           (unsigned long long)res.passes);
    l2d_model_destroy(m2);
    tbs.rounds = 3;
    m2 = new_rejector(6, 0, NULL);
    rc = l2d_train_rejector(&c5, m2, &tb, &tr.d, tr.c, &va.d, va.c, rec2, &res, NULL, NULL, &err);
    tap_ok(rc == 0 && res.passes == 3 * (uint64_t)c5.epochs * tr.n,
           "3 rounds per batch: passes = 3 * epochs * n = %llu", (unsigned long long)res.passes);
    l2d_model_destroy(m1);
    l2d_model_destroy(m2);

    resnet_training(&tr, &va, &te);
    free_split(&tr);
    free_split(&va);
    free_split(&te);
    free_split(&va_rot);
    return tap_done();
}
