/* Device names, discovery and description. Host code: with the backend it
 * talks to the CUDA runtime; without it every CUDA question answers "none". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/device.h"

#ifdef L2D_HAVE_CUDA
#include <cuda_runtime_api.h>
#include <cudnn.h>
#endif

int l2d_cuda_built(void)
{
#ifdef L2D_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

int l2d_cuda_device_count(const char **why)
{
#ifdef L2D_HAVE_CUDA
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        if (why)
            *why = e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice
                       ? "no CUDA driver or device"
                       : cudaGetErrorString(e);
        (void)cudaGetLastError(); /* clear the sticky-free error */
        return 0;
    }
    if (n == 0 && why) *why = "no CUDA device";
    return n;
#else
    if (why) *why = "l2d was built without the CUDA backend";
    return 0;
#endif
}

int l2d_device_name_parse(const char *spec, int *cuda_index, struct l2d_error *err)
{
    if (!spec || !cuda_index) return l2d_seterr(err, L2D_EINVAL, "device: no device named");
    if (strcmp(spec, "cpu") == 0) {
        *cuda_index = -1;
        return 0;
    }
    long idx = 0;
    if (strcmp(spec, "cuda") != 0) {
        const char *p = strncmp(spec, "cuda:", 5) == 0 ? spec + 5 : NULL;
        char *end = NULL;
        errno = 0;
        if (p && *p >= '0' && *p <= '9') idx = strtol(p, &end, 10);
        if (!p || !end || *end || errno || idx > 1023)
            return l2d_seterr(err, L2D_EINVAL,
                              "device '%s': expected cpu, cuda or cuda:N (N a device number)",
                              spec);
    }
    *cuda_index = (int)idx;
    return 0;
}

int l2d_device_parse(const char *spec, int *cuda_index, struct l2d_error *err)
{
    int idx = -1, rc = l2d_device_name_parse(spec, &idx, err);
    if (rc) return rc;
    if (idx < 0) {
        *cuda_index = -1;
        return 0;
    }
    const char *why = NULL;
    int n = l2d_cuda_device_count(&why);
    if (n == 0)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "device '%s': no CUDA device here (%s)", spec,
                          why ? why : "none found");
    if (idx >= n)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "device '%s': there %s %d CUDA device%s (cuda:0%s%s)",
                          spec, n == 1 ? "is" : "are", n, n == 1 ? "" : "s",
                          n > 1 ? " .. cuda:" : "", n > 1 ? (n == 2 ? "1" : "N-1") : "");
    *cuda_index = (int)idx;
    return 0;
}

static void cpu_name(char *out, size_t cap)
{
    snprintf(out, cap, "cpu");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *c = strchr(line, ':');
        if (!c) break;
        c++;
        while (*c == ' ' || *c == '\t') c++;
        snprintf(out, cap, "%s", c);
        out[strcspn(out, "\n")] = 0;
        break;
    }
    fclose(f);
}

int l2d_device_info(int cuda_index, struct l2d_device_info *info, struct l2d_error *err)
{
    if (!info) return l2d_seterr(err, L2D_EINVAL, "device info: no output");
    memset(info, 0, sizeof *info);
    info->index = -1;
    if (cuda_index < 0) {
        cpu_name(info->name, sizeof info->name);
        return 0;
    }
#ifdef L2D_HAVE_CUDA
    struct cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, cuda_index);
    if (e != cudaSuccess)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda:%d: %s", cuda_index, cudaGetErrorString(e));
    info->cuda = 1;
    info->index = cuda_index;
    snprintf(info->name, sizeof info->name, "%s", p.name);
    info->cc_major = p.major;
    info->cc_minor = p.minor;
    info->sm_count = p.multiProcessorCount;
    info->mem_bytes = p.totalGlobalMem;
    if (cudaDriverGetVersion(&info->driver_version) != cudaSuccess) info->driver_version = 0;
    if (cudaRuntimeGetVersion(&info->runtime_version) != cudaSuccess) info->runtime_version = 0;
    info->cudnn_version = (int)cudnnGetVersion();
    return 0;
#else
    return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda:%d: l2d was built without the CUDA backend",
                      cuda_index);
#endif
}

int l2d_cuda_mem_used(int cuda_index, size_t *bytes, struct l2d_error *err)
{
    if (!bytes) return l2d_seterr(err, L2D_EINVAL, "memory in use: no output");
    *bytes = 0;
#ifdef L2D_HAVE_CUDA
    size_t fr = 0, tot = 0;
    cudaError_t e = cudaSetDevice(cuda_index);
    if (e == cudaSuccess) e = cudaMemGetInfo(&fr, &tot);
    if (e != cudaSuccess)
        return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda:%d: memory in use: %s", cuda_index,
                          cudaGetErrorString(e));
    *bytes = tot - fr;
    return 0;
#else
    return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda:%d: l2d was built without the CUDA backend",
                      cuda_index);
#endif
}

#ifndef L2D_HAVE_CUDA
int l2d_cuda_selftest(int cuda_index, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_EUNSUPPORTED, "cuda:%d: l2d was built without the CUDA backend",
                      cuda_index);
}
#endif
