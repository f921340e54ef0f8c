/* Helpers for the plugins' CUDA device ops (.cu files only): CUDA errors
 * turned into the plugin ABI's one-line errors, and scratch buffers that
 * grow on a call with a larger batch and live until the plugin's destroy.
 *
 * Device ops queue work on the caller's stream and never synchronise;
 * cudaMalloc/cudaFree do, which is why scratch only grows (the host makes
 * a run's first call with its largest batch, outside any graph capture). */
#ifndef L2D_PLUGINS_CUDA_UTIL_CUH
#define L2D_PLUGINS_CUDA_UTIL_CUH

#include <cuda_runtime.h>
#include <stddef.h>

#include "l2d/plugin.h"

static inline int l2d_cu_fail(cudaError_t e, struct l2d_error *err, const char *who,
                              const char *what)
{
    return l2d_seterr(err, L2D_EINTERNAL, "%s: %s: %s", who, what, cudaGetErrorString(e));
}

/* The launch status of the kernel just queued (a bad configuration shows
 * here; faults during the run show at the host's next synchronisation). */
static inline int l2d_cu_launched(struct l2d_error *err, const char *who, const char *kernel)
{
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? 0 : l2d_cu_fail(e, err, who, kernel);
}

/* *p holds at least `bytes` bytes of device memory afterwards (contents not
 * kept when it grows). */
static inline int l2d_cu_reserve(void **p, size_t *cap, size_t bytes, struct l2d_error *err,
                                 const char *who)
{
    if (bytes <= *cap && *p) return 0;
    if (*p) cudaFree(*p);
    *p = NULL;
    *cap = 0;
    cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        *p = NULL;
        cudaGetLastError(); /* clear the sticky-free error state */
        return l2d_seterr(err, L2D_ENOMEM, "%s: cannot allocate %zu bytes on the device: %s", who,
                          bytes, cudaGetErrorString(e));
    }
    *cap = bytes;
    return 0;
}

static inline unsigned l2d_cu_blocks(size_t n, unsigned threads)
{
    return (unsigned)((n + threads - 1) / threads);
}

#endif
