/* The papers' published numbers (docs/protocols.md) that `l2d report --paper`
 * prints beside ours, and how our methods map to the papers' rows. */
#ifndef L2D_HOST_PAPER_H
#define L2D_HOST_PAPER_H
#include <stddef.h>

#include "host/report.h"

/* One published number, in the report's display units (accuracy in %). */
struct l2d_paper_cell {
    const char *attack; /* "clean", "untargeted"; NULL: targeted to agent `target` */
    int target;         /* agent index (0: the model) when attack is NULL */
    const char *metric;
    double value;
    int decimals; /* the paper's precision */
};

#define L2D_PAPER_MAX_CELLS 8

struct l2d_paper_row {
    const char *label;      /* the paper's name for the row: "Mao 2023a", "SARD" */
    const char *methods[3]; /* our method names for it (case-insensitive), NULL-ended */
    size_t ncells;
    struct l2d_paper_cell cells[L2D_PAPER_MAX_CELLS];
};

/* An agent's own metric, as the paper quotes it; agents match ours by index. */
struct l2d_paper_agent {
    const char *label;
    double value;
    int decimals;
};

struct l2d_paper {
    const char *name;  /* as on the command line: "mt-table1" */
    const char *title; /* "MT Table 1" */
    const char *config; /* the experiment that reproduces it: "experiments/mt_table1_housing.ini" */
    enum l2d_report_layout layout;
    const char *metric; /* the robustness layout's metric; NULL otherwise */
    size_t nrows;
    const struct l2d_paper_row *rows;
    const char *agent_metric; /* the agents' own metric (NULL: none quoted) */
    size_t nagents;
    const struct l2d_paper_agent *agents;
};

/* The paper table called name, or NULL. */
const struct l2d_paper *l2d_paper_find(const char *name);

/* "mt-table1, adv-table2": for messages. */
const char *l2d_paper_names(void);
#endif
