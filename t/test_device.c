/* Device names and discovery, on any machine: "cpu" always opens; bad
 * names and absent CUDA devices are errors that say what exists. */
#include <string.h>

#include "l2d/device.h"
#include "tap.h"

int main(void)
{
    struct l2d_error err = {0, ""};
    int idx = 7;
    tap_plan(11);
    tap_ok(l2d_device_parse("cpu", &idx, &err) == 0 && idx == -1, "cpu parses to index -1");
    const char *bad[] = {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "CPU", "cuda:+0"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err.msg[0] = 0;
        int rc = l2d_device_parse(bad[k], &idx, &err);
        tap_ok(rc == L2D_EINVAL && strstr(err.msg, bad[k]) && strstr(err.msg, "cuda:N"),
               "'%s' refused: %s", bad[k], err.msg);
    }
    const char *why = NULL;
    int n = l2d_cuda_device_count(&why);
    err.msg[0] = 0;
    int rc = l2d_device_parse("cuda:64", &idx, &err);
    tap_ok(rc == L2D_EUNSUPPORTED && strstr(err.msg, "cuda:64"),
           "cuda:64 (absent with %d devices) refused: %s", n, err.msg);
    struct l2d_device_info info;
    rc = l2d_device_info(-1, &info, &err);
    tap_ok(rc == 0 && !info.cuda && info.index == -1 && info.name[0], "the CPU describes itself: %s",
           info.name);
    if (n == 0)
        tap_ok(l2d_device_parse("cuda", &idx, &err) == L2D_EUNSUPPORTED && strstr(err.msg, why),
               "no device: 'cuda' refused with the reason: %s", err.msg);
    else
        tap_ok(l2d_device_parse("cuda", &idx, &err) == 0 && idx == 0, "'cuda' is cuda:0");
    return tap_done();
}
