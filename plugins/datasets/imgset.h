/* Shared by the image dataset plugins (idx, cifar): reading files that may
 * be gzipped, and an in-memory set of 8-bit images behind info()/batch().
 *
 * Files: opened with zlib, which reads gzip and plain files alike; byte
 * offsets in messages count the file's (uncompressed) content. Every read
 * is checked; a short read is reported by the caller, which knows what it
 * expected ("byte 8: expected 10000 labels, file has 9999").
 *
 * Images: pixels stay 8-bit in memory (60000 x 784 is 47 MB, not 188) and
 * are scaled to [0, 1] as batch() copies them out; with `normalize`, each
 * channel is standardised by the mean and std of the training split, and
 * lo/hi, mean/std say so per feature. */
#ifndef L2D_IMGSET_H
#define L2D_IMGSET_H

#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

/* ---- files ----------------------------------------------------------------- */

struct img_file {
    void *gz;         /* gzFile */
    char name[256];   /* for messages: the file name without its directory */
    uint64_t off;     /* bytes of content read so far */
    int truncated_gz; /* a read came short because the gzip stream was cut */
    size_t pathlen;   /* zlib's messages begin with the path and ": " */
};

/* Opens dir/base, or dir/base.gz when that is the one there (plain first).
 * *found is set to 0 (and nothing opened, no error) when neither exists, so
 * the caller can try other names; otherwise to 1, with an error on failure. */
int img_open(struct img_file *f, const char *dir, const char *base, int *found,
             struct l2d_error *err);
/* Whether dir/base or dir/base.gz exists. */
int img_exists(const char *dir, const char *base);
/* Reads up to n bytes into buf; *got gets the count. Short only at the end
 * of the content (then f->truncated_gz says whether the gzip stream was cut
 * short); an I/O error or corrupt gzip data is an error naming the byte. */
int img_read(struct img_file *f, void *buf, size_t n, size_t *got, struct l2d_error *err);
/* Reads up to n bytes into a new buffer that grows as data arrive, so a
 * hostile header cannot make it allocate more than the file holds (plus
 * half). *out is NULL on error. */
int img_read_alloc(struct img_file *f, size_t n, unsigned char **out, size_t *got,
                   struct l2d_error *err);
/* Checks that the content ends here (and, for gzip, that its check sums
 * hold): an error naming the byte where unexpected data begin. */
int img_expect_end(struct img_file *f, struct l2d_error *err);
void img_close(struct img_file *f);
/* " (the gzip stream is cut short)" when it was, else "". */
const char *img_cut_note(const struct img_file *f);

/* ---- an image set ---------------------------------------------------------- */

struct img_set {
    unsigned c, h, w;
    size_t dim; /* c*h*w */
    unsigned n_classes;
    /* rows of the training files and of the test files */
    size_t n_trainfile, n_test;
    unsigned char *train_px, *test_px; /* [n][dim], channel-planar */
    int32_t *train_y, *test_y;
    /* the split of the training files: train rows, then val rows */
    size_t count[3];
    size_t *order; /* [n_trainfile]: file rows of train, then of val */
    /* scaling in batch(): x = (p / 255 - mean_c) / std_c, or p / 255 */
    int normalized;
    float *mean, *std;              /* [dim] or NULL */
    float *lo, *hi;                 /* [dim] */
    float scale[256 * 4];           /* per channel (up to 4): value of each byte */
    const char *const *class_names; /* static, or NULL */
};

/* Splits the training rows (seeded, val_fraction) and fills lo/hi, and
 * mean/std when normalize. The pixels and labels must be in place. */
int img_set_finish(struct img_set *s, uint64_t seed, double val_fraction, int normalize,
                   const char *who, struct l2d_error *err);
void img_set_info(const struct img_set *s, struct l2d_dataset_info *info);
int img_set_batch(const struct img_set *s, enum l2d_split split, const size_t *idx, size_t n,
                  float *x, int32_t *y, float *t, struct l2d_error *err);
void img_set_free(struct img_set *s);

/* A relative dir resolved against data_dir (when set) into out[cap]. */
int img_resolve_dir(const char *dir, const char *data_dir, char *out, size_t cap, const char *who,
                    struct l2d_error *err);

#endif
