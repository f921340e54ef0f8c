/* [rejector] to struct l2d_arch. config_validate.c has already checked the
 * keys' syntax; what depends on the data set (its image shape) is the
 * model's to check, at l2d_model_create. */
#include "config.h"

#include "host/rejector_arch.h"

#include <string.h>

#include "host/cell_run.h"

int l2d_rejector_arch(const struct l2d_params *pr, const struct l2d_dataset_info *info, size_t A,
                      size_t *sizes, struct l2d_arch *arch, struct l2d_error *err)
{
    const char *kind = l2d_param_str(pr, "arch", "mlp");
    memset(arch, 0, sizeof *arch);
    arch->in = info->dim;
    arch->out = A;
    if (!strcmp(kind, "cnn") || !strcmp(kind, "resnet4")) {
        arch->in_c = info->shape[0];
        arch->in_h = info->shape[1];
        arch->in_w = info->shape[2];
        if (!strcmp(kind, "resnet4")) {
            arch->kind = L2D_ARCH_RESNET4;
            arch->width = (size_t)l2d_param_int(pr, "width", 32);
            return 0;
        }
        arch->kind = L2D_ARCH_CNN;
        int n = l2d_parse_sizes(l2d_param_str(pr, "channels", "16, 32"), sizes,
                                L2D_REJECTOR_MAX_LAYERS);
        if (n < 1)
            return l2d_seterr(err, L2D_EINVAL, "[rejector] channels: '%s' is not a list of sizes",
                              l2d_param_str(pr, "channels", ""));
        arch->n_channels = (size_t)n;
        arch->channels = sizes;
        return 0;
    }
    arch->kind = L2D_ARCH_MLP;
    if (strcmp(kind, "linear")) {
        int nh = l2d_parse_sizes(l2d_param_str(pr, "hidden", "64"), sizes, L2D_REJECTOR_MAX_LAYERS);
        if (nh < 0)
            return l2d_seterr(err, L2D_EINVAL, "[rejector] hidden: '%s' is not a list of sizes",
                              l2d_param_str(pr, "hidden", ""));
        arch->n_hidden = (size_t)nh;
        arch->hidden = sizes;
    }
    return 0;
}
