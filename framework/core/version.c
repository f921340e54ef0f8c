/* What this library is and how it was built: the release version, the
 * commit it was built from, the build options and the BLAS it runs on. */
#include "config.h"
#include "l2d/l2d.h"

#include "framework/core/build_commit.h" /* L2D_BUILD_COMMIT, made by the build */

/* OpenBLAS's own description ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
 * Haswell MAX_THREADS=64"); declared here, as cblas.h does not always. */
char *openblas_get_config(void);

#ifdef L2D_HAVE_CUDA
#define L2D_CUDA_ONOFF "on"
#else
#define L2D_CUDA_ONOFF "off"
#endif

const char *l2d_version(void) { return PACKAGE_VERSION; }

const char *l2d_build_commit(void) { return L2D_BUILD_COMMIT; }

const char *l2d_build_options(void)
{
    return "configure: " L2D_CONFIGURE_ARGS "; CFLAGS: " L2D_BUILD_CFLAGS "; CUDA: " L2D_CUDA_ONOFF;
}

const char *l2d_blas_config(void)
{
    const char *s = openblas_get_config();
    return s && *s ? s : "OpenBLAS (no configuration string)";
}
