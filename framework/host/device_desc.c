/* The device a run uses, described for the results database and for
 * `l2d devices`. */
#include "config.h"

#include "host/device_desc.h"

#include <stdio.h>
#include <string.h>

int l2d_device_spec_ok(const char *spec)
{
    /* the name alone: looking for the device would initialise CUDA, and
     * `l2d run --devices` checks names before it forks its workers */
    int idx;
    struct l2d_error e = {0, ""};
    return spec && l2d_device_name_parse(spec, &idx, &e) == 0;
}

void l2d_cuda_version_text(int v, char *buf, size_t n)
{
    if (v <= 0) snprintf(buf, n, "%s", "");
    else snprintf(buf, n, "%d.%d", v / 1000, v % 1000 / 10);
}

void l2d_cudnn_version_text(int v, char *buf, size_t n)
{
    if (v <= 0) snprintf(buf, n, "%s", "");
    else if (v >= 90000) snprintf(buf, n, "%d.%d.%d", v / 10000, v % 10000 / 100, v % 100);
    else snprintf(buf, n, "%d.%d.%d", v / 1000, v % 1000 / 100, v % 100);
}

int l2d_device_describe(const char *spec, struct l2d_device_desc *d, struct l2d_error *err)
{
    if (!d) return l2d_seterr(err, L2D_EINVAL, "device: no output");
    memset(d, 0, sizeof *d);
    d->index = -1;
    int rc = l2d_device_parse(spec, &d->index, err);
    if (rc) return rc;
    if ((rc = l2d_device_info(d->index, &d->info, err))) return rc;
    if (d->index < 0) {
        snprintf(d->spec, sizeof d->spec, "cpu");
        return 0;
    }
    snprintf(d->spec, sizeof d->spec, "cuda:%d", d->index);
    l2d_cuda_version_text(d->info.driver_version, d->cuda_driver, sizeof d->cuda_driver);
    l2d_cuda_version_text(d->info.runtime_version, d->cuda_runtime, sizeof d->cuda_runtime);
    l2d_cudnn_version_text(d->info.cudnn_version, d->cudnn, sizeof d->cudnn);
    return 0;
}
