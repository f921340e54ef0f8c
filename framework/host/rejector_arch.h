/* The rejector's architecture from the [rejector] section and the data
 * set's shape. */
#ifndef L2D_HOST_REJECTOR_ARCH_H
#define L2D_HOST_REJECTOR_ARCH_H
#include <stddef.h>

#include "l2d/model.h"
#include "l2d/plugin.h"

/* arch = linear | mlp (hidden) | cnn (channels) | resnet4 (width), for rows
 * of info->dim features shaped info->shape (c, h, w) and A agents. sizes
 * (L2D_REJECTOR_MAX_LAYERS entries) holds the hidden sizes or channel
 * counts that *arch points to. */
int l2d_rejector_arch(const struct l2d_params *pr, const struct l2d_dataset_info *info, size_t A,
                      size_t *sizes, struct l2d_arch *arch, struct l2d_error *err);
#endif
