/* The public l2d API: the plugin ABI, the engine, the model API and library utilities. */
#ifndef L2D_L2D_H
#define L2D_L2D_H
#include "l2d/plugin.h"
#include "l2d/engine.h"
#include "l2d/model.h"

#ifdef __cplusplus
extern "C" {
#endif
const char *l2d_version(void);
/* The commit the library was built from (`git describe --always --dirty`
 * at build time; the release version when built from a tarball). */
const char *l2d_build_commit(void);
/* "configure: ARGS; CFLAGS: FLAGS; CUDA: on|off" */
const char *l2d_build_options(void);
/* The BLAS the library runs on, as it describes itself (openblas_get_config()). */
const char *l2d_blas_config(void);
#ifdef __cplusplus
}
#endif
#endif
