/* Compute devices: which one a run uses and what it is.
 *
 * A device is named by a string: "cpu", "cuda" (the first CUDA device) or
 * "cuda:N". Without the CUDA backend built in, or without a CUDA device,
 * only "cpu" opens. */
#ifndef L2D_DEVICE_H
#define L2D_DEVICE_H

#include <stddef.h>

#include "l2d/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a device is, as recorded with every run. Versions are as CUDA
 * encodes them (1000 * major + 10 * minor; cuDNN: its own encoding, e.g.
 * 91300 for 9.13.0); 0 on the CPU. */
struct l2d_device_info {
    int cuda;                  /* 0: the CPU; 1: a CUDA device */
    int index;                 /* CUDA device ordinal, -1 on the CPU */
    char name[256];            /* e.g. "NVIDIA H200", or the CPU model */
    int cc_major, cc_minor;    /* compute capability */
    int sm_count;
    size_t mem_bytes;
    int driver_version, runtime_version, cudnn_version;
};

/* 1 when libl2d was built with the CUDA backend. */
int l2d_cuda_built(void);

/* CUDA devices present (0 without the backend, a driver or a device).
 * When none, *why (may be NULL) says why, for messages. */
int l2d_cuda_device_count(const char **why);

/* The name alone: "cpu" | "cuda" | "cuda:N" into *cuda_index (-1 for the
 * CPU), L2D_EINVAL otherwise. Asks the CUDA runtime nothing, so a process
 * that forks workers can check names first (CUDA initialised before a
 * fork() is unusable in the child). */
int l2d_device_name_parse(const char *spec, int *cuda_index, struct l2d_error *err);

/* Parse "cpu" | "cuda" | "cuda:N" into *cuda_index (-1 for the CPU) and
 * check that the device is there: a CUDA device that is not is an
 * L2D_EUNSUPPORTED error naming it and the devices that are. */
int l2d_device_parse(const char *spec, int *cuda_index, struct l2d_error *err);

/* Describe device cuda_index (-1: the CPU). */
int l2d_device_info(int cuda_index, struct l2d_device_info *info, struct l2d_error *err);

/* Device memory in use on CUDA device cuda_index (total minus free, as the
 * driver counts it: every process and the CUDA context included), in
 * bytes. Creates the context on first use. For benchmarks: the memory a
 * run holds is the rise of this over its value before the run. */
int l2d_cuda_mem_used(int cuda_index, size_t *bytes, struct l2d_error *err);

/* Runs a tiny kernel on CUDA device cuda_index and checks its result:
 * proves that the kernels in libl2d load and run on this GPU (0 on
 * success). Without the backend: L2D_EUNSUPPORTED. */
int l2d_cuda_selftest(int cuda_index, struct l2d_error *err);

#ifdef __cplusplus
}
#endif
#endif
