/* The `idx` dataset plugin, through its descriptor: small IDX files written
 * here (plain and gzipped) read back pixel by pixel, the splits, seeds and
 * limits, class names, normalisation, and every malformed file we can
 * think of (bad magic, type, dimensions, counts, truncation at every byte,
 * gzip streams cut or corrupted) as one-line errors naming the file and
 * byte. Then the real Fashion-MNIST when Debian's dataset-fashion-mnist is
 * installed (else a SKIP line). Reference numbers of the real files come
 * from Python: gzip.open('train-labels-idx1-ubyte.gz').read()[8:14] is
 * [9, 0, 0, 3, 0, 2]; the t10k labels begin [9, 2, 1, 1]; 6000 training and
 * 1000 test images of class 9; the first training image's bytes sum to
 * 76247 and its pixel (14, 14) is 217. */
#include "imgtest.h"

#define NTR 20
#define NTE 7
#define H 3
#define W 4
#define D (H * W)
#ifndef FASHION
#define FASHION "/usr/share/datasets/fashion-mnist"
#endif

const struct l2d_plugin *l2d_plugin_entry(unsigned index);

static unsigned px(size_t i, size_t k, int test)
{
    return (unsigned)((i * 31 + k * 7 + (test ? 101 : 0)) % 256);
}
static unsigned lab(size_t i, int test) { return (unsigned)((i * 3 + (test ? 1 : 0)) % 10); }

static void be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* An images file's bytes: n images of h x w (header declares n_decl). */
static unsigned char *images_bytes(size_t n, uint32_t n_decl, unsigned h, unsigned w, int test,
                                   size_t *len)
{
    *len = 16 + n * h * w;
    unsigned char *b = malloc(*len);
    b[0] = 0, b[1] = 0, b[2] = 8, b[3] = 3;
    be32(b + 4, n_decl), be32(b + 8, h), be32(b + 12, w);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < (size_t)h * w; k++)
            b[16 + i * h * w + k] = (unsigned char)px(i, k, test);
    return b;
}

static unsigned char *labels_bytes(size_t n, uint32_t n_decl, int test, size_t *len)
{
    *len = 8 + n;
    unsigned char *b = malloc(*len);
    b[0] = 0, b[1] = 0, b[2] = 8, b[3] = 1;
    be32(b + 4, n_decl);
    for (size_t i = 0; i < n; i++) b[8 + i] = (unsigned char)lab(i, test);
    return b;
}

static const char *const NAMES[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* The four good files into dir, plain or gzipped (gzmask bit k: file k). */
static void write_set(const char *dir, unsigned gzmask)
{
    size_t len;
    unsigned char *b;
    b = images_bytes(NTR, NTR, H, W, 0, &len), put_file(dir, NAMES[0], b, len, gzmask & 1), free(b);
    b = labels_bytes(NTR, NTR, 0, &len), put_file(dir, NAMES[1], b, len, gzmask & 2), free(b);
    b = images_bytes(NTE, NTE, H, W, 1, &len), put_file(dir, NAMES[2], b, len, gzmask & 4), free(b);
    b = labels_bytes(NTE, NTE, 1, &len), put_file(dir, NAMES[3], b, len, gzmask & 8), free(b);
}

static void clear_set(const char *dir)
{
    char n[128];
    for (int k = 0; k < 4; k++) {
        del_file(dir, NAMES[k]);
        snprintf(n, sizeof n, "%s.gz", NAMES[k]);
        del_file(dir, n);
    }
}

/* Every row of every split matches its file row (found from pixel 0,
 * unique per row), pixel by pixel, with its label; the training files'
 * rows appear once each across train and val, each part in file order. */
static int check_values(void *st, size_t ntr_file, size_t nte, const char *what)
{
    struct l2d_dataset_info info;
    struct l2d_error err;
    ops->info(st, &info, &err);
    int ok = info.n[0] + info.n[1] == ntr_file && info.n[2] == nte && info.dim == D;
    char seen[NTR] = {0};
    for (int s = 0; s < 3 && ok; s++) {
        struct split sp;
        get_split(st, (enum l2d_split)s, info.n[s], D, &sp);
        long prev = -1;
        for (size_t r = 0; r < sp.n && ok; r++) {
            const float *x = sp.x + r * D;
            int test = s == 2;
            size_t file_row = SIZE_MAX;
            for (size_t i = 0; i < (test ? nte : ntr_file); i++)
                if (x[0] == (float)(px(i, 0, test) / 255.0)) file_row = i;
            if (file_row == SIZE_MAX) {
                ok = 0;
                break;
            }
            if (test)
                ok &= file_row == r;
            else
                ok &= !seen[file_row]++ && (long)file_row > prev;
            prev = (long)file_row;
            for (size_t k = 0; k < D; k++) ok &= x[k] == (float)(px(file_row, k, test) / 255.0);
            ok &= sp.y[r] == (int32_t)lab(file_row, test);
        }
        free_split(&sp);
    }
    for (size_t i = 0; i < ntr_file; i++) ok &= seen[i] == 1;
    return tap_ok(ok, "%s: every pixel and label of every split matches its file row", what);
}

/* The file rows of the val split (their pixel 0 identifies them). */
static void val_rows(void *st, size_t *rows, size_t *n)
{
    struct l2d_dataset_info info;
    struct l2d_error err;
    ops->info(st, &info, &err);
    struct split sp;
    get_split(st, L2D_VAL, info.n[1], D, &sp);
    *n = sp.n;
    for (size_t r = 0; r < sp.n; r++)
        for (size_t i = 0; i < NTR; i++)
            if (sp.x[r * D] == (float)(px(i, 0, 0) / 255.0)) rows[r] = i;
    free_split(&sp);
}

static void test_good(void)
{
    write_set(tmpdir, 0);
    void *st;
    struct l2d_error err;
    const char *v25[] = {"val_fraction=0.25", NULL};
    int rc = ds_open(tmpdir, v25, 7, &st, &err);
    tap_ok(rc == 0, "plain files open: %s", rc ? err.msg : "ok");
    if (rc) return;
    struct l2d_dataset_info info;
    ops->info(st, &info, &err);
    tap_ok(info.n[0] == 15 && info.n[1] == 5 && info.n[2] == NTE,
           "splits 15/5/7 (val_fraction 0.25 of 20; test = t10k): %zu/%zu/%zu", info.n[0],
           info.n[1], info.n[2]);
    tap_ok(info.dim == D && info.shape[0] == 1 && info.shape[1] == H && info.shape[2] == W,
           "shape {1, 3, 4} from the file's dims, dim 12: {%u, %u, %u}, %zu", info.shape[0],
           info.shape[1], info.shape[2], info.dim);
    tap_ok(info.n_classes == 10 && info.tdim == 0 && !info.class_names && !info.feature_names,
           "10 classes, no target, no names for a folder not named (fashion-)mnist");
    int range = info.lo && info.hi && !info.mean && !info.std;
    for (size_t j = 0; range && j < D; j++) range &= info.lo[j] == 0.0f && info.hi[j] == 1.0f;
    tap_ok(range, "lo = 0, hi = 1 per feature; mean/std NULL (no standardisation)");
    check_values(st, NTR, NTE, "plain");
    size_t a[NTR], na, b[NTR], nb;
    val_rows(st, a, &na);
    ops->close(st);

    /* same seed, same split; another seed, another */
    ds_open(tmpdir, v25, 7, &st, &err);
    val_rows(st, b, &nb);
    ops->close(st);
    tap_ok(na == nb && !memcmp(a, b, na * sizeof *a), "same seed, same validation rows");
    ds_open(tmpdir, v25, 8, &st, &err);
    val_rows(st, b, &nb);
    ops->close(st);
    tap_ok(na == nb && memcmp(a, b, na * sizeof *a), "another seed, other validation rows");

    /* gzipped, and a mix of both */
    clear_set(tmpdir);
    write_set(tmpdir, 15);
    rc = ds_open(tmpdir, v25, 7, &st, &err);
    tap_ok(rc == 0, "gzipped files open: %s", rc ? err.msg : "ok");
    if (!rc) {
        check_values(st, NTR, NTE, "gzipped");
        val_rows(st, b, &nb);
        tap_ok(na == nb && !memcmp(a, b, na * sizeof *a), "gzipped: the same split as plain");
        ops->close(st);
    }
    clear_set(tmpdir);
    write_set(tmpdir, 5);
    rc = ds_open(tmpdir, v25, 7, &st, &err);
    tap_ok(rc == 0, "two gzipped, two plain: %s", rc ? err.msg : "ok");
    if (!rc) check_values(st, NTR, NTE, "mixed"), ops->close(st);

    /* limits: the first rows of each part */
    const char *lim[] = {"val_fraction=0.25", "train_limit=10", "test_limit=3", NULL};
    rc = ds_open(tmpdir, lim, 7, &st, &err);
    tap_ok(rc == 0, "train_limit = 10, test_limit = 3: %s", rc ? err.msg : "ok");
    if (!rc) {
        ops->info(st, &info, &err);
        tap_ok(info.n[0] == 7 && info.n[1] == 3 && info.n[2] == 3,
               "limits: split 7/3/3: %zu/%zu/%zu", info.n[0], info.n[1], info.n[2]);
        check_values(st, 10, 3, "limits: the first 10 and 3 file rows");
        ops->close(st);
    }
    const char *big[] = {"train_limit=1000", "test_limit=1000", NULL};
    rc = ds_open(tmpdir, big, 7, &st, &err);
    if (!rc) ops->info(st, &info, &err);
    tap_ok(!rc && info.n[0] + info.n[1] == NTR && info.n[2] == NTE,
           "limits above the file's rows: every row");
    if (!rc) ops->close(st);

    /* batch: a row past the split is an error */
    rc = ds_open(tmpdir, v25, 7, &st, &err);
    if (!rc) {
        size_t idx = 5;
        float x[D];
        int32_t y;
        int brc = ops->batch(st, L2D_VAL, &idx, 1, x, &y, NULL, &err);
        tap_ok(brc != 0 && strstr(err.msg, "row 5 of a split of 5 rows"),
               "batch past the split: %s", err.msg);
        ops->close(st);
    }
}

static void test_normalize(void)
{
    void *st;
    struct l2d_error err;
    /* the split's rows, from the same seed without normalisation */
    size_t tr[NTR], ntr = 0, vr[NTR], nv;
    const char *v25[] = {"val_fraction=0.25", NULL};
    if (ds_open(tmpdir, v25, 7, &st, &err)) bail(err.msg);
    val_rows(st, vr, &nv);
    ops->close(st);
    const char *nz[] = {"val_fraction=0.25", "normalize=true", NULL};
    int rc = ds_open(tmpdir, nz, 7, &st, &err);
    tap_ok(rc == 0, "normalize = true opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    struct l2d_dataset_info info;
    ops->info(st, &info, &err);
    /* expected mean and std over the training split's pixels */
    for (size_t i = 0; i < NTR; i++) {
        int in_val = 0;
        for (size_t r = 0; r < nv; r++) in_val |= vr[r] == i;
        if (!in_val) tr[ntr++] = i;
    }
    double m = 0, v = 0;
    for (size_t r = 0; r < ntr; r++)
        for (size_t k = 0; k < D; k++) m += px(tr[r], k, 0) / 255.0;
    m /= (double)(ntr * D);
    for (size_t r = 0; r < ntr; r++)
        for (size_t k = 0; k < D; k++)
            v += (px(tr[r], k, 0) / 255.0 - m) * (px(tr[r], k, 0) / 255.0 - m);
    double sd = sqrt(v / (double)(ntr * D));
    int ok = info.mean && info.std && info.lo && info.hi;
    for (size_t j = 0; ok && j < D; j++)
        ok &= fabs(info.mean[j] - m) < 1e-6 && fabs(info.std[j] - sd) < 1e-6 &&
              fabs(info.lo[j] - (0 - m) / sd) < 1e-5 && fabs(info.hi[j] - (1 - m) / sd) < 1e-5;
    tap_ok(ok, "per channel mean %.6f and std %.6f of the training split; lo/hi moved with them", m,
           sd);
    struct split sp;
    get_split(st, L2D_TEST, info.n[2], D, &sp);
    double worst = 0;
    for (size_t r = 0; r < sp.n; r++)
        for (size_t k = 0; k < D; k++) {
            double raw = sp.x[r * D + k] * (double)info.std[k] + info.mean[k];
            double e = fabs(raw - px(r, k, 1) / 255.0);
            if (e > worst) worst = e;
        }
    tap_ok(worst < 1e-6, "x * std + mean gives the test pixels back (worst %.3g)", worst);
    free_split(&sp);
    ops->close(st);
}

static void test_labels(void)
{
    char sub[512];
    snprintf(sub, sizeof sub, "%s/Fashion-MNIST", tmpdir);
    mkdir(sub, 0700);
    write_set(sub, 0);
    void *st;
    struct l2d_error err;
    struct l2d_dataset_info info;
    int rc = ds_open(sub, NULL, 1, &st, &err);
    if (!rc) ops->info(st, &info, &err);
    tap_ok(!rc && info.class_names && !strcmp(info.class_names[0], "T-shirt/top") &&
               !strcmp(info.class_names[9], "Ankle boot"),
           "labels = auto, a folder named Fashion-MNIST: Fashion-MNIST's class names");
    if (!rc) ops->close(st);
    const char *dig[] = {"labels=digits", NULL}, *none[] = {"labels=none", NULL};
    rc = ds_open(sub, dig, 1, &st, &err);
    if (!rc) ops->info(st, &info, &err);
    tap_ok(!rc && info.class_names && !strcmp(info.class_names[7], "7"), "labels = digits: 0-9");
    if (!rc) ops->close(st);
    rc = ds_open(sub, none, 1, &st, &err);
    if (!rc) ops->info(st, &info, &err);
    tap_ok(!rc && !info.class_names && info.n_classes == 10, "labels = none: no names");
    if (!rc) ops->close(st);

    /* a label of 12: 13 classes for auto, an error for fashion */
    size_t len;
    unsigned char *b = labels_bytes(NTE, NTE, 1, &len);
    b[8 + 3] = 12;
    put_file(sub, NAMES[3], b, len, 0);
    free(b);
    rc = ds_open(sub, none, 1, &st, &err);
    if (!rc) ops->info(st, &info, &err);
    tap_ok(!rc && info.n_classes == 13, "a label 12: 13 classes");
    if (!rc) ops->close(st);
    const char *fas[] = {"labels=fashion", NULL};
    fails(sub, fas,
          "t10k-labels-idx1-ubyte: byte 11: label 12, outside the 10 classes 0..9 of labels = "
          "fashion",
          "label 12, labels = fashion");
    rm_files(sub);
    rmdir(sub);
}

/* Writes the set with file k replaced by buf[len] (plain or gz). */
static void with_file(int k, const unsigned char *buf, size_t len, int gz)
{
    clear_set(tmpdir);
    write_set(tmpdir, 0);
    del_file(tmpdir, NAMES[k]);
    put_file(tmpdir, NAMES[k], buf, len, gz);
}

static void test_errors(void)
{
    size_t len;
    unsigned char *b;
    char d[600];
    snprintf(d, sizeof d, "%s/nowhere", tmpdir);
    fails(d, NULL, "idx: cannot open directory", "a folder that is not there");
    const char *deflt[] = {"path=/nonexistent/fashion", NULL};
    fails(NULL, deflt, "cannot open directory '/nonexistent/fashion'", "a path that is not there");

    clear_set(tmpdir);
    write_set(tmpdir, 0);
    del_file(tmpdir, NAMES[3]);
    fails(tmpdir, NULL, "no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz) there",
          "a missing file");

    b = images_bytes(NTR, NTR, H, W, 0, &len);
    b[0] = 0x12;
    with_file(0, b, len, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 0: bad magic 0x12000803: not an IDX file",
          "bad magic");
    b[0] = 0, b[2] = 0x0d;
    with_file(0, b, len, 1);
    fails(tmpdir, NULL, "train-images-idx3-ubyte.gz: byte 2: data type 0x0d, expected 0x08",
          "float IDX (type 0x0d), gzipped");
    b[2] = 8, b[3] = 2;
    with_file(0, b, len, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 3: 2 dimensions, expected 3",
          "2-d images file");
    b[3] = 3;
    be32(b + 8, 0);
    with_file(0, b, len, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 8: 0 rows per image", "0 rows");
    be32(b + 8, H);
    with_file(0, b, len - 5, 0);
    fails(tmpdir, NULL,
          "train-images-idx3-ubyte: byte 16: expected 20 images of 3x4, file has 19 (and 7 bytes)",
          "a truncated images file");
    free(b);
    b = images_bytes(NTR, NTR, H, W, 0, &len);
    b = realloc(b, len + 3);
    memset(b + len, 0, 3);
    with_file(0, b, len + 3, 1);
    fails(tmpdir, NULL, "train-images-idx3-ubyte.gz: byte 256: data after the end",
          "3 bytes too many");
    free(b);
    b = images_bytes(2, 0xffffffffu, H, W, 0, &len);
    be32(b + 8, 4096), be32(b + 12, 4096);
    with_file(0, b, len, 0);
    fails(tmpdir, NULL, "byte 16: expected 4294967295 images of 4096x4096, file has 0",
          "a header that declares 4e9 images of 4096x4096");
    free(b);
    b = images_bytes(NTE, NTE, 5, W, 1, &len);
    with_file(2, b, len, 0);
    fails(tmpdir, NULL,
          "t10k-images-idx3-ubyte: byte 8: images of 5x4, the training images are 3x4",
          "test images of another size");
    free(b);
    b = labels_bytes(NTR, NTR - 1, 0, &len);
    with_file(1, b, len - 1, 0);
    fails(tmpdir, NULL,
          "train-labels-idx1-ubyte: byte 4: 19 labels for the 20 images of train-images-idx3-ubyte",
          "label count != image count");
    free(b);
    b = labels_bytes(NTE, NTE, 1, &len);
    with_file(3, b, len - 1, 1);
    fails(tmpdir, NULL, "t10k-labels-idx1-ubyte.gz: byte 8: expected 7 labels, file has 6",
          "a short labels file, gzipped");
    free(b);
    b = images_bytes(NTR, NTR, H, W, 0, &len);
    with_file(0, b, 2, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 2: file ends inside the 4-byte IDX magic",
          "a 2-byte file");
    with_file(0, b, 10, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 10: file ends inside the header (16 bytes)",
          "a cut header");
    with_file(0, b, 0, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte: byte 0: file ends inside", "an empty file");
    free(b);

    /* a gzip stream cut mid-way, and one corrupted */
    clear_set(tmpdir);
    write_set(tmpdir, 1);
    size_t glen;
    unsigned char *g = get_file(tmpdir, "train-images-idx3-ubyte.gz", &glen);
    put_file(tmpdir, "train-images-idx3-ubyte", g, glen / 2, 0);
    del_file(tmpdir, "train-images-idx3-ubyte.gz");
    /* written under the plain name: zlib still sees gzip */
    fails(tmpdir, NULL, "(the gzip stream is cut short)", "a gzip stream cut in the middle");
    del_file(tmpdir, "train-images-idx3-ubyte");
    put_file(tmpdir, "train-images-idx3-ubyte.gz", g, glen - 4, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte.gz: byte 256: the gzip stream is cut short",
          "a gzip stream missing its length trailer");
    g[glen - 6] ^= 0x5a; /* the CRC */
    put_file(tmpdir, "train-images-idx3-ubyte.gz", g, glen, 0);
    fails(tmpdir, NULL, "corrupt gzip data past this byte (incorrect data check)",
          "a gzip stream with a wrong CRC");
    g[glen - 6] ^= 0x5a;
    g[glen / 2] ^= 0xff;
    g[glen / 2 + 1] ^= 0x37;
    put_file(tmpdir, "train-images-idx3-ubyte.gz", g, glen, 0);
    fails(tmpdir, NULL, "train-images-idx3-ubyte.gz: byte ", "corrupted deflate data");
    free(g);
}

/* Every truncation of every file, plain and gzipped, is an error, and a
 * flipped byte anywhere never crashes (ASan/UBSan builds watch). */
static void test_hostile(void)
{
    int all_fail = 1, n_open = 0;
    for (int gz = 0; gz < 2; gz++)
        for (int k = 0; k < 4; k++) {
            clear_set(tmpdir);
            write_set(tmpdir, gz ? 15u : 0u);
            char name[128];
            snprintf(name, sizeof name, "%s%s", NAMES[k], gz ? ".gz" : "");
            size_t len;
            unsigned char *b = get_file(tmpdir, name, &len);
            for (size_t cut = 0; cut < len; cut++) {
                put_file(tmpdir, name, b, cut, 0);
                void *st;
                struct l2d_error err;
                int rc = ds_open(tmpdir, NULL, 1, &st, &err);
                n_open++;
                if (!rc) {
                    all_fail = 0;
                    tap_diag("%s cut at %zu opened", name, cut);
                    ops->close(st);
                } else if (!strstr(err.msg, NAMES[k])) {
                    all_fail = 0;
                    tap_diag("%s cut at %zu: '%s' does not name the file", name, cut, err.msg);
                }
            }
            put_file(tmpdir, name, b, len, 0);
            free(b);
        }
    tap_ok(all_fail,
           "%d truncations (every byte of the 4 files, plain and gzipped): each an "
           "error naming its file",
           n_open);
    uint64_t r = 12345;
    int crashes_none = 1, opened = 0, failed = 0;
    for (int gz = 0; gz < 2; gz++)
        for (int k = 0; k < 4; k++) {
            clear_set(tmpdir);
            write_set(tmpdir, gz ? 15u : 0u);
            char name[128];
            snprintf(name, sizeof name, "%s%s", NAMES[k], gz ? ".gz" : "");
            size_t len;
            unsigned char *b = get_file(tmpdir, name, &len);
            for (int t = 0; t < 60; t++) {
                unsigned char *c = malloc(len);
                memcpy(c, b, len);
                for (int f = 0; f < 1 + t % 3; f++) {
                    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
                    size_t at = (size_t)(r >> 33) % (t < 30 ? (len < 16 ? len : 16) : len);
                    c[at] ^= (unsigned char)(1u + (r >> 20) % 255);
                }
                put_file(tmpdir, name, c, len, 0);
                free(c);
                void *st;
                struct l2d_error err;
                int rc = ds_open(tmpdir, NULL, 1, &st, &err);
                if (rc) {
                    failed++;
                    crashes_none &= err.msg[0] != '\0' && !strchr(err.msg, '\n');
                } else {
                    opened++;
                    struct l2d_dataset_info info;
                    ops->info(st, &info, &err);
                    struct split sp;
                    get_split(st, L2D_TRAIN, info.n[0], info.dim, &sp);
                    free_split(&sp);
                    ops->close(st);
                }
            }
            put_file(tmpdir, name, b, len, 0);
            free(b);
        }
    tap_ok(crashes_none && failed > 0,
           "480 corrupted files: %d errors (one line each), %d opened, no crash", failed, opened);
}

#define N_FASHION 8 /* the assertions on the real files, skipped together */
static void test_fashion(void)
{
    struct stat sb;
    if (stat(FASHION, &sb) != 0) {
        for (int k = 0; k < N_FASHION; k++)
            tap_skip("no %s (apt-get install dataset-fashion-mnist)", FASHION);
        return;
    }
    void *st;
    struct l2d_error err;
    const char *all_train[] = {"val_fraction=0", NULL};
    int rc = ds_open(NULL, all_train, 1, &st, &err); /* the default path */
    tap_ok(rc == 0, "Fashion-MNIST at the default path opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    struct l2d_dataset_info info;
    ops->info(st, &info, &err);
    tap_ok(info.n[0] == 60000 && info.n[1] == 0 && info.n[2] == 10000 && info.dim == 784 &&
               info.shape[0] == 1 && info.shape[1] == 28 && info.shape[2] == 28 &&
               info.n_classes == 10,
           "60000 training and 10000 test images of 1x28x28, 10 classes");
    tap_ok(info.class_names && !strcmp(info.class_names[9], "Ankle boot"),
           "recognised: class 9 is 'Ankle boot'");
    struct split tr, te;
    get_split(st, L2D_TRAIN, info.n[0], 784, &tr);
    get_split(st, L2D_TEST, info.n[2], 784, &te);
    tap_ok(tr.y[0] == 9 && tr.y[1] == 0 && tr.y[2] == 0 && tr.y[3] == 3 && tr.y[5] == 2,
           "training labels begin 9 0 0 3 0 2: %d %d %d %d %d %d", tr.y[0], tr.y[1], tr.y[2],
           tr.y[3], tr.y[4], tr.y[5]);
    tap_ok(te.y[0] == 9 && te.y[1] == 2 && te.y[2] == 1 && te.y[3] == 1,
           "test labels begin 9 2 1 1");
    size_t c9tr = 0, c9te = 0;
    for (size_t i = 0; i < tr.n; i++) c9tr += tr.y[i] == 9;
    for (size_t i = 0; i < te.n; i++) c9te += te.y[i] == 9;
    tap_ok(c9tr == 6000 && c9te == 1000, "6000 + 1000 images of class 9: %zu + %zu", c9tr, c9te);
    double s = 0, mn = 1, mx = 0;
    for (size_t k = 0; k < 784; k++) s += tr.x[k];
    for (size_t k = 0; k < tr.n * 784; k++) {
        if (tr.x[k] < mn) mn = tr.x[k];
        if (tr.x[k] > mx) mx = tr.x[k];
    }
    tap_ok(fabs(s - 76247 / 255.0) < 1e-3 && tr.x[14 * 28 + 14] == (float)(217 / 255.0),
           "first image: sum %.4f (76247/255), pixel (14,14) = 217/255", s);
    tap_ok(mn == 0.0f && mx == 1.0f, "pixels span [0, 1]: min %g, max %g", mn, mx);
    free_split(&tr);
    free_split(&te);
    ops->close(st);
}

int main(void)
{
    desc = l2d_plugin_entry(0);
    ops = desc ? desc->ops : NULL;
    if (!desc || strcmp(desc->name, "idx") || desc->kind != L2D_KIND_DATASET || l2d_plugin_entry(1))
        bail("no idx descriptor");
    tap_plan(48 + N_FASHION);
    mk_tmpdir("idx");
    test_good();
    test_normalize();
    test_labels();
    test_errors();
    test_hostile();
    test_fashion();
    rm_tmpdir();
    return tap_done();
}
