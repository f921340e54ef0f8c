/* `cifar` dataset: CIFAR-10 and CIFAR-100 in their binary version.
 *
 * `path` is the folder the tarball unpacks to (or the folder above it,
 * holding one of cifar-10-batches-bin and cifar-100-binary); the file
 * names tell the version:
 *   CIFAR-10  (cifar-10-batches-bin): data_batch_1.bin .. data_batch_5.bin,
 *             test_batch.bin; records of 1 label byte + 3072 pixel bytes;
 *   CIFAR-100 (cifar-100-binary): train.bin, test.bin; records of a coarse
 *             label byte, a fine label byte, then 3072 pixel bytes.
 * Each file may also be gzipped (NAME.gz). Pixels are 1024 red, 1024 green,
 * 1024 blue bytes, each plane 32 rows of 32: shape {3, 32, 32}, kept
 * channel-planar as in the files, byte / 255 in [0, 1] (lo = 0, hi = 1);
 * normalize = true standardises each channel by the training split's mean
 * and std.
 *
 * Test split = the test file; validation is carved from the training
 * files by the run seed (val_fraction). `labels` picks CIFAR-100's fine
 * (100) or coarse (20) classes. A file whose size is not a whole number of
 * records, or a label outside the classes, is an error naming the file and
 * the byte offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgset.h"
#include "l2d/plugin.h"

#define CIFAR_PIXELS 3072

static const struct l2d_param_spec cifar_params[] = {
    {"path", L2D_PARAM_STRING, NULL, 0, 0, NULL,
     "folder with data_batch_1..5.bin + test_batch.bin (CIFAR-10) or train.bin + test.bin "
     "(CIFAR-100), each may be .gz, or the folder above cifar-10-batches-bin or cifar-100-binary; "
     "relative: under data_dir"},
    {"labels", L2D_PARAM_ENUM, "fine", 0, 0, "fine|coarse",
     "CIFAR-100: the 100 fine classes or the 20 coarse superclasses (CIFAR-10: fine only)"},
    {"normalize", L2D_PARAM_BOOL, "false", 0, 0, NULL,
     "standardise pixels per channel by the training split's mean and std (default: pixels "
     "in [0, 1], so eps is in pixel units; normalising inside the model is better for attacks)"},
    {"val_fraction", L2D_PARAM_DOUBLE, "0.1", 0, 0.99, NULL,
     "fraction of the training files' rows for validation (picked by the run seed)"},
    {"train_limit", L2D_PARAM_INT, "0", 0, 1e9, NULL,
     "use only the first N training records (0: all), for quick runs"},
    {"test_limit", L2D_PARAM_INT, "0", 0, 1e9, NULL, "use only the first N test records (0: all)"},
    L2D_PARAMS_END};

static const char *const cifar10_names[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                              "dog",      "frog",       "horse", "ship", "truck"};

static const char *const cifar100_coarse[20] = {
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
};

static const char *const cifar100_fine[100] = {
    "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
    "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
    "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
    "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
    "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
    "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
    "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
    "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
    "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
    "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
    "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
    "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
    "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
    "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
    "table",       "tank",          "telephone", "television", "tiger",        "tractor",
    "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
    "willow_tree", "wolf",          "woman",     "worm"};

static void cifar_close(void *state)
{
    struct img_set *s = state;
    if (!s) return;
    img_set_free(s);
    free(s);
}

/* What one version's files look like. */
struct layout {
    const char *const *train; /* NULL-terminated */
    const char *test;
    size_t label_bytes; /* before the pixels */
    size_t label_at;    /* which of them is the class */
    unsigned n_classes;
};

/* Appends the records of one file to px/y (n rows so far, cap rows
 * allocated), at most `limit` rows in all (0: no limit). */
static int read_file(const char *dir, const char *base, const struct layout *L, size_t limit,
                     unsigned char **px, int32_t **y, size_t *n, size_t *cap, struct l2d_error *err)
{
    struct img_file f;
    int found, rc = img_open(&f, dir, base, &found, err);
    if (rc) return rc;
    if (!found)
        return l2d_seterr(err, L2D_EIO, "cifar: %s: no %s (or %s.gz) there", dir, base, base);
    const size_t rec = L->label_bytes + CIFAR_PIXELS;
    size_t want_rows = limit ? limit - *n : (SIZE_MAX / 2) / rec;
    unsigned char *b = NULL;
    size_t got = 0;
    rc = img_read_alloc(&f, want_rows * rec, &b, &got, err);
    if (!rc && got == 0)
        rc = l2d_seterr(err, L2D_EINVAL, "%s: byte 0: empty file%s", f.name, img_cut_note(&f));
    if (!rc && got % rec)
        rc = l2d_seterr(err, L2D_EINVAL,
                        "%s: byte %zu: a partial record (%zu of its %zu bytes): the file is not "
                        "whole %zu-byte records%s",
                        f.name, got - got % rec, got % rec, rec, rec, img_cut_note(&f));
    if (!rc && f.truncated_gz)
        rc = l2d_seterr(err, L2D_EIO, "%s: byte %zu: the gzip stream is cut short", f.name, got);
    size_t rows = rc ? 0 : got / rec;
    if (!rc && *n + rows > *cap) {
        size_t ncap = *cap ? *cap : rows;
        while (ncap < *n + rows) ncap *= 2;
        unsigned char *np = realloc(*px, ncap * CIFAR_PIXELS);
        if (np) *px = np;
        int32_t *ny = np ? realloc(*y, ncap * sizeof **y) : NULL;
        if (ny) *y = ny;
        if (!np || !ny)
            rc = l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f.name);
        else
            *cap = ncap;
    }
    for (size_t i = 0; !rc && i < rows; i++) {
        const unsigned char *r = b + i * rec;
        unsigned lab = r[L->label_at];
        if (lab >= L->n_classes) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: byte %zu: label %u outside 0..%u (record %zu)",
                            f.name, i * rec + L->label_at, lab, L->n_classes - 1, i + 1);
            break;
        }
        /* CIFAR-100 also checks the other label byte */
        if (L->label_bytes == 2) {
            unsigned other = r[1 - L->label_at], lim = L->label_at ? 20 : 100;
            if (other >= lim) {
                rc = l2d_seterr(err, L2D_EINVAL,
                                "%s: byte %zu: %s label %u outside 0..%u (record %zu)", f.name,
                                i * rec + (1 - L->label_at), L->label_at ? "coarse" : "fine", other,
                                lim - 1, i + 1);
                break;
            }
        }
        (*y)[*n + i] = (int32_t)lab;
        memcpy(*px + (*n + i) * CIFAR_PIXELS, r + L->label_bytes, CIFAR_PIXELS);
    }
    if (!rc) *n += rows;
    free(b);
    img_close(&f);
    return rc;
}

static int cifar_open(const struct l2d_params *p, const struct l2d_host *host, void **state,
                      struct l2d_error *err)
{
    *state = NULL;
    char dir[4096];
    int rc = img_resolve_dir(l2d_param_str(p, "path", ""), host ? host->data_dir : NULL, dir,
                             sizeof dir, "cifar", err);
    if (rc) return rc;
    int64_t tl = l2d_param_int(p, "train_limit", 0), sl = l2d_param_int(p, "test_limit", 0);
    if (tl < 0 || sl < 0)
        return l2d_seterr(err, L2D_EINVAL, "cifar: train_limit and test_limit must be >= 0");
    int coarse = !strcmp(l2d_param_str(p, "labels", "fine"), "coarse");
    static const char *const train10[] = {"data_batch_1.bin", "data_batch_2.bin",
                                          "data_batch_3.bin", "data_batch_4.bin",
                                          "data_batch_5.bin", NULL};
    static const char *const train100[] = {"train.bin", NULL};
    int has10 = img_exists(dir, "data_batch_1.bin"), has100 = img_exists(dir, "train.bin");
    if (!has10 && !has100) {
        /* the folder the tarballs unpack into: its one CIFAR subfolder */
        char sub10[4096 + 32], sub100[4096 + 32];
        snprintf(sub10, sizeof sub10, "%s/cifar-10-batches-bin", dir);
        snprintf(sub100, sizeof sub100, "%s/cifar-100-binary", dir);
        int in10 = img_exists(sub10, "data_batch_1.bin"), in100 = img_exists(sub100, "train.bin");
        if (in10 && in100)
            return l2d_seterr(err, L2D_EINVAL,
                              "cifar: %s holds both cifar-10-batches-bin and cifar-100-binary: "
                              "point path at one of them",
                              dir);
        if ((in10 || in100) && strlen(in10 ? sub10 : sub100) < sizeof dir) {
            snprintf(dir, sizeof dir, "%s", in10 ? sub10 : sub100);
            has10 = in10;
            has100 = in100;
        }
    }
    if (has10 && has100)
        return l2d_seterr(err, L2D_EINVAL,
                          "cifar: %s holds both CIFAR-10 (data_batch_1.bin) and CIFAR-100 "
                          "(train.bin) files: point path at one of them",
                          dir);
    if (!has10 && !has100)
        return l2d_seterr(err, L2D_EIO,
                          "cifar: %s: neither data_batch_1.bin (CIFAR-10) nor train.bin "
                          "(CIFAR-100) there (the binary versions, cifar-10-batches-bin or "
                          "cifar-100-binary)",
                          dir);
    if (has10 && coarse)
        return l2d_seterr(err, L2D_EINVAL,
                          "cifar: labels = coarse: CIFAR-10 (%s) has no coarse "
                          "labels",
                          dir);
    struct layout L;
    if (has10)
        L = (struct layout){train10, "test_batch.bin", 1, 0, 10};
    else
        L = (struct layout){train100, "test.bin", 2, coarse ? 0 : 1, coarse ? 20 : 100};
    struct img_set *s = calloc(1, sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "cifar: out of memory");
    size_t cap = 0;
    for (size_t k = 0; !rc && L.train[k] && !(tl && s->n_trainfile >= (size_t)tl); k++)
        rc = read_file(dir, L.train[k], &L, (size_t)tl, &s->train_px, &s->train_y, &s->n_trainfile,
                       &cap, err);
    cap = 0;
    if (!rc)
        rc = read_file(dir, L.test, &L, (size_t)sl, &s->test_px, &s->test_y, &s->n_test, &cap, err);
    if (!rc) {
        s->c = 3;
        s->h = 32;
        s->w = 32;
        s->dim = CIFAR_PIXELS;
        s->n_classes = L.n_classes;
        s->class_names = has10 ? cifar10_names : coarse ? cifar100_coarse : cifar100_fine;
        rc = img_set_finish(s, host ? host->seed : 0, l2d_param_double(p, "val_fraction", 0.1),
                            (int)l2d_param_int(p, "normalize", 0), "cifar", err);
    }
    if (!rc && host && host->log) {
        char msg[L2D_ERRMSG_MAX];
        snprintf(msg, sizeof msg,
                 "cifar: %.300s: CIFAR-%s, %zu + %zu images, %u classes; split %zu/%zu/%zu", dir,
                 has10 ? "10" : "100", s->n_trainfile, s->n_test, s->n_classes, s->count[0],
                 s->count[1], s->count[2]);
        host->log(host->log_self, msg);
    }
    if (rc) {
        cifar_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int cifar_info(void *state, struct l2d_dataset_info *info, struct l2d_error *err)
{
    (void)err;
    img_set_info(state, info);
    return 0;
}

static int cifar_batch(void *state, enum l2d_split split, const size_t *idx, size_t n, float *x,
                       int32_t *y, float *t, struct l2d_error *err)
{
    return img_set_batch(state, split, idx, n, x, y, t, err);
}

static const struct l2d_dataset_ops cifar_ops = {sizeof(struct l2d_dataset_ops), cifar_open,
                                                 cifar_info, cifar_batch, cifar_close};

static const struct l2d_plugin cifar_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_DATASET, "cifar", "1.0",
                      "CIFAR-10 / CIFAR-100 binary files (version told by the file names); "
                      "pixels in [0, 1], shape 3x32x32",
                      cifar_params, &cifar_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &cifar_plugin : NULL;
}
