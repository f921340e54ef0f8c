#include "config.h"
#include "l2d/l2d.h"

const char *l2d_version(void) { return PACKAGE_VERSION; }
