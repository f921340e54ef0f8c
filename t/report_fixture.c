/* Writes the fixture database of t/report.sh through the store API:
 *   report_fixture DB
 * Numbers are chosen so that means and standard deviations can be checked
 * by hand (see the expected tables in t/report.sh). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "host/store.h"

static struct l2d_store *st;
static struct l2d_error err;

/* one done run: NP swept params (key=value strings), N metrics under `attack`
 * on split test, and the agents' names */
static int run(int64_t eid, const char *method, const char *param, int seed, const char *status,
               size_t nm, const struct l2d_metric *m, const char *const *agents, size_t nagents)
{
    char cell[256], seed_s[16], key[64] = "", val[64] = "";
    snprintf(seed_s, sizeof seed_s, "%d", seed);
    const char *keys[3] = {"method", key, "seed"}, *vals[3] = {method, val, seed_s};
    size_t np = 0;
    if (param) {
        const char *eq = strchr(param, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - param), param);
        snprintf(val, sizeof val, "%s", eq + 1);
        snprintf(cell, sizeof cell, "method=%s;%s;seed=%d", method, param, seed);
        np = 3;
    } else {
        snprintf(cell, sizeof cell, "method=%s;seed=%d", method, seed);
        keys[1] = "seed";
        vals[1] = seed_s;
        np = 2;
    }
    struct l2d_agent_metric am[8];
    for (size_t j = 0; j < nagents; j++) am[j] = (struct l2d_agent_metric){(int)j, agents[j], "test", "accuracy", 0.5};
    struct l2d_epoch_rec ep = {0, 1, 0.5, 1, 0.5, 0.25};
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

#define M(split, attack, name, v) {split, attack, name, v}
#define N(a) (sizeof a / sizeof *a)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: report_fixture DB\n");
        return 2;
    }
    int64_t sweep, mt1, adv, empty;
    int rc = l2d_store_open(argv[1], &st, &err);
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
