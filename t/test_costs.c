/* framework/core/costs.c: regression losses, the cost matrix (beta, clip,
 * direct costs), tau and the oracle rejector, all against hand-computed
 * numbers; and the errors for missing inputs. */
#include <math.h>
#include <string.h>

#include "core/costs.h"
#include "t/tap.h"

static void reg_losses(void)
{
    enum l2d_reg r = L2D_REG_L1;
    const char *names[] = {"smooth_l1", "l1", "l2", "abs", "iou"};
    int all = 1;
    for (int k = 0; k < 5; k++)
        all &= l2d_reg_parse(names[k], &r) == 0 && r == (enum l2d_reg)k &&
               !strcmp(l2d_reg_name(r), names[k]);
    tap_ok(all, "reg names parse to their enum and back");
    tap_ok(l2d_reg_parse("L1", &r) == L2D_EINVAL && l2d_reg_parse("mse", &r) == L2D_EINVAL &&
               l2d_reg_parse(NULL, &r) == L2D_EINVAL,
           "unknown reg names refused");

    const float p2[2] = {0.5f, -3}, z2[2] = {0, 0};
    /* smooth_l1: |0.5| < 1 -> 0.5^2/2 = 0.125; |-3| >= 1 -> 3 - 0.5 = 2.5 */
    tap_close(l2d_reg_loss(L2D_REG_SMOOTH_L1, p2, z2, 2), 2.625, 0, 1e-15, "smooth_l1 both branches");
    const float m1 = -1, z1 = 0, q = 0.999f;
    tap_close(l2d_reg_loss(L2D_REG_SMOOTH_L1, &m1, &z1, 1), 0.5, 0, 1e-15, "smooth_l1 at |d| = 1");
    tap_close(l2d_reg_loss(L2D_REG_SMOOTH_L1, &q, &z1, 1), 0.5 * (double)q * q, 0, 1e-15,
              "smooth_l1 just below |d| = 1 (quadratic)");
    tap_close(l2d_reg_loss(L2D_REG_L1, p2, z2, 2), 3.5, 0, 1e-15, "l1 = 0.5 + 3");
    tap_close(l2d_reg_loss(L2D_REG_L2, p2, z2, 2), 9.25, 0, 1e-15, "l2 = 0.25 + 9");
    tap_close(l2d_reg_loss(L2D_REG_ABS, p2, z2, 2), sqrt(9.25 / 2), 0, 1e-15, "abs = sqrt(mean d^2)");
    const float a1 = 2.5f, b1 = 4;
    tap_close(l2d_reg_loss(L2D_REG_ABS, &a1, &b1, 1), 1.5, 0, 1e-15, "abs, tdim 1 = |that - t|");
    tap_close(l2d_reg_loss(L2D_REG_L2, &b1, &b1, 1), 0, 0, 0, "l2 of equal values");

    const float A[4] = {0, 0, 2, 2}, B[4] = {1, 1, 3, 3};
    tap_close(l2d_reg_loss(L2D_REG_IOU, A, B, 4), 6.0 / 7, 0, 1e-15,
              "iou overlap: inter 1, union 7 -> 1 - 1/7");
    const float C[4] = {0, 0, 1, 1}, D[4] = {2, 2, 3, 3}, E[4] = {1, 0, 2, 1};
    tap_close(l2d_reg_loss(L2D_REG_IOU, C, D, 4), 1, 0, 0, "iou disjoint: 1");
    tap_close(l2d_reg_loss(L2D_REG_IOU, C, E, 4), 1, 0, 0, "iou touching edges: 1");
    tap_close(l2d_reg_loss(L2D_REG_IOU, A, A, 4), 0, 0, 0, "iou identical: 0");
    const float F[4] = {0, 0, 4, 4}, G[4] = {1, 1, 2, 2};
    tap_close(l2d_reg_loss(L2D_REG_IOU, F, G, 4), 15.0 / 16, 0, 1e-15, "iou contained: 1 - 1/16");
    const float H[4] = {0, 0, 0, 2}, I[4] = {2, 2, 1, 1};
    tap_close(l2d_reg_loss(L2D_REG_IOU, H, H, 4), 1, 0, 0, "iou degenerate (zero width) boxes: 1");
    tap_close(l2d_reg_loss(L2D_REG_IOU, I, G, 4), 1, 0, 0, "iou inverted box (x2 < x1): 1");
    tap_ok(isnan(l2d_reg_loss(L2D_REG_IOU, A, B, 3)), "iou with tdim 3: NaN");
    const float nanv[2] = {NAN, 0};
    tap_ok(isnan(l2d_reg_loss(L2D_REG_L2, nanv, z2, 2)), "non-finite prediction: NaN");
}

/* n = 3 samples, A = 3 agents: the model (class + target), an expert
 * (class + target), an expert with a direct cost. */
static const int32_t y[3] = {0, 1, 2};
static const float t[3] = {1, 2, 3};
static const int32_t yh0[3] = {0, 0, 2}, yh1[3] = {1, 1, 2};
static const float th0[3] = {1, 2.5f, 5}, th1[3] = {0, 2, 3};
static const double dc2[3] = {0.3, 0.0, 2.0};
static const double qc[3] = {5 /* ignored: the model's beta is 0 */, 0.1, 0.25};

static void cost_matrix(void)
{
    struct l2d_agent_preds P[3] = {{yh0, th0, NULL}, {yh1, th1, NULL}, {NULL, NULL, dc2}};
    struct l2d_cost_cfg cfg = {1, 0.5, L2D_REG_L1, 2, qc, 0};
    double c[9];
    struct l2d_error err = {0, ""};
    int rc = l2d_costs(&cfg, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == 0, "cost matrix computed (%s)", rc ? err.msg : "");
    /* agent 0: 1[yhat != y] + 0.5 |that - t|        = (0, 1 + 0.25, 0 + 1)
     * agent 1: idem + beta 2 * 0.1                  = (1.5, 0, 0) + 0.2
     * agent 2: direct cost + beta 2 * 0.25          = (0.3, 0, 2) + 0.5 */
    const double want[9] = {0, 1.7, 0.8, 1.25, 0.2, 0.5, 1, 0.2, 2.5};
    int ok = 1;
    for (int k = 0; k < 9; k++)
        ok &= fabs(c[k] - want[k]) < 1e-12;
    tap_ok(ok, "c = [[0 1.7 0.8] [1.25 0.2 0.5] [1 0.2 2.5]] (got [%g %g %g] [%g %g %g] [%g %g %g])",
           c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    cfg.clip = 2;
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == 0 && c[8] == 2 && fabs(c[2] - 0.8) < 1e-12 && fabs(c[3] - 1.25) < 1e-12,
           "clip 2: 2.5 -> 2, others unchanged (got %g)", c[8]);
    cfg.clip = -1;
    cfg.query_cost = NULL;
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == 0 && fabs(c[1] - 1.5) < 1e-12 && fabs(c[2] - 0.3) < 1e-12 && c[8] == 2,
           "no query cost: beta 0; clip <= 0: no clip");
    /* classification only (Mao et al. 2023a): no targets needed */
    struct l2d_cost_cfg cla = {1, 0, L2D_REG_L1, 1, NULL, 0};
    struct l2d_agent_preds Pc[2] = {{yh0, NULL, NULL}, {yh1, NULL, NULL}};
    rc = l2d_costs(&cla, 3, 2, y, NULL, 0, Pc, c, &err);
    tap_ok(rc == 0 && c[0] == 0 && c[1] == 1 && c[2] == 1 && c[3] == 0 && c[4] == 0 && c[5] == 0,
           "lambda_reg = 0: 0-1 costs only, no target needed");
    /* regression only, smooth_l1, no classes needed */
    struct l2d_cost_cfg regc = {0, 1, L2D_REG_SMOOTH_L1, 1, NULL, 0};
    struct l2d_agent_preds Pr[2] = {{NULL, th0, NULL}, {NULL, th1, NULL}};
    rc = l2d_costs(&regc, 3, 2, NULL, t, 1, Pr, c, &err);
    tap_ok(rc == 0 && c[0] == 0 && c[1] == 0.5 && c[2] == 0.125 && c[3] == 0 && c[4] == 1.5 &&
               c[5] == 0,
           "lambda_cla = 0: smooth_l1 costs only, no class needed");
}

static void cost_errors(void)
{
    double c[9];
    struct l2d_error err = {0, ""};
    struct l2d_cost_cfg cfg = {1, 0.5, L2D_REG_L1, 1, NULL, 0};
    struct l2d_agent_preds P[3] = {{yh0, th0, NULL}, {yh1, th1, NULL}, {NULL, NULL, dc2}};
    int rc = l2d_costs(&cfg, 3, 3, NULL, t, 1, P, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "no class labels"), "no classes: %s", err.msg);
    rc = l2d_costs(&cfg, 3, 3, y, NULL, 0, P, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "no regression target"), "no targets: %s", err.msg);
    struct l2d_agent_preds Q[3] = {{yh0, th0, NULL}, {NULL, th1, NULL}, {NULL, NULL, dc2}};
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, Q, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "agent 1 predicts no class"), "agent without class: %s",
           err.msg);
    struct l2d_agent_preds R[3] = {{yh0, th0, NULL}, {yh1, NULL, NULL}, {NULL, NULL, dc2}};
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, R, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "agent 1 predicts no regression"),
           "agent without target: %s", err.msg);
    struct l2d_cost_cfg iou = {0, 1, L2D_REG_IOU, 1, NULL, 0};
    rc = l2d_costs(&iou, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "iou"), "iou with tdim 1: %s", err.msg);
    struct l2d_cost_cfg neg = {-1, 0, L2D_REG_L1, 1, NULL, 0};
    rc = l2d_costs(&neg, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "lambda_cla"), "negative lambda_cla: %s", err.msg);
    struct l2d_cost_cfg nb = {1, 0, L2D_REG_L1, -1, qc, 0};
    rc = l2d_costs(&nb, 3, 3, y, t, 1, P, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "agent 1") && strstr(err.msg, "beta"),
           "negative beta: %s", err.msg);
    const float thn[3] = {1, NAN, 3};
    struct l2d_agent_preds S[3] = {{yh0, th0, NULL}, {yh1, thn, NULL}, {NULL, NULL, dc2}};
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, S, c, &err);
    tap_ok(rc == L2D_ENUMERIC && strstr(err.msg, "agent 1, sample 1"), "NaN prediction: %s",
           err.msg);
    const double dneg[3] = {0.1, -0.5, 0};
    struct l2d_agent_preds T[3] = {{yh0, th0, NULL}, {yh1, th1, NULL}, {NULL, NULL, dneg}};
    rc = l2d_costs(&cfg, 3, 3, y, t, 1, T, c, &err);
    tap_ok(rc == L2D_EINVAL && strstr(err.msg, "agent 2, sample 1") && strstr(err.msg, "negative"),
           "negative direct cost: %s", err.msg);
    /* an agent with a direct cost needs no class nor target, even with no labels */
    struct l2d_agent_preds U[2] = {{NULL, NULL, dc2}, {NULL, NULL, dc2}};
    rc = l2d_costs(&cfg, 3, 2, NULL, NULL, 0, U, c, &err);
    tap_ok(rc == 0 && c[0] == 0.3 && c[5] == 2, "direct costs only: labels not needed");
}

static void tau_argmin(void)
{
    const double c[3] = {0, 1.7, 0.8};
    double tau[3];
    l2d_tau(c, 3, tau);
    tap_ok(fabs(tau[0] - 2.5) < 1e-15 && fabs(tau[1] - 0.8) < 1e-15 && fabs(tau[2] - 1.7) < 1e-15,
           "tau of (0, 1.7, 0.8) = (2.5, 0.8, 1.7) (got %g %g %g)", tau[0], tau[1], tau[2]);
    const double big[3] = {1e20, 1, 2};
    l2d_tau(big, 3, tau);
    tap_ok(tau[0] == 3 && tau[1] == 1e20 + 2 && tau[2] == 1e20 + 1,
           "tau keeps a small entry next to a large cost exactly (tau_0 = %.17g)", tau[0]);
    const double one[2] = {4, 7};
    l2d_tau(one, 2, tau);
    tap_ok(tau[0] == 7 && tau[1] == 4, "A = 2: tau swaps the costs");
    const double t1[3] = {1, 0.5, 0.5}, t2[3] = {0, 0, 0}, t3[5] = {3, 2, 2, 1, 1},
                 t4[3] = {0.2, 0.1, 0.3};
    tap_ok(l2d_argmin_cost(t1, 3) == 1, "argmin (1, .5, .5) = 1 (tie to lowest)");
    tap_ok(l2d_argmin_cost(t2, 3) == 0, "argmin of equal costs = 0 (the model)");
    tap_ok(l2d_argmin_cost(t3, 5) == 3, "argmin (3, 2, 2, 1, 1) = 3");
    tap_ok(l2d_argmin_cost(t4, 3) == 1, "argmin (.2, .1, .3) = 1");
}

int main(void)
{
    tap_plan(42);
    reg_losses();
    cost_matrix();
    cost_errors();
    tau_argmin();
    return tap_done();
}
