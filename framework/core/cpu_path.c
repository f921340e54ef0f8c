/* Which CPU code paths the engine and the plugins take (l2d_cpu_path_set in
 * engine.h). One process-wide setting, because the hand-written kernels are
 * chosen deep inside calls (an MLP forward, a PGD step) that have no
 * per-call options, and tests and benchmarks need to force each of them.
 *
 * The setting is read from L2D_CPU_PATH the first time anything asks; the
 * library cannot print, so a bad value leaves the path at auto and is kept
 * for l2d_cpu_path_env() to report (the CLI refuses to start with it). */
#include "config.h"

#include "core/cpu_path.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/engine.h"

enum path { P_AUTO = 0, P_SCALAR, P_AVX2, P_GEMM, P_SMALL, P_COUNT };

static const char *const path_names[P_COUNT] = {"auto", "scalar", "avx2", "gemm", "small"};
#define PATH_LIST "auto, scalar, avx2, gemm, small"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_int cur = P_AUTO;
static int cpu_flags;                /* L2D_SIMD_* the CPU has */
static struct l2d_error env_err;     /* L2D_CPU_PATH's verdict, code 0 when fine */

static int detect(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") ? L2D_SIMD_AVX2 : 0) |
           (__builtin_cpu_supports("fma") ? L2D_SIMD_FMA : 0);
#else
    return 0;
#endif
}

/* What path p needs from the CPU; 0 when it runs anywhere. */
static int needs(int p)
{
    return p == P_AVX2 ? L2D_SIMD_AVX2 : p == P_SMALL ? L2D_SIMD_AVX2 | L2D_SIMD_FMA : 0;
}

/* Resolves name to a path this CPU can run; who names the source in the
 * message ("L2D_CPU_PATH" or "cpu path"). */
static int parse(const char *name, const char *who, int *out, struct l2d_error *err)
{
    for (int p = 0; p < P_COUNT; p++) {
        if (strcmp(name, path_names[p])) continue;
        if ((cpu_flags & needs(p)) != needs(p))
            return l2d_seterr(err, L2D_EUNSUPPORTED, "%s '%s' needs %s, which this CPU lacks",
                              who, name, p == P_SMALL ? "AVX2 and FMA" : "AVX2");
        *out = p;
        return 0;
    }
    return l2d_seterr(err, L2D_EINVAL, "%s '%.64s' is not one of %s", who, name, PATH_LIST);
}

static void init(void)
{
    cpu_flags = detect();
    const char *e = getenv("L2D_CPU_PATH");
    int p = P_AUTO;
    /* empty counts as unset, as for most variables a shell may leave blank */
    if (e && *e && parse(e, "L2D_CPU_PATH", &p, &env_err)) p = P_AUTO;
    atomic_store(&cur, p);
}

static int current(void)
{
    pthread_once(&init_once, init);
    return atomic_load_explicit(&cur, memory_order_relaxed);
}

int l2d_cpu_path_set(const char *name, struct l2d_error *err)
{
    pthread_once(&init_once, init);
    if (!name) return l2d_seterr(err, L2D_EINVAL, "cpu path: NULL name");
    int p;
    int rc = parse(name, "cpu path", &p, err);
    if (rc) return rc;
    atomic_store(&cur, p);
    return 0;
}

const char *l2d_cpu_path(void) { return path_names[current()]; }

int l2d_cpu_path_env(struct l2d_error *err)
{
    pthread_once(&init_once, init);
    if (!env_err.code) return 0;
    return l2d_seterr(err, env_err.code, "%s", env_err.msg);
}

int l2d_cpu_simd(void)
{
    const int p = current();
    return p == P_SCALAR ? 0 : cpu_flags;
}

int l2d_cpu_mlp_small(void)
{
    const int p = current();
    return (p == P_AUTO || p == P_SMALL) &&
           (cpu_flags & (L2D_SIMD_AVX2 | L2D_SIMD_FMA)) == (L2D_SIMD_AVX2 | L2D_SIMD_FMA);
}
