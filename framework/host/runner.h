/* Running an experiment: expand the config into cells, and for each cell
 * load data, fit agents (cached across cells), compute costs, train and
 * evaluate the rejector, and store the run. Progress goes to a callback:
 * the library never prints. */
#ifndef L2D_HOST_RUNNER_H
#define L2D_HOST_RUNNER_H
#include <stddef.h>
#include "l2d/plugin.h"

enum l2d_run_event_kind {
    L2D_EV_PLAN,       /* n cells, n_todo to run in this shard */
    L2D_EV_CELL_START, /* cell i of n starts */
    L2D_EV_STAGE,      /* a step inside the cell: message says which */
    L2D_EV_EPOCH,      /* epoch/epochs, loss, val risk */
    L2D_EV_CELL_DONE,  /* message: headline metrics */
    L2D_EV_CELL_SKIP,  /* already in the database */
    L2D_EV_CELL_FAIL,  /* message: the error */
    L2D_EV_NOTICE,     /* message: something the user should know once (a
                          plugin on the slow path of a GPU run) */
    L2D_EV_CELL_STATUS /* --dry-run: message "done", "failed" or "to run" */
};

struct l2d_run_event {
    enum l2d_run_event_kind kind;
    size_t cell, ncells, ntodo;  /* cell is 1-based among the cells to run */
    const char *cell_id;
    int epoch, epochs;
    double loss, risk;
    const char *message;
    size_t nleft;                /* cells of the shard after this one that were
                                    not done when the sweep started: what is
                                    left to train (for an estimate of the time) */
};

typedef void (*l2d_run_event_fn)(void *self, const struct l2d_run_event *ev);

struct l2d_run_opts {
    const char *config_path;
    const char *const *sets;  /* "section.key=value" overrides, or "-section.key"
                                 to remove a key (--unset), applied in order */
    size_t nsets;
    const char *db_path;      /* NULL: experiment.db */
    const char *plugin_path;  /* extra search directories, ':'-separated */
    unsigned shard_index, shard_count; /* run cells k with k % count == index */
    int dry_run;              /* validate and list the cells, run nothing */
    l2d_run_event_fn event;
    void *event_self;
    const char *device;       /* "cpu", "cuda" or "cuda:N": overrides [experiment] device;
                                 NULL: the config's (default cpu) */
    double claim_lease;       /* seconds a claim on a cell lasts without renewal (it is
                                 renewed while the cell trains); 0: 300 */
    unsigned worker_index, worker_count; /* --jobs: this worker among the count (0, 0:
                                 alone); picks where its scan of the cells starts */
};

struct l2d_run_summary {
    size_t ncells, ran, skipped, failed;
    size_t others_failed; /* cells another worker of this sweep ran and failed */
    size_t waited;        /* times a cell was found claimed by another worker */
    size_t todo;          /* --dry-run: cells to run */
    int started;        /* 0: refused before any work (bad config or usage) */
    char db_path[1024];
    char experiment[256];
};

/* Several processes may run one experiment on one database at once: each
 * claims a cell (claims table) before training it, so each cell is trained
 * once; a process waits for cells others hold and returns when every cell of
 * its shard is done or failed. A claim lapses after claim_lease seconds
 * without renewal, or at once when its process is gone from this host, and
 * the cell is then retried.
 *
 * 0 when every cell ran (or was already done); L2D_EINVAL for a bad config
 * or --device name, L2D_EUNSUPPORTED for a device that is not there (nothing
 * ran, nothing written: sum->started = 0); a non-zero status with err naming
 * the first failure when some runs failed (those are recorded as failed in
 * the database).
 *
 * The device is where the cells run, not what they compute: it is left out
 * of the experiment's config text and hash and of the cell ids (a cell done
 * on one device is not run again on another), and each run records it. */
int l2d_run_experiment(const struct l2d_run_opts *opts, struct l2d_run_summary *sum,
                       struct l2d_error *err);
#endif
