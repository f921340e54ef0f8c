/* The papers' numbers, as quoted in docs/protocols.md. */
#include "config.h"

#include "host/paper.h"

#include <string.h>

#define CLEAN(metric, v, d) {"clean", -1, metric, v, d}
#define ATK(attack, v) {attack, -1, "rmse", v, 2}
#define TGT(j, v) {NULL, j, "rmse", v, 2}

/* MT Table 1 (MIMIC-IV): Acc (%), smooth-L1, allocation model / E1 / E2 */
static const struct l2d_paper_row mt_table1_rows[] = {
    {"Mao 2023a", {"mao2023a", NULL}, 5,
     {CLEAN("accuracy", 71.3, 1), CLEAN("smooth_l1", 1.45, 2), CLEAN("alloc_0", 0.60, 2),
      CLEAN("alloc_1", 0.01, 2), CLEAN("alloc_2", 0.39, 2)}},
    {"Mao 2024e", {"mao2024e", NULL}, 5,
     {CLEAN("accuracy", 50.7, 1), CLEAN("smooth_l1", 1.18, 2), CLEAN("alloc_0", 0.38, 2),
      CLEAN("alloc_1", 0.37, 2), CLEAN("alloc_2", 0.25, 2)}},
    {"MT", {"mt", NULL}, 5,
     {CLEAN("accuracy", 70.0, 1), CLEAN("smooth_l1", 1.28, 2), CLEAN("alloc_0", 0.66, 2),
      CLEAN("alloc_1", 0.12, 2), CLEAN("alloc_2", 0.22, 2)}},
};

/* ADV Table 2 (California Housing): RMSE clean, untargeted, targeted to
 * model / M1 / M2 / M3. The paper's baseline is Mao 2024e. */
static const struct l2d_paper_row adv_table2_rows[] = {
    {"baseline", {"baseline", "mao2024e", NULL}, 6,
     {ATK("clean", 0.17), ATK("untargeted", 0.29), TGT(0, 0.19), TGT(1, 0.40), TGT(2, 0.21), TGT(3, 0.41)}},
    {"SARD", {"sard", NULL}, 6,
     {ATK("clean", 0.17), ATK("untargeted", 0.17), TGT(0, 0.17), TGT(1, 0.18), TGT(2, 0.18), TGT(3, 0.18)}},
};

static const struct l2d_paper_agent adv_table2_agents[] = {
    {"model", 0.27, 2}, {"M1", 1.23, 2}, {"M2", 1.85, 2}, {"M3", 0.91, 2}};

#define N(a) (sizeof a / sizeof *a)

static const struct l2d_paper papers[] = {
    {"mt-table1", "MT Table 1", "experiments/mt_table1_housing.ini", L2D_REPORT_MT_TABLE1, NULL, N(mt_table1_rows), mt_table1_rows, NULL, 0, NULL},
    {"adv-table2", "ADV Table 2", "experiments/adv_table2_housing.ini", L2D_REPORT_ROBUSTNESS, "rmse", N(adv_table2_rows), adv_table2_rows, "rmse",
     N(adv_table2_agents), adv_table2_agents},
};

const struct l2d_paper *l2d_paper_find(const char *name)
{
    for (size_t k = 0; name && k < N(papers); k++)
        if (!strcmp(papers[k].name, name)) return &papers[k];
    return NULL;
}

const char *l2d_paper_names(void) { return "mt-table1, adv-table2"; }
