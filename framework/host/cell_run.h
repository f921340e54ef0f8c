/* One cell of an experiment on prepared data: costs, training, evaluation. */
#ifndef L2D_HOST_CELL_RUN_H
#define L2D_HOST_CELL_RUN_H
#include <stddef.h>
#include <stdint.h>
#include "host/cell_data.h"
#include "host/record.h"

/* The most hidden layers a rejector MLP may have ([rejector] hidden). */
#define L2D_REJECTOR_MAX_LAYERS 16

/* How a cell runs, as opposed to what it computes (its cfg): who hears of
 * its progress and where its rejector is trained. */
struct l2d_cell_progress {
    void (*epoch)(void *self, int epoch, int epochs, double loss, double val_risk);
    void *self;
    int device;  /* -1: the CPU; N >= 0: cuda:N (checked to exist by the caller).
                    Set it: 0 is cuda:0. No settings at all (NULL) is the CPU. */
    void (*notice)(void *self, const char *msg); /* training's notices; may be NULL */
};

/* What a cell produced; owned here, freed by l2d_cell_result_free. */
struct l2d_cell_result {
    struct l2d_epoch_rec *epochs;
    size_t nepochs;
    int best_epoch;  /* the epoch kept, 1-based as epochs[].epoch; -1: none */
    int64_t passes;
    double train_seconds; /* in l2d_train_rejector; NaN when it did not run */
    struct l2d_metric *metrics;
    char **names;
    size_t nmetrics, capmetrics;
    struct l2d_agent_metric *agent;
    char **agent_names;
    size_t nagent, capagent;
    char **kept;         /* other strings the metrics point to */
    size_t nkept;
};

/* Train and evaluate the rejector of one cell (cfg is the cell's resolved
 * config). On failure r holds what was measured before it (the epochs). */
int l2d_cell_run(const struct l2d_cfg *cfg, const struct l2d_registry *reg,
                 const struct l2d_cell_data *cd, int64_t seed,
                 const struct l2d_cell_progress *progress, struct l2d_cell_result *r,
                 struct l2d_error *err);
void l2d_cell_result_free(struct l2d_cell_result *r);

struct l2d_metric_list;
/* Move the metrics of l (emptied) into r under split and attack; both
 * strings must outlive r. */
/* r takes ownership of s (freed with r, even when this fails). */
int l2d_cell_result_keep(struct l2d_cell_result *r, char *s, struct l2d_error *err);
int l2d_cell_result_add(struct l2d_cell_result *r, const char *split, const char *attack,
                        struct l2d_metric_list *l, struct l2d_error *err);
#endif
