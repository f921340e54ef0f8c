/* The engine's thread pool: workers started on first use and kept; the
 * caller is thread 0. The count is OpenBLAS's (l2d_set_threads() sets it),
 * so the engine has one thread setting. Workers poll briefly between jobs
 * (a SARD step is a few hundred microseconds; waking a sleeping thread costs
 * tens), yielding often so that a CPU shared with the caller or another
 * program is not taken from it, then sleep. A caller that finds the pool busy (another thread of
 * the program in the engine) does the whole job itself. */
#include "config.h"

#include "core/pool.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#define POOL_MAX 16          /* threads at most, the caller included */
#define POOL_SPIN 4096       /* idle polls (16 pauses each, a yield every
                                16th) before a worker sleeps: about 1 ms */
#define POOL_MIN_ROWS 512    /* rows per thread below which one thread does it */

static struct {
    pthread_mutex_t mu;      /* held by the caller for a whole job */
    pthread_mutex_t sleep_mu;
    pthread_cond_t wake;
    int workers;             /* started */
    int sleeping;
    atomic_ulong gen;        /* job number */
    atomic_int pending;      /* workers yet to check in for the current job */
    l2d_pool_fn fn;
    void *arg;
    int nt;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .sleep_mu = PTHREAD_MUTEX_INITIALIZER,
        .wake = PTHREAD_COND_INITIALIZER};

/* The job number when worker t was started: jobs up to it are not its own
 * (written before pthread_create, which orders it before the worker). */
static unsigned long pool_start_gen[POOL_MAX];

static void *pool_worker(void *p)
{
    const int t = (int)(intptr_t)p;
    unsigned long seen = pool_start_gen[t];
    for (;;) {
        unsigned long g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.gen, memory_order_acquire)) == seen) {
            if (++spins < POOL_SPIN) {
                /* yield often: on a CPU shared with the caller (or anyone)
                 * a pure spin would take half of its time */
                if (spins % 16 == 0) sched_yield();
#if defined(__x86_64__) || defined(__i386__)
                for (int q = 0; q < 16; q++) __builtin_ia32_pause();
#endif
                continue;
            }
            pthread_mutex_lock(&pool.sleep_mu);
            pool.sleeping++;
            while (atomic_load_explicit(&pool.gen, memory_order_acquire) == seen)
                pthread_cond_wait(&pool.wake, &pool.sleep_mu);
            pool.sleeping--;
            pthread_mutex_unlock(&pool.sleep_mu);
            spins = 0;
        }
        seen = g;
        /* every worker checks in, those beyond nt without work: the caller
         * then knows none is still reading this job when it posts the next */
        if (t < pool.nt) pool.fn(pool.arg, t, pool.nt);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

/* A child of fork() has none of the workers: it starts its own. */
static void pool_atfork_child(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_mutex_init(&pool.sleep_mu, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.workers = 0;
    pool.sleeping = 0;
}

static void pool_once_init(void) { pthread_atfork(NULL, NULL, pool_atfork_child); }

static int engine_threads(void)
{
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : n;
}

void l2d_pool_run(l2d_pool_fn fn, void *arg, int nt)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (nt > 1) pthread_once(&once, pool_once_init);
    if (nt > 1 && pthread_mutex_trylock(&pool.mu) != 0) nt = 1;
    if (nt <= 1) {
        fn(arg, 0, 1);
        return;
    }
    while (pool.workers < nt - 1) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pool_start_gen[pool.workers + 1] = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        int ok = pthread_create(&th, &at, pool_worker, (void *)(intptr_t)(pool.workers + 1)) == 0;
        pthread_attr_destroy(&at);
        if (!ok) break;
        pool.workers++;
    }
    if (nt > pool.workers + 1) nt = pool.workers + 1;
    pool.fn = fn;
    pool.arg = arg;
    pool.nt = nt;
    atomic_store_explicit(&pool.pending, pool.workers, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
    pthread_mutex_lock(&pool.sleep_mu);
    if (pool.sleeping) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleep_mu);
    fn(arg, 0, nt);
    /* a worker that lost its CPU to another process needs it back */
    for (int spins = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; spins++) {
        if (spins > 256) {
            sched_yield();
            continue;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_unlock(&pool.mu);
}

int l2d_pool_threads_for(size_t B)
{
    int nt = engine_threads();
    while (nt > 1 && B / (size_t)nt < POOL_MIN_ROWS) nt--;
    return nt;
}

void l2d_pool_share(size_t B, size_t unit, int t, int nt, size_t *r0, size_t *r1)
{
    size_t units = (B + unit - 1) / unit;
    size_t u0 = units * (size_t)t / (size_t)nt, u1 = units * (size_t)(t + 1) / (size_t)nt;
    *r0 = u0 * unit < B ? u0 * unit : B;
    *r1 = u1 * unit < B ? u1 * unit : B;
}
