/* A cell on a CUDA device: until the CUDA training engine is in the build,
 * l2d_cell_run refuses it with a clear error, before any training and
 * without falling back to the CPU; the same cell on the CPU (device -1, or
 * no settings at all) trains and is measured. Runs on any machine: the
 * check does not look for a GPU (the runner's preflight does). Also: the
 * configuration accepts a well-formed device name whether or not the
 * device is here, and refuses a malformed one. */
#include "config.h"

#include <string.h>

#include "host/cell_data.h"
#include "host/cell_run.h"
#include "host/cfg.h"
#include "host/loader.h"
#include "l2d/device.h"
#include "tap.h"

static const struct l2d_param_spec no_params[] = {L2D_PARAMS_END};

static const struct l2d_param_spec *resolve(void *self, enum l2d_kind kind, const char *name)
{
    const struct l2d_loaded *it = l2d_registry_find(self, kind, name);
    if (!it) return NULL;
    return it->desc->params ? it->desc->params : no_params;
}

static int run_on(const struct l2d_cell *cell, const struct l2d_registry *reg,
                  const struct l2d_cell_data *cd, const struct l2d_cell_progress *pg,
                  struct l2d_cell_result *res, struct l2d_error *err)
{
    err->code = 0;
    err->msg[0] = 0;
    return l2d_cell_run(cell->cfg, reg, cd, cell->seed, pg, res, err);
}

int main(void)
{
    struct l2d_error err = {0, ""};
    struct l2d_registry reg = {0};
    struct l2d_cfg *cfg = NULL;
    if (l2d_registry_default(&reg, L2D_BUILD_PLUGIN_DIR, &err)) tap_skip_all(err.msg);
    if (l2d_cfg_load(L2D_ABS_SRCDIR "/t/data/e2e/sweep.ini", &cfg, &err)) tap_skip_all(err.msg);
    tap_plan(13);

    /* the configuration: the name is checked, not the device's presence */
    int rc = l2d_cfg_set(cfg, "experiment.device=cuda:7", &err);
    if (!rc) rc = l2d_cfg_validate(cfg, resolve, &reg, &err);
    tap_ok(rc == 0, "device = cuda:7 passes validation on any machine (%s)", rc ? err.msg : "ok");
    rc = l2d_cfg_set(cfg, "experiment.device=cuda", &err);
    if (!rc) rc = l2d_cfg_validate(cfg, resolve, &reg, &err);
    tap_ok(rc == 0, "device = cuda passes validation (%s)", rc ? err.msg : "ok");
    const char *bad[] = {"gpu", "cuda:x", "cuda:-1", "CUDA", "cpu:0", ""};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char set[64];
        snprintf(set, sizeof set, "experiment.device=%s", bad[k]);
        rc = l2d_cfg_set(cfg, set, &err);
        if (!rc) rc = l2d_cfg_validate(cfg, resolve, &reg, &err);
        char want[96];
        snprintf(want, sizeof want, "--set experiment.device: '%s' is not a device (cpu, cuda or cuda:N)",
                 bad[k]);
        tap_ok(rc == L2D_EINVAL && !strncmp(err.msg, want, strlen(want)), "device = '%s' refused: %s", bad[k],
               err.msg);
    }
    rc = l2d_cfg_unset(cfg, "experiment.device", &err);
    if (!rc) rc = l2d_cfg_set(cfg, "experiment.seeds=0", &err);
    if (!rc) rc = l2d_cfg_set(cfg, "train.epochs=2", &err);

    struct l2d_cell *cells = NULL;
    size_t n = 0;
    struct l2d_cell_data *cd = NULL;
    if (!rc) rc = l2d_cfg_expand(cfg, &cells, &n, &err);
    if (!rc) rc = l2d_cell_data_build(cells[0].cfg, &reg, cells[0].seed, NULL, NULL, &cd, &err);
    if (rc) {
        tap_diag("cannot build the cell: %s", err.msg);
        return 1;
    }

    struct l2d_cell_result res;
    struct l2d_cell_progress on_cuda0 = {NULL, NULL, 0, NULL}, on_cuda3 = {NULL, NULL, 3, NULL},
                             on_cpu = {NULL, NULL, -1, NULL};
    /* never a silent fall-back to the CPU: without a GPU a CUDA cell fails,
     * naming the device; with one it trains there */
    const int ngpu = l2d_cuda_device_count(NULL);
    rc = run_on(&cells[0], &reg, cd, &on_cuda0, &res, &err);
    if (ngpu == 0) {
        tap_ok(rc != 0 && !strncmp(err.msg, "cuda:0", 6), "device 0 without a GPU: refused: %s", err.msg);
        tap_ok(res.nepochs == 0 && res.nmetrics == 0 && res.best_epoch == -1 && res.passes == 0,
               "device 0: nothing trained, nothing measured (%zu epochs, %zu metrics)", res.nepochs,
               res.nmetrics);
    } else {
        tap_ok(rc == 0, "device 0: trained on the GPU (%s)", rc ? err.msg : "ok");
        tap_ok(res.nepochs == 2 && res.nmetrics > 0 && res.best_epoch >= 1,
               "device 0: trained and measured (%zu epochs, %zu metrics)", res.nepochs, res.nmetrics);
    }
    l2d_cell_result_free(&res);
    rc = run_on(&cells[0], &reg, cd, &on_cuda3, &res, &err);
    if (ngpu <= 3)
        tap_ok(rc != 0 && !strncmp(err.msg, "cuda:3", 6), "device 3 (absent): refused, named: %s",
               err.msg);
    else
        tap_ok(rc == 0, "device 3: trained");
    l2d_cell_result_free(&res);

    rc = run_on(&cells[0], &reg, cd, &on_cpu, &res, &err);
    tap_ok(rc == 0 && res.nepochs == 2 && res.nmetrics > 0 && res.best_epoch >= 1,
           "device -1 (the CPU): trained and measured (%s; %zu epochs, %zu metrics)", rc ? err.msg : "ok",
           res.nepochs, res.nmetrics);
    double risk = -1;
    for (size_t k = 0; k < res.nmetrics; k++)
        if (!strcmp(res.metrics[k].split, "test") && !strcmp(res.metrics[k].attack, "clean") &&
            !strcmp(res.metrics[k].name, "risk"))
            risk = res.metrics[k].value;
    l2d_cell_result_free(&res);
    rc = run_on(&cells[0], &reg, cd, NULL, &res, &err);
    double risk2 = -2;
    for (size_t k = 0; k < res.nmetrics; k++)
        if (!strcmp(res.metrics[k].split, "test") && !strcmp(res.metrics[k].attack, "clean") &&
            !strcmp(res.metrics[k].name, "risk"))
            risk2 = res.metrics[k].value;
    tap_ok(rc == 0 && risk >= 0 && risk2 == risk,
           "no settings (NULL) is the CPU: the same test risk, %.17g (%s)", risk2, rc ? err.msg : "ok");
    l2d_cell_result_free(&res);

    l2d_cell_data_free(cd);
    l2d_cells_free(cells, n);
    l2d_cfg_free(cfg);
    l2d_registry_free(&reg);
    return tap_done();
}
