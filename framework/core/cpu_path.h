/* The engine's side of the CPU path setting (core/cpu_path.c); the public
 * side is in l2d/engine.h. Internal to libl2d. */
#ifndef L2D_CORE_CPU_PATH_H
#define L2D_CORE_CPU_PATH_H

/* Whether an MLP whose shape fits may take the small path (mlp_small.c):
 * the CPU has AVX2 and FMA and the path is auto or small. */
int l2d_cpu_mlp_small(void);

#endif
