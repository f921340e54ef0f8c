/* On a CUDA device: the library's kernels load and run, and the device
 * describes itself (name, versions). Skips where there is no device. */
#include <string.h>

#include "l2d/device.h"
#include "tap.h"

int main(void)
{
    const char *why = NULL;
    int n = l2d_cuda_device_count(&why);
    if (n == 0) tap_skip_all("no CUDA device");
    struct l2d_error err = {0, ""};
    tap_plan(3 * n);
    for (int d = 0; d < n; d++) {
        struct l2d_device_info info;
        int rc = l2d_device_info(d, &info, &err);
        tap_ok(rc == 0 && info.cuda && info.index == d && info.name[0], "cuda:%d is %s (sm_%d%d, %d SMs)",
               d, rc ? err.msg : info.name, info.cc_major, info.cc_minor, info.sm_count);
        tap_ok(info.driver_version > 0 && info.runtime_version > 0 && info.cudnn_version > 0,
               "cuda:%d: driver %d, runtime %d, cuDNN %d", d, info.driver_version,
               info.runtime_version, info.cudnn_version);
        rc = l2d_cuda_selftest(d, &err);
        tap_ok(rc == 0, "cuda:%d: a kernel of libl2d runs and computes right%s%s", d,
               rc ? ": " : "", rc ? err.msg : "");
    }
    return tap_done();
}
