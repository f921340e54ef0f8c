/* The device a run uses, as the results database records it: its canonical
 * name ("cpu", "cuda:N"), what it is, and the CUDA versions as text.
 * Built on l2d/device.h; used by `l2d run` (once, before any work) and
 * `l2d devices`. */
#ifndef L2D_HOST_DEVICE_DESC_H
#define L2D_HOST_DEVICE_DESC_H
#include <stddef.h>

#include "l2d/device.h"

struct l2d_device_desc {
    int index;                    /* -1: the CPU; N >= 0: cuda:N */
    char spec[16];                /* canonical: "cpu" or "cuda:N" ("cuda" is "cuda:0") */
    struct l2d_device_info info;  /* name, memory, compute capability, versions */
    /* "12.8", "13.0", "9.19.0"; "" on the CPU, or where the version is unknown
     * (the database stores NULL then) */
    char cuda_driver[16], cuda_runtime[16], cudnn[16];
};

/* Is spec a device name at all (cpu, cuda, cuda:N)? Says nothing of whether
 * the device is there. */
int l2d_device_spec_ok(const char *spec);

/* Name, check that it is there, and describe the device spec names. An
 * absent device is L2D_EUNSUPPORTED, a bad name L2D_EINVAL, both with
 * l2d_device_parse's message (which names the device and what exists). */
int l2d_device_describe(const char *spec, struct l2d_device_desc *d, struct l2d_error *err);

/* A CUDA version (1000 * major + 10 * minor, as cudaRuntimeGetVersion and
 * cudaDriverGetVersion give it) as "major.minor"; "" for 0 or less. */
void l2d_cuda_version_text(int v, char *buf, size_t n);
/* A cuDNN version (cudnnGetVersion: 10000 * major + 100 * minor + patch from
 * cuDNN 9 on, 1000 * major + 100 * minor + patch before) as
 * "major.minor.patch"; "" for 0 or less. */
void l2d_cudnn_version_text(int v, char *buf, size_t n);
#endif
