/* What one finished (or failed) run leaves behind: its training curve and
 * metrics, as the training code produces them and the store writes them.
 * Plain data; the strings belong to the caller. */
#ifndef L2D_HOST_RECORD_H
#define L2D_HOST_RECORD_H
#include <stddef.h>
#include <stdint.h>

/* struct l2d_epoch_rec: one epoch of rejector training (core/record.h).
 * A non-finite field (NaN: not measured; inf: diverged) is stored as NULL. */
#include "core/record.h"

/* A system metric: split "train" | "val" | "test", attack "clean" |
 * "untargeted" | "targeted:J", name "risk", "accuracy", "alloc_J", ... */
struct l2d_metric {
    const char *split, *attack, *name;
    double value;
};

/* An agent's own metric (agent_index in allocation order, the model first). */
struct l2d_agent_metric {
    int agent_index;
    const char *agent_name, *split, *name;
    double value;
};

struct l2d_run_record {
    const char *cell_id;   /* canonical cell id, e.g. "method=sard;train.nu=1;seed=0" */
    const char *method;
    int64_t seed;
    /* swept parameters, in the sweep's order ("seed" and "method" may be among
     * them; they are left out of the run's params text) */
    size_t nparams;
    const char *const *param_keys, *const *param_values;
    const char *status;    /* "done" or "failed" */
    const char *error;     /* why it failed (required when failed, NULL when done) */
    const char *device;    /* "cpu", "cuda:0", ...; may be NULL */
    double started_at, finished_at, seconds; /* Unix times; NaN = unknown */
    int best_epoch;        /* < 0: none */
    int64_t rejector_passes; /* < 0: unknown */
    size_t nepochs;
    const struct l2d_epoch_rec *epochs;
    size_t nmetrics;
    const struct l2d_metric *metrics;
    size_t nagent_metrics;
    const struct l2d_agent_metric *agent_metrics;
    /* What the device is (schema version 2); each may be NULL (stored as NULL):
     * device_name the CPU model or the GPU's name ("NVIDIA H200"); the CUDA
     * version the driver supports, the CUDA runtime's and cuDNN's, as text
     * ("12.8", "13.0", "9.19.0"), NULL on the CPU. Last in the struct so that
     * positional initialisers of the fields above still hold. */
    const char *device_name, *cuda_driver, *cuda_runtime, *cudnn;
    /* The cell's identity (schema version 3): cell_key its settings and seed,
     * setting_key its settings, 32 hex digits each (l2d_cellset_key); NULL
     * for none. claim_owner: the claim (l2d_store_claim) this run releases,
     * in the same transaction; NULL for none. */
    const char *cell_key, *setting_key, *claim_owner;
    /* Where the run's time went (schema version 4; NaN: unknown): loading the
     * data set and fitting the agents (0 when this process had them from an
     * earlier cell), and training the rejector; the rest of `seconds` is
     * evaluation and bookkeeping. */
    double agents_seconds, train_seconds;
};
#endif
