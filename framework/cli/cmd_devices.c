/* `l2d devices`: the devices a run can use, and `l2d --version`'s line on
 * the CUDA backend. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "host/device_desc.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

void l2d_cli_cuda_line(FILE *f)
{
    if (!l2d_cuda_built()) {
        fprintf(f, "CUDA backend: not built in\n");
        return;
    }
    const char *why = NULL;
    int n = l2d_cuda_device_count(&why);
    if (n > 0) fprintf(f, "CUDA backend: built in, %d device%s visible\n", n, n == 1 ? "" : "s");
    else fprintf(f, "CUDA backend: built in, 0 devices visible (%s)\n", why ? why : "none found");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: l2d devices\n"
               "List the devices l2d run --device can use: the CPU, then every CUDA device\n"
               "(cuda:N) with its name, memory, compute capability and the versions of the\n"
               "CUDA driver, runtime and cuDNN; or why there is none.\n"
               "Exit status: 0, or 1 when a device cannot be described.\n");
}

static void print_cpu(void)
{
    struct l2d_device_desc d;
    struct l2d_error err = {0, ""};
    if (l2d_device_describe("cpu", &d, &err)) {
        printf("%-8s (cannot describe: %s)\n", "cpu", err.msg);
        return;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES),
         page = sysconf(_SC_PAGESIZE);
    printf("%-8s %s  (", "cpu", d.info.name);
    if (cores > 0) printf("%ld core%s", cores, cores == 1 ? "" : "s");
    if (pages > 0 && page > 0) printf("%s%.1f GiB memory", cores > 0 ? ", " : "", (double)pages * (double)page / GIB);
    printf(")\n");
}

int l2d_cmd_devices(int argc, char **argv)
{
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) return usage(stdout), 0;
        if (argv[k][0] == '-') return cli_usage_error("devices", "unknown option '%s'", argv[k]);
        return cli_usage_error("devices", "unexpected argument '%s'", argv[k]);
    }
    print_cpu();
    const char *why = NULL;
    int n = l2d_cuda_device_count(&why), rc = 0;
    if (n == 0) printf("%-8s no CUDA device (%s)\n", "cuda", why ? why : "none found");
    for (int i = 0; i < n; i++) {
        char spec[16];
        snprintf(spec, sizeof spec, "cuda:%d", i);
        struct l2d_device_desc d;
        struct l2d_error err = {0, ""};
        if (l2d_device_describe(spec, &d, &err)) {
            printf("%-8s (cannot describe: %s)\n", spec, err.msg);
            rc = 1;
            continue;
        }
        printf("%-8s %s  (%.1f GiB memory, compute capability %d.%d, %d SMs; CUDA driver %s, "
               "runtime %s, cuDNN %s)\n",
               d.spec, d.info.name, (double)d.info.mem_bytes / GIB, d.info.cc_major, d.info.cc_minor,
               d.info.sm_count, *d.cuda_driver ? d.cuda_driver : "?",
               *d.cuda_runtime ? d.cuda_runtime : "?", *d.cudnn ? d.cudnn : "?");
    }
    return rc;
}
