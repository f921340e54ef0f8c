/* The framework's own keys of each configuration section. Plugins add
 * theirs to the section that names them ([dataset], [agent.NAME], [train]
 * for the surrogate, [attack]). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "host/cfg_impl.h"

#define UNBOUNDED 1, 0 /* min > max: no range check */
#define NONNEG 0, INFINITY /* prints as "[0, inf]" */

static const struct l2d_param_spec experiment_keys[] = {
    {"name", L2D_PARAM_STRING, "", UNBOUNDED, NULL,
     "experiment name [A-Za-z0-9_.-]+ (default: the file's base name without .ini)"},
    {"seeds", L2D_PARAM_STRING, "0", UNBOUNDED, NULL,
     "comma-separated seeds (integers >= 0); every cell runs once per seed"},
    {"db", L2D_PARAM_STRING, "", UNBOUNDED, NULL,
     "result database (default: results/<name>.db)"},
    {"device", L2D_PARAM_STRING, "cpu", UNBOUNDED, NULL,
     "cpu, cuda (the first CUDA device) or cuda:N: where the rejectors are trained (l2d devices "
     "lists them; l2d run --device overrides). Recorded with each run, not part of the "
     "experiment's identity"},
    {"threads", L2D_PARAM_INT, "1", 1, 4096, NULL, "CPU threads"},
    {"description", L2D_PARAM_STRING, "", UNBOUNDED, NULL, "free text, stored with the results"},
    L2D_PARAMS_END};

static const struct l2d_param_spec dataset_keys[] = {
    {"plugin", L2D_PARAM_STRING, "synthetic", UNBOUNDED, NULL, "dataset plugin"},
    L2D_PARAMS_END};

static const struct l2d_param_spec agent_keys[] = {
    {"plugin", L2D_PARAM_STRING, NULL, UNBOUNDED, NULL, "agent plugin (required)"},
    {"query_cost", L2D_PARAM_DOUBLE, "0", NONNEG, NULL,
     "cost beta_j of deferring to this agent (scaled by cost.beta_scale)"},
    L2D_PARAMS_END};

static const struct l2d_param_spec cost_keys[] = {
    {"lambda_cla", L2D_PARAM_DOUBLE, "1", NONNEG, NULL, "weight of the 0-1 classification loss"},
    {"lambda_reg", L2D_PARAM_DOUBLE, "0", NONNEG, NULL, "weight of the regression loss"},
    {"reg", L2D_PARAM_ENUM, "smooth_l1", UNBOUNDED, "smooth_l1|l1|l2|abs|iou",
     "regression loss"},
    {"beta_scale", L2D_PARAM_DOUBLE, "1", NONNEG, NULL, "multiplies every agent's query_cost"},
    {"clip", L2D_PARAM_DOUBLE, "0", NONNEG, NULL, "upper clip of each cost (0: none)"},
    L2D_PARAMS_END};

static const struct l2d_param_spec rejector_keys[] = {
    {"arch", L2D_PARAM_ENUM, "mlp", UNBOUNDED, "linear|mlp|cnn|resnet4",
     "rejector architecture (cnn, resnet4: on the data set's c x h x w images)"},
    {"hidden", L2D_PARAM_STRING, "64", UNBOUNDED, NULL,
     "hidden layer sizes, comma-separated (mlp); empty for linear"},
    {"channels", L2D_PARAM_STRING, "16, 32", UNBOUNDED, NULL,
     "cnn: output channels of each conv3x3-BN-ReLU-maxpool2 stage, comma-separated"},
    {"width", L2D_PARAM_INT, "32", 1, 65536, NULL, "resnet4: channels of the stem and the block"},
    L2D_PARAMS_END};

static const struct l2d_param_spec train_keys[] = {
    {"surrogate", L2D_PARAM_STRING, "ce", UNBOUNDED, NULL, "surrogate loss plugin"},
    {"epochs", L2D_PARAM_INT, "20", 1, 1e6, NULL, "training epochs"},
    {"batch", L2D_PARAM_INT, "256", 1, 1e9, NULL, "mini-batch size"},
    {"lr", L2D_PARAM_DOUBLE, "1e-3", NONNEG, NULL, "learning rate (> 0)"},
    {"optimizer", L2D_PARAM_ENUM, "adam", UNBOUNDED, "sgd|adam|adamw", "optimiser"},
    {"weight_decay", L2D_PARAM_DOUBLE, "0", NONNEG, NULL, "weight decay"},
    {"schedule", L2D_PARAM_ENUM, "cosine", UNBOUNDED, "constant|cosine",
     "learning-rate schedule"},
    {"warmup", L2D_PARAM_DOUBLE, "0", 0, 1, NULL, "linear warm-up, as a fraction of all steps"},
    {"select", L2D_PARAM_ENUM, "val_risk", UNBOUNDED, "val_risk|val_adv_risk|last",
     "which epoch to keep: lowest validation risk, lowest validation risk under the "
     "untargeted [attack], or the last"},
    L2D_PARAMS_END};

static const struct l2d_param_spec attack_keys[] = {
    {"plugin", L2D_PARAM_STRING, "pgd", UNBOUNDED, NULL, "attack plugin"},
    L2D_PARAMS_END};

static const struct l2d_param_spec eval_keys[] = {
    {"attacks", L2D_PARAM_STRING, "clean", UNBOUNDED, NULL,
     "comma-separated: clean, untargeted, targeted (every agent), targeted:NAME"},
    {"split", L2D_PARAM_ENUM, "test", UNBOUNDED, "val|test", "split the metrics are taken on"},
    L2D_PARAMS_END};

struct section_info {
    const char *name; /* exact name, or a prefix ending in '.' */
    const struct l2d_param_spec *keys;
    enum l2d_kind kind;
    const char *plugin_key;
};

static const struct section_info sections[] = {
    {"experiment", experiment_keys, 0, NULL},
    {"dataset", dataset_keys, L2D_KIND_DATASET, "plugin"},
    {"agent.", agent_keys, L2D_KIND_AGENT, "plugin"},
    {"cost", cost_keys, 0, NULL},
    {"rejector", rejector_keys, 0, NULL},
    {"train", train_keys, L2D_KIND_SURROGATE, "surrogate"},
    {"attack", attack_keys, L2D_KIND_ATTACK, "plugin"},
    {"eval", eval_keys, 0, NULL},
    {"sweep", NULL, 0, NULL},
    {"method.", NULL, 0, NULL},
};

static const struct section_info *info(const char *section)
{
    for (size_t k = 0; k < sizeof sections / sizeof *sections; k++) {
        const char *n = sections[k].name;
        size_t len = strlen(n);
        if (n[len - 1] == '.') {
            /* agent.NAME, method.NAME: NAME is [a-z0-9_-]+ */
            if (!strncmp(section, n, len) && l2d_cfg_name_ok(section + len, 0))
                return &sections[k];
        } else if (!strcmp(section, n)) {
            return &sections[k];
        }
    }
    return NULL;
}

const struct l2d_param_spec *l2d_cfg_schema(const char *section)
{
    const struct section_info *s = info(section);
    return s ? s->keys : NULL;
}

int l2d_cfg_section_known(const char *section) { return info(section) != NULL; }

enum l2d_kind l2d_cfg_section_plugin(const char *section, const char **plugin_key)
{
    const struct section_info *s = info(section);
    if (plugin_key) *plugin_key = s ? s->plugin_key : NULL;
    return s ? s->kind : 0;
}
