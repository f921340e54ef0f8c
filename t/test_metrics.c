/* Evaluation metrics on a hand-computed example: 4 samples, 3 agents,
 * classes and 2-d targets; a given allocation, the oracle, agents alone,
 * surrogate and gap, rejector allocation with ties, bad inputs. */
#include <math.h>
#include <string.h>

#include "core/metrics.h"
#include "core/train.h"
#include "tap.h"
#include "toy_surrogate.h"

static double get(const struct l2d_metric_list *l, const char *name)
{
    const struct l2d_metric_entry *m = l2d_metric_list_find(l, name);
    return m ? m->value : NAN;
}

/* The example. Targets t_i, class y_i; agent answers below. */
static const float X[4] = {0, 0, 0, 0};
static const int32_t Y[4] = {0, 1, 2, 1};
static const float T[8] = {0, 0, 1, 1, 2, 0, 0, 2};
static const int32_t YH0[4] = {0, 0, 2, 0}, YH1[4] = {1, 1, 2, 0}, YH2[4] = {0, 1, 0, 1};
static const float TH0[8] = {0.5f, 0, 1, 3, 2, 0, 0, 2};
static const float TH1[8] = {0, 0, 1, 1.5f, 4, 0, 1, 2};
static const float TH2[8] = {2, 0, 1, 0.5f, 2, 0.5f, 0, 2};
/* oracle: row 0 ties 0/2 -> 0; row 1 ties 1/2 -> 1; row 2 -> 0; row 3 -> 2 */
static const double C[12] = {0.2, 0.5, 0.2, 1.0, 0.0, 0.0, 0.0, 0.3, 1.0, 0.7, 0.7, 0.1};
/* C with query costs beta = (0, 0, 0.1) left out, where a cost had them */
static const double C0[12] = {0.2, 0.5, 0.1, 1.0, 0.0, 0.0, 0.0, 0.3, 0.9, 0.7, 0.7, 0.0};

int main(void)
{
    tap_plan(61);
    struct l2d_error err = {0, ""};
    struct l2d_data d = {4, 1, X, Y, T, 2};
    const int32_t *yh[3] = {YH0, YH1, YH2};
    const float *th[3] = {TH0, TH1, TH2};
    struct l2d_eval_in in = {&d, C, 3, yh, th, NULL};

    /* allocation [2, 1, 1, 0]: costs .2, 0, .3, .7; classes right, right,
     * right, wrong (yhat_0 = 0 vs 1); errors d = (2,0), (0,.5), (2,0), (0,0) */
    struct l2d_metric_list l = {0, 0, NULL};
    size_t alloc[4] = {2, 1, 1, 0};
    int rc = l2d_eval_alloc(&in, alloc, "", &l, &err);
    tap_ok(rc == 0 && l.n == 9, "eval_alloc: 9 metrics (rc %d, %zu, %s)", rc, l.n, err.msg);
    tap_close(get(&l, "risk"), 1.2 / 4, 1e-15, 0, "risk");
    tap_close(get(&l, "accuracy"), 0.75, 0, 0, "accuracy");
    /* ||d||^2 / 2 = 2, .125, 2, 0 -> mean 4.125 / 4 */
    tap_close(get(&l, "rmse"), sqrt(4.125 / 4), 1e-15, 0, "rmse");
    /* smooth_l1 sums: 1.5, .125, 1.5, 0 */
    tap_close(get(&l, "smooth_l1"), 3.125 / 4, 1e-15, 0, "smooth_l1");
    /* per-sample mean |d|: 1, .25, 1, 0 */
    tap_close(get(&l, "mae"), 2.25 / 4, 1e-15, 0, "mae");
    tap_close(get(&l, "alloc_0"), 0.25, 0, 0, "alloc_0");
    tap_close(get(&l, "alloc_1"), 0.5, 0, 0, "alloc_1");
    tap_close(get(&l, "alloc_2"), 0.25, 0, 0, "alloc_2");
    /* 3 of 4 rows go to an expert */
    tap_close(get(&l, "defer_rate"), 0.75, 0, 0, "defer_rate");
    tap_ok(!l2d_metric_list_find(&l, "risk_noquery"), "no risk_noquery without c0");
    tap_ok(strcmp(l.items[0].name, "risk") == 0, "risk comes first");

    /* oracle [0, 1, 0, 2] (ties to the lowest index) */
    size_t oa[4];
    l2d_oracle_alloc(C, 4, 3, oa);
    tap_ok(oa[0] == 0 && oa[1] == 1 && oa[2] == 0 && oa[3] == 2, "oracle allocation with ties: %zu %zu %zu %zu",
           oa[0], oa[1], oa[2], oa[3]);
    rc = l2d_eval_oracle(&in, &l, &err);
    tap_ok(rc == 0 && l.n == 18, "eval_oracle appends 9 metrics");
    tap_close(get(&l, "oracle_risk"), 0.3 / 4, 1e-15, 0, "oracle_risk");
    tap_close(get(&l, "oracle_accuracy"), 1.0, 0, 0, "oracle_accuracy");
    /* d = (.5,0), (0,.5), 0, 0 */
    tap_close(get(&l, "oracle_rmse"), 0.25, 1e-15, 0, "oracle_rmse");
    tap_close(get(&l, "oracle_smooth_l1"), 0.0625, 1e-15, 0, "oracle_smooth_l1");
    tap_close(get(&l, "oracle_mae"), 0.125, 1e-15, 0, "oracle_mae");
    tap_close(get(&l, "oracle_alloc_0"), 0.5, 0, 0, "oracle_alloc_0");
    tap_close(get(&l, "oracle_alloc_1"), 0.25, 0, 0, "oracle_alloc_1");
    tap_close(get(&l, "oracle_alloc_2"), 0.25, 0, 0, "oracle_alloc_2");
    tap_close(get(&l, "oracle_defer_rate"), 0.5, 0, 0, "oracle_defer_rate");
    tap_close(get(&l, "risk"), 0.3, 1e-15, 0, "earlier entries kept");
    l2d_metric_list_free(&l);

    /* agent 0 alone: costs .2 1 0 .7; classes right wrong right wrong;
     * d = (.5,0), (0,2), 0, 0 */
    rc = l2d_eval_agent(&in, 0, "a0_", &l, &err);
    tap_ok(rc == 0 && l.n == 5, "eval_agent: 5 metrics, no allocation (%zu)", l.n);
    tap_close(get(&l, "a0_risk"), 1.9 / 4, 1e-15, 0, "agent 0 risk");
    tap_close(get(&l, "a0_accuracy"), 0.5, 0, 0, "agent 0 accuracy");
    tap_close(get(&l, "a0_rmse"), sqrt((0.125 + 2.0) / 4), 1e-15, 0, "agent 0 rmse");
    tap_close(get(&l, "a0_smooth_l1"), (0.125 + 1.5) / 4, 1e-15, 0, "agent 0 smooth_l1");
    tap_close(get(&l, "a0_mae"), (0.25 + 1.0) / 4, 1e-15, 0, "agent 0 mae");
    l2d_metric_list_free(&l);
    /* agent 2 alone: costs .2 0 1 .1; classes right right wrong right;
     * d = (2,0), (0,-.5), (0,.5), 0 */
    rc = l2d_eval_agent(&in, 2, NULL, &l, &err);
    tap_close(get(&l, "risk"), 1.3 / 4, 1e-15, 0, "agent 2 risk");
    tap_close(get(&l, "accuracy"), 0.75, 0, 0, "agent 2 accuracy");
    tap_close(get(&l, "rmse"), sqrt((2 + 0.125 + 0.125) / 4), 1e-15, 0, "agent 2 rmse");
    tap_close(get(&l, "smooth_l1"), (1.5 + 0.125 + 0.125) / 4, 1e-15, 0, "agent 2 smooth_l1");
    tap_close(get(&l, "mae"), (1 + 0.25 + 0.25) / 4, 1e-15, 0, "agent 2 mae");
    l2d_metric_list_free(&l);

    /* an agent without targets (cost-only) drops the regression metrics;
     * a split without classes drops accuracy */
    const float *th_missing[3] = {TH0, NULL, TH2};
    struct l2d_eval_in in2 = {&d, C, 3, yh, th_missing, NULL};
    rc = l2d_eval_alloc(&in2, alloc, "", &l, &err);
    tap_ok(rc == 0 && l.n == 6 && !l2d_metric_list_find(&l, "rmse") &&
               l2d_metric_list_find(&l, "accuracy"),
           "agent without targets: risk, accuracy, allocations only");
    l2d_metric_list_free(&l);
    struct l2d_data d_noy = {4, 1, X, NULL, T, 2};
    struct l2d_eval_in in3 = {&d_noy, C, 3, yh, th, NULL};
    rc = l2d_eval_alloc(&in3, alloc, "", &l, &err);
    tap_ok(rc == 0 && l.n == 8 && !l2d_metric_list_find(&l, "accuracy"),
           "split without classes: no accuracy");
    l2d_metric_list_free(&l);

    /* the beta-free costs C0: risk_noquery beside risk, for the allocation
     * [2, 1, 1, 0] (C0 .1 0 .3 .7), the oracle [0, 1, 0, 2] (.2 0 0 0) and
     * agent 2 alone (.1 0 .9 0); risk and the rest as without C0 */
    struct l2d_eval_in in4 = {&d, C, 3, yh, th, C0};
    rc = l2d_eval_alloc(&in4, alloc, "", &l, &err);
    tap_ok(rc == 0 && l.n == 10 && !strcmp(l.items[9].name, "risk_noquery"),
           "with c0: 10 metrics, risk_noquery last (%zu)", l.n);
    tap_close(get(&l, "risk_noquery"), 1.1 / 4, 1e-15, 0, "risk_noquery");
    tap_close(get(&l, "risk"), 1.2 / 4, 1e-15, 0, "risk unchanged by c0");
    tap_close(get(&l, "defer_rate"), 0.75, 0, 0, "defer_rate unchanged by c0");
    rc = l2d_eval_oracle(&in4, &l, &err);
    tap_close(get(&l, "oracle_risk_noquery"), 0.2 / 4, 1e-15, 0, "oracle_risk_noquery");
    tap_close(get(&l, "oracle_risk"), 0.3 / 4, 1e-15, 0, "oracle_risk unchanged by c0");
    l2d_metric_list_free(&l);
    rc = l2d_eval_agent(&in4, 2, "", &l, &err);
    tap_ok(rc == 0 && l.n == 6 && !l2d_metric_list_find(&l, "defer_rate"),
           "agent alone with c0: 6 metrics, no defer_rate (%zu)", l.n);
    tap_close(get(&l, "risk_noquery"), 1.0 / 4, 1e-15, 0, "agent 2 risk_noquery");
    l2d_metric_list_free(&l);
    /* every row to the model: nothing deferred */
    size_t to_model[4] = {0, 0, 0, 0};
    rc = l2d_eval_alloc(&in, to_model, "", &l, &err);
    tap_close(get(&l, "defer_rate"), 0.0, 0, 0, "defer_rate 0 when the model answers all");
    l2d_metric_list_free(&l);

    /* bad inputs */
    size_t bad_alloc[4] = {0, 3, 0, 0};
    rc = l2d_eval_alloc(&in, bad_alloc, "", &l, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "row 1"), "allocation out of range: %s", err.msg);
    l2d_metric_list_free(&l);
    rc = l2d_eval_agent(&in, 3, "", &l, &err);
    tap_ok(rc == L2D_EINVAL, "agent out of range: %s", err.msg);
    rc = l2d_eval_alloc(&in, NULL, "", &l, &err);
    tap_ok(rc == L2D_EINVAL, "no allocation: %s", err.msg);
    rc = l2d_metric_list_add(&l, "a_very_long_prefix_for_a_metric_name_beyond_", "accuracy", 1, &err);
    tap_ok(rc == L2D_EINVAL && l.n == 0 && strstr(err.msg, "accuracy"), "name too long: %s",
           err.msg);
    l2d_metric_list_free(&l);

    /* surrogate and gap at zero scores (softmax 1/3):
     * row c = (0,1,1): tau = (2,1,1), loss 4 ln 3, inf 4 H(.5,.25,.25) = 6 ln 2
     * row c = (1,0,0): tau = (0,1,1), loss 2 ln 3, inf 2 ln 2 */
    struct l2d_surrogate_inst sur = {&toy_ops, NULL, "toy", NULL, NULL, NULL, NULL, NULL};
    const double zs[6] = {0, 0, 0, 0, 0, 0}, cc[6] = {0, 1, 1, 1, 0, 0};
    rc = l2d_eval_surrogate(&sur, zs, cc, 2, 3, "val_", &l, &err);
    tap_ok(rc == 0 && l.n == 2, "surrogate metrics: 2");
    tap_close(get(&l, "val_surrogate"), 3 * log(3.0), 1e-14, 0, "surrogate");
    tap_close(get(&l, "val_surrogate_gap"), 3 * log(3.0) - 4 * log(2.0), 1e-14, 0,
              "surrogate_gap");
    l2d_metric_list_free(&l);
    struct l2d_surrogate_ops noinf = toy_ops;
    noinf.infimum = NULL;
    struct l2d_surrogate_inst sur2 = {&noinf, NULL, "toy", NULL, NULL, NULL, NULL, NULL};
    rc = l2d_eval_surrogate(&sur2, zs, cc, 2, 3, "", &l, &err);
    tap_ok(rc == 0 && l.n == 1 && l2d_metric_list_find(&l, "surrogate"),
           "no infimum: no gap");
    l2d_metric_list_free(&l);
    const double nanscore[6] = {0, NAN, 0, 0, 0, 0};
    rc = l2d_eval_surrogate(&sur, nanscore, cc, 2, 3, "", &l, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "row 0"), "non-finite surrogate: %s", err.msg);
    l2d_metric_list_free(&l);

    /* rejector allocation: a linear rejector on x in R^2 with W = 0 except
     * row 2 = (1, 0), b = (0, 1, 1): agents 1 and 2 tie where x_0 = 0 */
    struct l2d_rng rng;
    l2d_rng_seed(&rng, 1);
    struct l2d_model *m = NULL;
    const struct l2d_arch lin = {.kind = L2D_ARCH_MLP, .in = 2, .out = 3, .n_hidden = 0, .hidden = NULL};
    rc = l2d_model_create(&m, &lin, -1, &rng, &err);
    tap_ok(rc == 0 && l2d_model_n_params(m) == 9, "linear rejector created");
    float p[9] = {0}, *W = p, *bias = p + 6; /* W[3][2], then b[3] */
    W[2 * 2 + 0] = 1;
    bias[0] = 0, bias[1] = 1, bias[2] = 1;
    l2d_model_set_params_host(m, p, &err);
    const float xr[10] = {0, 5, 1, 0, -1, 0, -2, 3, 0.5f, -7};
    struct l2d_data dr = {5, 2, xr, NULL, NULL, 0};
    size_t ra[5];
    double sc[15];
    rc = l2d_rejector_alloc(m, &dr, 3, ra, sc, &err);
    /* scores: (0,1,1) (0,1,2) (0,1,0) (0,1,-1) (0,1,1.5) */
    tap_ok(rc == 0 && ra[0] == 1 && ra[1] == 2 && ra[2] == 1 && ra[3] == 1 && ra[4] == 2,
           "rejector allocation, tie 1/2 -> 1: %zu %zu %zu %zu %zu", ra[0], ra[1], ra[2], ra[3],
           ra[4]);
    tap_ok(sc[3 * 4 + 2] == 1.5 && sc[3 * 3 + 2] == -1 && sc[1] == 1, "scores written");
    bias[1] = 0, bias[2] = 0;
    W[2 * 2 + 0] = 0;
    l2d_model_set_params_host(m, p, &err);
    rc = l2d_rejector_alloc(m, &dr, 3, ra, NULL, &err);
    tap_ok(rc == 0 && ra[0] == 0 && ra[4] == 0, "all scores equal -> model (agent 0)");
    rc = l2d_rejector_alloc(m, &dr, 2, ra, NULL, &err);
    tap_ok(rc == L2D_EINVAL, "wrong number of agents: %s", err.msg);
    bias[1] = NAN;
    l2d_model_set_params_host(m, p, &err);
    rc = l2d_rejector_alloc(m, &dr, 3, ra, NULL, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "row 0"), "non-finite score: %s", err.msg);
    l2d_model_destroy(m);
    return tap_done();
}
