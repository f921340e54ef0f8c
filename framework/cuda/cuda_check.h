/* Checking CUDA runtime calls in libl2d's host code: a failed call becomes
 * a status and a one-line message naming the device, the place and the
 * CUDA error (no printing, no exit). For functions with `int rc`, a
 * `struct l2d_error *err` and an `out:` label. */
#ifndef L2D_CUDA_CHECK_H
#define L2D_CUDA_CHECK_H
#include <cuda_runtime_api.h>

#include "l2d/plugin.h"

/* An out-of-memory failure is L2D_ENOMEM; anything else is a fault of the
 * device or of this code, L2D_EINTERNAL. */
static inline int l2d_cuda_status(cudaError_t e)
{
    return e == cudaErrorMemoryAllocation ? L2D_ENOMEM : L2D_EINTERNAL;
}

#define L2D_CK(dev, what, call)                                                                \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) {                                                               \
            rc = l2d_seterr(err, l2d_cuda_status(e_), "cuda:%d %s: %s", (dev), (what),         \
                            cudaGetErrorString(e_));                                           \
            goto out;                                                                          \
        }                                                                                      \
    } while (0)
#endif
