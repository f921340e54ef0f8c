/* A small thread pool for work split in fixed chunks of rows (internal to
 * libl2d). Results do not depend on the thread count as long as each
 * thread's share is computed the same way whatever the count: see
 * l2d_pool_share. */
#ifndef L2D_CORE_POOL_H
#define L2D_CORE_POOL_H
#include <stddef.h>

typedef void (*l2d_pool_fn)(void *arg, int t, int nt);

/* fn(arg, t, nt) for t = 0 .. nt-1, t = 0 on the calling thread; returns
 * when all are done. Fewer threads (down to 1) where workers cannot be
 * started or the pool is busy. */
void l2d_pool_run(l2d_pool_fn fn, void *arg, int nt);
/* Threads for B rows of work: at least 512 rows each, at most the engine's
 * thread count (l2d_set_threads). */
int l2d_pool_threads_for(size_t B);
/* Rows [*r0, *r1) of thread t of nt, cut on multiples of `unit`. */
void l2d_pool_share(size_t B, size_t unit, int t, int nt, size_t *r0, size_t *r1);
#endif
