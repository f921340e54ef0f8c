/* CPU threads of the engine. GEMM is the only threaded work; a run is
 * bit-for-bit repeatable for a fixed thread count. Small rejector GEMMs
 * lose to thread hand-off, so the default is one thread. */
#include "config.h"

#include <cblas.h>

#include "l2d/engine.h"

void l2d_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
