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
#ifdef __cplusplus
}
#endif
#endif
