/* The data a cell trains on: the three splits of the data set and every
 * agent's answers on them. Built once per (data set, agents, seed) and
 * reused across the sweep cells that share them. */
#ifndef L2D_HOST_CELL_DATA_H
#define L2D_HOST_CELL_DATA_H
#include <stddef.h>
#include <stdint.h>
#include "l2d/plugin.h"

struct l2d_cfg;
struct l2d_registry;

#define L2D_MAX_AGENTS 64

struct l2d_split_buf {
    struct l2d_data data;
    float *x, *t;
    int32_t *y;
    /* per agent: answers (NULL where the agent gives none) */
    int32_t *yhat[L2D_MAX_AGENTS];
    float *that[L2D_MAX_AGENTS];
    double *cost[L2D_MAX_AGENTS];
};

struct l2d_cell_data {
    char *key;               /* what it was built from; equal keys share it */
    struct l2d_dataset_info info; /* points into the open data set */
    const struct l2d_dataset_ops *ds_ops;
    void *ds_state;          /* kept open: info's names and mean/std live there */
    size_t A;
    char *agent_name[L2D_MAX_AGENTS];
    char *agent_plugin[L2D_MAX_AGENTS];
    double query_cost[L2D_MAX_AGENTS];
    struct l2d_split_buf split[3];
};

/* Text identifying what cell data depends on: [dataset], every [agent.*]
 * section (query_cost excluded: it only enters the costs) and the seed. */
char *l2d_cell_data_key(const struct l2d_cfg *cfg, int64_t seed);

/* Load the data set, fit every agent and record its answers. `log` gets
 * one line per step (may be NULL). */
int l2d_cell_data_build(const struct l2d_cfg *cfg, const struct l2d_registry *reg, int64_t seed,
                        void (*log)(void *self, const char *msg), void *log_self,
                        struct l2d_cell_data **out, struct l2d_error *err);
void l2d_cell_data_free(struct l2d_cell_data *cd);


/* Before anything runs: for each distinct data configuration among the
 * cells, open the data set and create (without fitting) every agent, so a
 * missing data file or a parameter only the plugin can judge (a cluster
 * index above z) stops the experiment with nothing run or written. Errors
 * are L2D_EINVAL (L2D_ENOMEM aside) naming file:line, section and key. */
struct l2d_cell;
int l2d_cells_preflight(const struct l2d_cell *cells, size_t n, const struct l2d_registry *reg,
                        struct l2d_error *err);
#endif
