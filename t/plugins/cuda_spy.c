/* LD_PRELOAD spy for t/workers_cuda.sh: logs the pid of every process
 * that asks the CUDA runtime about devices (to $L2D_SPY_LOG), then calls
 * the real function. CUDA initialised before a fork() is unusable in the
 * child, so `l2d run --devices` must not touch CUDA before it forks. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void note(const char *f)
{
    const char *path = getenv("L2D_SPY_LOG");
    FILE *o = path ? fopen(path, "a") : NULL;
    if (!o) return;
    fprintf(o, "%ld %s\n", (long)getpid(), f);
    fclose(o);
}

#define SPY(ret, name, params, args)                                                   \
    ret name params;                                                                   \
    ret name params                                                                    \
    {                                                                                  \
        note(#name);                                                                   \
        ret(*real) params = (ret(*) params)dlsym(RTLD_NEXT, #name);                    \
        return real ? real args : (ret)100; /* cudaErrorNoDevice */                    \
    }

SPY(int, cudaGetDeviceCount, (int *n), (n))
SPY(int, cudaSetDevice, (int d), (d))
SPY(int, cudaGetDeviceProperties_v2, (void *p, int d), (p, d))
SPY(int, cudaDriverGetVersion, (int *v), (v))
SPY(int, cudaRuntimeGetVersion, (int *v), (v))
SPY(int, cudaMemGetInfo, (size_t *f, size_t *t), (f, t))
