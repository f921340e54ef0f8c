/* `idx` dataset: MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, ...).
 *
 * `path` is a folder holding the four standard files
 *   train-images-idx3-ubyte  train-labels-idx1-ubyte
 *   t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte
 * each plain or gzipped (NAME.gz; also the "train-images.idx3-ubyte"
 * spelling). The default is the folder of Debian's dataset-fashion-mnist
 * package. IDX: a 4-byte magic (0, 0, type 0x08 = unsigned byte, number of
 * dimensions), one big-endian 32-bit size per dimension, then the data;
 * images have 3 dimensions (count, rows, columns), labels 1 (count).
 *
 * Test split = the t10k files; the validation split is carved from the
 * training files by the run seed (val_fraction), the rest trains.
 * train_limit / test_limit keep only the first N rows of those files.
 * Pixels are byte / 255 in [0, 1], shape {1, rows, cols}, lo = 0, hi = 1;
 * no standardisation unless normalize = true (then per channel, by the
 * training split's mean and std, with lo/hi and mean/std to match).
 *
 * Every header field and every read is checked: a bad magic, a wrong
 * number of dimensions, sizes that disagree between files, a file that is
 * short, too long, or a gzip stream that is cut or corrupt are errors
 * naming the file and the byte offset in its (uncompressed) content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgset.h"
#include "l2d/plugin.h"

#define IDX_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define IDX_MAX_SIDE 4096

static const struct l2d_param_spec idx_params[] = {
    {"path", L2D_PARAM_STRING, IDX_DEFAULT_DIR, 0, 0, NULL,
     "folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
     "t10k-labels-idx1-ubyte (each may be .gz); default: Debian's dataset-fashion-mnist"},
    {"labels", L2D_PARAM_ENUM, "auto", 0, 0, "auto|fashion|digits|none",
     "class names: Fashion-MNIST's, the digits 0-9, or none; auto: fashion when the path "
     "contains 'fashion', digits when it contains 'mnist'"},
    {"normalize", L2D_PARAM_BOOL, "false", 0, 0, NULL,
     "standardise pixels per channel by the training split's mean and std (default: pixels "
     "in [0, 1], so eps is in pixel units; normalising inside the model is better for attacks)"},
    {"val_fraction", L2D_PARAM_DOUBLE, "0.1", 0, 0.99, NULL,
     "fraction of the training files' rows for validation (picked by the run seed)"},
    {"train_limit", L2D_PARAM_INT, "0", 0, 1e9, NULL,
     "use only the first N rows of the training files (0: all), for quick runs"},
    {"test_limit", L2D_PARAM_INT, "0", 0, 1e9, NULL,
     "use only the first N rows of the t10k files (0: all)"},
    L2D_PARAMS_END};

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                              "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};
static const char *const digit_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

static void idx_close(void *state)
{
    struct img_set *s = state;
    if (!s) return;
    img_set_free(s);
    free(s);
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Opens one of the four files by its names (dashed, then dotted spelling). */
static int open_one(struct img_file *f, const char *dir, const char *stem, const char *kind,
                    struct l2d_error *err)
{
    char dashed[64], dotted[64];
    snprintf(dashed, sizeof dashed, "%s-%s", stem, kind);
    snprintf(dotted, sizeof dotted, "%s.%s", stem, kind);
    int found, rc = img_open(f, dir, dashed, &found, err);
    if (rc || found) return rc;
    rc = img_open(f, dir, dotted, &found, err);
    if (rc || found) return rc;
    return l2d_seterr(err, L2D_EIO, "idx: %s: no %s (or %s.gz) there%s", dir, dashed, dashed,
                      !strcmp(dir, IDX_DEFAULT_DIR) ? " (apt-get install dataset-fashion-mnist)"
                                                    : "");
}

/* Reads the IDX header: type 0x08 and `ndims` dimensions into dims. */
static int read_header(struct img_file *f, unsigned ndims, const char *what, uint32_t *dims,
                       struct l2d_error *err)
{
    unsigned char h[4 + 4 * 3];
    size_t want = 4 + 4 * (size_t)ndims, got;
    int rc = img_read(f, h, 4, &got, err);
    if (rc) return rc;
    if (got < 4)
        return l2d_seterr(err, L2D_EINVAL, "%s: byte %zu: file ends inside the 4-byte IDX magic%s",
                          f->name, got, img_cut_note(f));
    if (h[0] || h[1])
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte 0: bad magic 0x%02x%02x%02x%02x: not an IDX file (%s: "
                          "0x000008%02x)",
                          f->name, h[0], h[1], h[2], h[3], what, ndims);
    if (h[2] != 0x08)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte 2: data type 0x%02x, expected 0x08 (unsigned bytes)", f->name,
                          h[2]);
    if (h[3] != ndims)
        return l2d_seterr(err, L2D_EINVAL, "%s: byte 3: %u dimensions, expected %u (%s)", f->name,
                          h[3], ndims, what);
    rc = img_read(f, h + 4, want - 4, &got, err);
    if (rc) return rc;
    if (got < want - 4)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte %zu: file ends inside the header (%zu "
                          "bytes)%s",
                          f->name, 4 + got, want, img_cut_note(f));
    for (unsigned k = 0; k < ndims; k++) dims[k] = be32(h + 4 + 4 * k);
    return 0;
}

/* One images file into *px (first `limit` rows when limit > 0); *n rows,
 * *declared the count its header gives. */
static int read_images(struct img_file *f, size_t limit, unsigned *hw, uint32_t *declared,
                       size_t *n, unsigned char **px, struct l2d_error *err)
{
    uint32_t d[3];
    int rc = read_header(f, 3, "images, rows, columns", d, err);
    if (rc) return rc;
    for (int k = 1; k < 3; k++)
        if (d[k] == 0 || d[k] > IDX_MAX_SIDE)
            return l2d_seterr(err, L2D_EINVAL, "%s: byte %d: %u %s per image (1 to %d)", f->name,
                              4 + 4 * k, d[k], k == 1 ? "rows" : "columns", IDX_MAX_SIDE);
    if (hw[0] && (hw[0] != d[1] || hw[1] != d[2]))
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte 8: images of %ux%u, the training images are %ux%u", f->name,
                          d[1], d[2], hw[0], hw[1]);
    hw[0] = d[1];
    hw[1] = d[2];
    *declared = d[0];
    size_t dim = (size_t)d[1] * d[2], rows = d[0];
    if (rows == 0) return l2d_seterr(err, L2D_EINVAL, "%s: byte 4: no images", f->name);
    int limited = limit && limit < rows;
    if (limited) rows = limit;
    if (rows > SIZE_MAX / dim)
        return l2d_seterr(err, L2D_ENOMEM, "%s: byte 4: %zu images of %ux%u do not fit in memory",
                          f->name, rows, d[1], d[2]);
    size_t got;
    rc = img_read_alloc(f, rows * dim, px, &got, err);
    if (rc) return rc;
    if (got < rows * dim)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte 16: expected %zu images of %ux%u, file has %zu (and %zu "
                          "bytes)%s",
                          f->name, rows, d[1], d[2], got / dim, got % dim, img_cut_note(f));
    if (!limited && (rc = img_expect_end(f, err))) return rc;
    *n = rows;
    return 0;
}

/* Where the first label above 9 is, for labels = fashion | digits. */
struct big_label {
    unsigned value; /* 0: none seen */
    char file[256];
    size_t byte;
};

/* The labels file that goes with `n_declared` images (first n rows). */
static int read_labels(struct img_file *f, const char *images, uint32_t n_declared, size_t n,
                       int32_t **y, unsigned *max_label, struct big_label *big,
                       struct l2d_error *err)
{
    uint32_t d[1];
    int rc = read_header(f, 1, "labels", d, err);
    if (rc) return rc;
    if (d[0] != n_declared)
        return l2d_seterr(err, L2D_EINVAL, "%s: byte 4: %u labels for the %u images of %s", f->name,
                          d[0], n_declared, images);
    unsigned char *b;
    size_t got;
    if ((rc = img_read_alloc(f, n, &b, &got, err))) return rc;
    if (got < n) {
        free(b);
        return l2d_seterr(err, L2D_EINVAL, "%s: byte 8: expected %zu labels, file has %zu%s",
                          f->name, n, got, img_cut_note(f));
    }
    if (n == d[0] && (rc = img_expect_end(f, err))) {
        free(b);
        return rc;
    }
    *y = malloc((n ? n : 1) * sizeof **y);
    if (!*y) {
        free(b);
        return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f->name);
    }
    for (size_t i = 0; i < n; i++) {
        (*y)[i] = b[i];
        if (b[i] > *max_label) *max_label = b[i];
        if (b[i] > 9 && !big->value) {
            big->value = b[i];
            big->byte = 8 + i;
            snprintf(big->file, sizeof big->file, "%s", f->name);
        }
    }
    free(b);
    return 0;
}

/* Images then labels of one part ("train" or "t10k"). */
static int read_part(const char *dir, const char *stem, size_t limit, unsigned *hw, size_t *n,
                     unsigned char **px, int32_t **y, unsigned *max_label, struct big_label *big,
                     struct l2d_error *err)
{
    struct img_file fi, fl;
    char stem_img[32], stem_lab[32], img_name[256];
    snprintf(stem_img, sizeof stem_img, "%s-images", stem);
    snprintf(stem_lab, sizeof stem_lab, "%s-labels", stem);
    uint32_t declared = 0;
    int rc = open_one(&fi, dir, stem_img, "idx3-ubyte", err);
    if (!rc) rc = read_images(&fi, limit, hw, &declared, n, px, err);
    snprintf(img_name, sizeof img_name, "%s", fi.name);
    img_close(&fi);
    if (rc) return rc;
    rc = open_one(&fl, dir, stem_lab, "idx1-ubyte", err);
    if (!rc) rc = read_labels(&fl, img_name, declared, *n, y, max_label, big, err);
    img_close(&fl);
    return rc;
}

static int contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (!strncasecmp(s, word, n)) return 1;
    return 0;
}

static int idx_open(const struct l2d_params *p, const struct l2d_host *host, void **state,
                    struct l2d_error *err)
{
    *state = NULL;
    char dir[4096];
    const char *path = l2d_param_str(p, "path", IDX_DEFAULT_DIR);
    int rc = img_resolve_dir(path, host ? host->data_dir : NULL, dir, sizeof dir, "idx", err);
    if (rc) {
        if (!strcmp(path, IDX_DEFAULT_DIR) && err) {
            size_t at = strlen(err->msg);
            snprintf(err->msg + at, sizeof err->msg - at,
                     " (apt-get install dataset-fashion-mnist)");
        }
        return rc;
    }
    int64_t tl = l2d_param_int(p, "train_limit", 0), sl = l2d_param_int(p, "test_limit", 0);
    if (tl < 0 || sl < 0)
        return l2d_seterr(err, L2D_EINVAL, "idx: train_limit and test_limit must be >= 0");
    const char *labels = l2d_param_str(p, "labels", "auto");
    struct img_set *s = calloc(1, sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "idx: out of memory");
    unsigned hw[2] = {0, 0}, max_label = 0;
    struct big_label big = {0, "", 0};
    rc = read_part(dir, "train", (size_t)tl, hw, &s->n_trainfile, &s->train_px, &s->train_y,
                   &max_label, &big, err);
    if (!rc)
        rc = read_part(dir, "t10k", (size_t)sl, hw, &s->n_test, &s->test_px, &s->test_y, &max_label,
                       &big, err);
    if (!rc) {
        s->c = 1;
        s->h = hw[0];
        s->w = hw[1];
        s->dim = (size_t)hw[0] * hw[1];
        s->n_classes = max_label < 10 ? 10 : max_label + 1;
        int named = strcmp(labels, "auto")
                        ? strcmp(labels, "none") != 0
                        : contains_ci(dir, "mnist") || contains_ci(dir, "fashion");
        int fashion =
            !strcmp(labels, "fashion") || (!strcmp(labels, "auto") && contains_ci(dir, "fashion"));
        if (named && s->n_classes != 10) {
            if (strcmp(labels, "auto"))
                rc = l2d_seterr(err, L2D_EINVAL,
                                "%s: byte %zu: label %u, outside the 10 classes 0..9 of "
                                "labels = %s",
                                big.file, big.byte, big.value, labels);
            /* auto: more than 10 classes, so not (Fashion-)MNIST: no names */
        } else if (named) {
            s->class_names = fashion ? fashion_names : digit_names;
        }
    }
    if (!rc)
        rc = img_set_finish(s, host ? host->seed : 0, l2d_param_double(p, "val_fraction", 0.1),
                            (int)l2d_param_int(p, "normalize", 0), "idx", err);
    if (!rc && host && host->log) {
        char msg[L2D_ERRMSG_MAX];
        snprintf(msg, sizeof msg,
                 "idx: %.300s: %zu + %zu images of %ux%u, %u classes%s; split %zu/%zu/%zu", dir,
                 s->n_trainfile, s->n_test, s->h, s->w, s->n_classes,
                 s->class_names == fashion_names ? " (Fashion-MNIST)" : "", s->count[0],
                 s->count[1], s->count[2]);
        host->log(host->log_self, msg);
    }
    if (rc) {
        idx_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int idx_info(void *state, struct l2d_dataset_info *info, struct l2d_error *err)
{
    (void)err;
    img_set_info(state, info);
    return 0;
}

static int idx_batch(void *state, enum l2d_split split, const size_t *idx, size_t n, float *x,
                     int32_t *y, float *t, struct l2d_error *err)
{
    return img_set_batch(state, split, idx, n, x, y, t, err);
}

static const struct l2d_dataset_ops idx_ops = {sizeof(struct l2d_dataset_ops), idx_open, idx_info,
                                               idx_batch, idx_close};

static const struct l2d_plugin idx_plugin =
    L2D_PLUGIN_HEADER(L2D_KIND_DATASET, "idx", "1.0",
                      "MNIST-format IDX images (Fashion-MNIST by default), plain or gzipped; "
                      "pixels in [0, 1], test = the t10k files",
                      idx_params, &idx_ops);

L2D_EXPORT const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &idx_plugin : NULL;
}
