/* Writes the fixture database of t/report.sh through the store API:
 *   report_fixture DB
 * Numbers are chosen so that means and standard deviations can be checked
 * by hand (see the expected tables in t/report.sh). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "host/store.h"

static struct l2d_store *st;
static struct l2d_error err;

/* one run of `method` with swept params "k=v;k=v" (NULL: none): N metrics,
 * and, per agent, its `agent_metric` (NULL: accuracy 0.5) on split test */
static int run_ex(int64_t eid, const char *method, const char *param, int seed, const char *status, size_t nm,
                  const struct l2d_metric *m, const char *const *agents, size_t nagents, const char *agent_metric,
                  const double *agent_values)
{
    char cell[256], seed_s[16], pbuf[256];
    snprintf(seed_s, sizeof seed_s, "%d", seed);
    const char *keys[8] = {"method"}, *vals[8] = {method};
    size_t np = 1;
    snprintf(pbuf, sizeof pbuf, "%s", param ? param : "");
    for (char *tok = param ? strtok(pbuf, ";") : NULL; tok && np < 7; tok = strtok(NULL, ";")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        keys[np] = tok;
        vals[np++] = eq + 1;
    }
    keys[np] = "seed";
    vals[np++] = seed_s;
    if (param) snprintf(cell, sizeof cell, "method=%s;%s;seed=%d", method, param, seed);
    else snprintf(cell, sizeof cell, "method=%s;seed=%d", method, seed);
    struct l2d_agent_metric am[8];
    for (size_t j = 0; j < nagents; j++)
        am[j] = (struct l2d_agent_metric){(int)j, agents[j], "test", agent_metric ? agent_metric : "accuracy",
                                          agent_values ? agent_values[j] : 0.5};
    struct l2d_epoch_rec ep = {0, 1, 0.5, 1, 0.5, 0.25, NAN};
    int failed = !strcmp(status, "failed");
    struct l2d_run_record r = {
        .cell_id = cell, .method = method, .seed = seed, .nparams = np, .param_keys = keys, .param_values = vals,
        .status = status, .error = failed ? "diverged" : NULL, .device = "cpu",
        .started_at = 1e9, .finished_at = 1e9 + 1, .seconds = 1, .best_epoch = 0, .rejector_passes = 10,
        .nepochs = 1, .epochs = &ep, .nmetrics = nm, .metrics = m,
        .nagent_metrics = nagents, .agent_metrics = am,
    };
    return l2d_store_write_run(st, eid, &r, &err);
}

static int run(int64_t eid, const char *method, const char *param, int seed, const char *status, size_t nm,
               const struct l2d_metric *m, const char *const *agents, size_t nagents)
{
    return run_ex(eid, method, param, seed, status, nm, m, agents, nagents, NULL, NULL);
}

#define M(split, attack, name, v) {split, attack, name, v}
#define N(a) (sizeof a / sizeof *a)

/* `report_fixture DB extra`: ADV Table 2's methods and agents (agents named
 * so that their alphabetical order is not their index order), agents known
 * only from the config, and sweeps over attack.eps and over two cost/train
 * parameters for --plot. */
static int extra(void)
{
    int64_t adv, cfg, eps, beta, arch;
    int rc = l2d_store_experiment(st, "adv2",
                                  "[agent.model]\nplugin = network\n[agent.m1]\nplugin = network\n"
                                  "[agent.m2]\nplugin = network\n[agent.m3]\nplugin = network\n",
                                  11, "t", 0, NULL, &adv, &err);
    if (!rc) rc = l2d_store_experiment(st, "cfgagents", "[agent.zeta]\nplugin = a\n\n [agent.alpha]\nplugin = b\n",
                                       12, "t", 0, NULL, &cfg, &err);
    if (!rc) rc = l2d_store_experiment(st, "eps", "[sweep]\nattack.eps = 0, 0.1, 0.25\n", 13, "t", 0, NULL, &eps, &err);
    if (!rc) rc = l2d_store_experiment(st, "arch", "[sweep]\nrejector.arch = mlp\n", 15, "t", 0, NULL, &arch, &err);
    if (!rc) rc = l2d_store_experiment(st, "beta", "[sweep]\ncost.beta_scale = 0, 1\ntrain.nu = 1, 2\n", 14, "t", 0,
                                       NULL, &beta, &err);

    /* adv2: rmse per seed; clean, untargeted, targeted to model, m1, m2, m3.
     * The agents' own rmse is the same for every method of a seed. */
    static const char *const four[] = {"model", "m1", "m2", "m3"};
    static const double own[2][4] = {{0.26, 1.20, 1.85, 0.90}, {0.28, 1.26, 1.85, 0.92}};
    static const char *const atk[6] = {"clean", "untargeted", "targeted:model", "targeted:m1", "targeted:m2",
                                       "targeted:m3"};
    static const struct {
        const char *method;
        int seed;
        double rmse[6];
    } t2[] = {{"sard", 0, {0.17, 0.17, 0.17, 0.18, 0.18, 0.18}},
              {"baseline", 0, {0.17, 0.28, 0.19, 0.39, 0.21, 0.40}},
              {"sard", 1, {0.17, 0.17, 0.17, 0.18, 0.18, 0.18}},
              {"baseline", 1, {0.17, 0.30, 0.19, 0.41, 0.21, 0.42}},
              {"plain", 0, {0.2, 0.5, 0.3, 0.6, 0.4, 0.7}}};
    for (size_t k = 0; k < N(t2) && !rc; k++) {
        /* stored in an order that is neither alphabetical nor by agent */
        static const int order[6] = {5, 0, 2, 1, 3, 4};
        struct l2d_metric m[6];
        for (int i = 0; i < 6; i++) m[i] = (struct l2d_metric)M("test", atk[order[i]], "rmse", t2[k].rmse[order[i]]);
        rc = run_ex(adv, t2[k].method, NULL, t2[k].seed, "done", 6, m, four, 4, "rmse", own[t2[k].seed]);
    }

    /* cfgagents: no agent metrics, so the config's order (zeta, alpha) */
    const struct l2d_metric c0[] = {M("test", "targeted:alpha", "rmse", 0.3), M("test", "clean", "rmse", 0.1),
                                    M("test", "targeted:zeta", "rmse", 0.2)};
    if (!rc) rc = run(cfg, "m", NULL, 0, "done", N(c0), c0, NULL, 0);

    /* eps (train.nu swept too, with one value, which the plot leaves out):
     * rmse = base + slope * eps (+ 0.02 for seed 1), so each mean is
     * base + slope * eps + 0.01 and each std 0.02 / sqrt(2) = 0.0141421 */
    static const char *const eps_s[3] = {"0", "0.1", "0.25"};
    static const double eps_v[3] = {0, 0.1, 0.25};
    for (int e = 0; e < 3 && !rc; e++)
        for (int seed = 0; seed < 2 && !rc; seed++) {
            char param[64];
            snprintf(param, sizeof param, "train.nu=1;attack.eps=%s", eps_s[e]);
            double x = eps_v[e], d = 0.02 * seed;
            const struct l2d_metric mb[] = {M("test", "clean", "rmse", 0.2 + d),
                                            M("test", "untargeted", "rmse", 0.2 + 2 * x + d),
                                            M("test", "targeted:model", "rmse", 0.2 + x + d),
                                            M("test", "clean", "risk", 0.5)};
            const struct l2d_metric ms[] = {M("test", "clean", "rmse", 0.3 + d),
                                            M("test", "untargeted", "rmse", 0.3 + 0.4 * x + d),
                                            M("test", "targeted:model", "rmse", 0.3 + 0.2 * x + d),
                                            M("test", "clean", "risk", 0.5)};
            rc = run(eps, "baseline", param, seed, "done", N(mb), mb, four, 4);
            if (!rc) rc = run(eps, "sard", param, seed, "done", N(ms), ms, four, 4);
        }
    /* a failed run is not plotted */
    const struct l2d_metric fail[] = {M("test", "clean", "rmse", 9)};
    if (!rc) rc = run(eps, "sard", "train.nu=1;attack.eps=0.5", 0, "failed", N(fail), fail, four, 4);

    /* beta: one seed; risk = beta + nu, swept as beta (0, 1) x nu (1, 2) */
    for (int b = 0; b < 2 && !rc; b++)
        for (int nu = 1; nu <= 2 && !rc; nu++) {
            char param[64];
            snprintf(param, sizeof param, "cost.beta_scale=%d;train.nu=%d", b, nu);
            const struct l2d_metric mr[] = {M("test", "clean", "risk", b + nu)};
            rc = run(beta, "default", param, 0, "done", N(mr), mr, four, 2);
        }
    /* arch: a parameter that is not a number */
    const struct l2d_metric ma[] = {M("test", "clean", "risk", 0.5)};
    if (!rc) rc = run(arch, "default", "rejector.arch=mlp", 0, "done", N(ma), ma, four, 2);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "extra"))) {
        fprintf(stderr, "usage: report_fixture DB [extra]\n");
        return 2;
    }
    int64_t sweep, mt1, adv, empty;
    int rc = l2d_store_open(argv[1], &st, &err);
    if (!rc && argc == 3) {
        rc = extra();
        l2d_store_close(st);
        if (rc) fprintf(stderr, "report_fixture: %s\n", err.msg);
        return rc ? 1 : 0;
    }
    if (!rc) rc = l2d_store_experiment(st, "sweep", "[sweep]\ncost.beta_scale = 0.5, 1\n", 1, "t", 0, NULL, &sweep, &err);
    if (!rc) rc = l2d_store_experiment(st, "mt1", "[experiment]\nname = mt1\n", 2, "t", 0, NULL, &mt1, &err);
    if (!rc) rc = l2d_store_experiment(st, "adv", "[experiment]\nname = adv\n", 3, "t", 0, NULL, &adv, &err);
    if (!rc) rc = l2d_store_experiment(st, "empty", "[experiment]\nname = empty\n", 4, "t", 0, NULL, &empty, &err);

    /* sweep: sard at beta 0.5 and 1 (two seeds each), mt at 0.5 (one seed) */
    static const char *const two[] = {"model", "expert1"};
    const struct l2d_metric s0[] = {M("test", "clean", "risk", 0.2), M("test", "clean", "accuracy", 0.8),
                                    M("test", "clean", "alloc_0", 0.6), M("test", "clean", "alloc_1", 0.4),
                                    M("test", "untargeted", "risk", 0.5), M("val", "clean", "risk", 0.1)};
    const struct l2d_metric s1[] = {M("test", "clean", "risk", 0.3), M("test", "clean", "accuracy", 0.7),
                                    M("test", "clean", "alloc_0", 0.5), M("test", "clean", "alloc_1", 0.5),
                                    M("test", "untargeted", "risk", 0.6), M("val", "clean", "risk", 0.15)};
    const struct l2d_metric s2[] = {M("test", "clean", "risk", 0.4), M("test", "clean", "accuracy", 0.6),
                                    M("test", "clean", "alloc_0", 0.9), M("test", "clean", "alloc_1", 0.1)};
    const struct l2d_metric s3[] = {M("test", "clean", "risk", 0.4), M("test", "clean", "accuracy", 0.6),
                                    M("test", "clean", "alloc_0", 0.7), M("test", "clean", "alloc_1", 0.3)};
    const struct l2d_metric s4[] = {M("test", "clean", "risk", 0.35), M("test", "clean", "accuracy", 0.65),
                                    M("test", "clean", "alloc_0", 1), M("test", "clean", "alloc_1", 0)};
    const struct l2d_metric bad[] = {M("test", "clean", "risk", 0)};
    if (!rc) rc = run(sweep, "sard", "cost.beta_scale=0.5", 0, "done", N(s0), s0, two, 2);
    if (!rc) rc = run(sweep, "sard", "cost.beta_scale=0.5", 1, "done", N(s1), s1, two, 2);
    if (!rc) rc = run(sweep, "sard", "cost.beta_scale=1", 0, "done", N(s2), s2, two, 2);
    if (!rc) rc = run(sweep, "sard", "cost.beta_scale=1", 1, "done", N(s3), s3, two, 2);
    if (!rc) rc = run(sweep, "sard", "cost.beta_scale=1", 2, "failed", N(bad), bad, two, 2);
    if (!rc) rc = run(sweep, "mt", "cost.beta_scale=0.5", 0, "done", N(s4), s4, two, 2);

    /* mt1: MT Table 1's rows, two seeds each */
    static const char *const three[] = {"model", "expert 1", "expert 2"};
    const struct {
        const char *method;
        double acc[2], sl1[2], alloc[3];
    } t1[] = {{"mao2023a", {0.712, 0.714}, {1.44, 1.46}, {0.6, 0.01, 0.39}},
              {"mao2024e", {0.507, 0.507}, {1.18, 1.18}, {0.38, 0.37, 0.25}},
              {"mt", {0.70, 0.71}, {1.28, 1.30}, {0.66, 0.12, 0.22}}};
    for (size_t k = 0; k < N(t1) && !rc; k++)
        for (int seed = 0; seed < 2 && !rc; seed++) {
            const struct l2d_metric m[] = {M("test", "clean", "accuracy", t1[k].acc[seed]),
                                           M("test", "clean", "smooth_l1", t1[k].sl1[seed]),
                                           M("test", "clean", "alloc_0", t1[k].alloc[0]),
                                           M("test", "clean", "alloc_1", t1[k].alloc[1]),
                                           M("test", "clean", "alloc_2", t1[k].alloc[2])};
            rc = run(mt1, t1[k].method, NULL, seed, "done", N(m), m, three, 3);
        }

    /* adv: rmse under each attack (ADV Table 2's columns), two seeds */
    const struct {
        const char *method;
        double rmse[2][4]; /* seed; clean, untargeted, targeted:0, targeted:1 */
    } t2[] = {{"baseline", {{0.17, 0.29, 0.19, 0.40}, {0.17, 0.31, 0.19, 0.42}}},
              {"sard", {{0.17, 0.17, 0.17, 0.18}, {0.17, 0.18, 0.17, 0.18}}}};
    for (size_t k = 0; k < N(t2) && !rc; k++)
        for (int seed = 0; seed < 2 && !rc; seed++) {
            /* stored out of order: the report sorts the attacks */
            const struct l2d_metric m[] = {M("test", "targeted:1", "rmse", t2[k].rmse[seed][3]),
                                           M("test", "untargeted", "rmse", t2[k].rmse[seed][1]),
                                           M("test", "clean", "rmse", t2[k].rmse[seed][0]),
                                           M("test", "targeted:0", "rmse", t2[k].rmse[seed][2]),
                                           M("test", "clean", "accuracy", 0.5)};
            rc = run(adv, t2[k].method, NULL, seed, "done", N(m), m, two, 2);
        }
    l2d_store_close(st);
    if (rc) fprintf(stderr, "report_fixture: %s\n", err.msg);
    return rc ? 1 : 0;
}
