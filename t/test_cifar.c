/* The `cifar` dataset plugin, through its descriptor: small CIFAR-10 and
 * CIFAR-100 binary files written here (plain and gzipped) read back pixel
 * by pixel in their channel-planar order, the splits, seeds, limits,
 * fine/coarse labels and class names, normalisation, and malformed files
 * (partial records, labels out of range, missing or empty files, cut gzip
 * streams) as one-line errors naming the file and byte. */
#include "imgtest.h"

#define P 3072
#define R10 (1 + P)
#define R100 (2 + P)

const struct l2d_plugin *l2d_plugin_entry(unsigned index);

static const size_t batch_rows[5] = {3, 2, 4, 1, 2}; /* 12 training records */
#define NTR 12
#define NTE 5
#define NTR100 9
#define NTE100 4

static unsigned px(size_t i, size_t k, int test)
{
    return (unsigned)((i * 37 + k * 11 + (test ? 59 : 0)) % 256);
}
static unsigned lab10(size_t i, int test) { return (unsigned)((i * 7 + (test ? 5 : 2)) % 10); }
static unsigned coarse(size_t i, int test) { return (unsigned)((i + (test ? 3 : 0)) % 20); }
static unsigned fine(size_t i, int test) { return (unsigned)((i * 13 + (test ? 50 : 0)) % 100); }

/* Records first..first+n of CIFAR-10 (label_bytes 1) or CIFAR-100 (2). */
static unsigned char *records(size_t first, size_t n, int test, int label_bytes, size_t *len)
{
    size_t rec = (size_t)label_bytes + P;
    *len = n * rec;
    unsigned char *b = malloc(*len + 1);
    for (size_t r = 0; r < n; r++) {
        size_t i = first + r;
        unsigned char *o = b + r * rec;
        if (label_bytes == 1)
            o[0] = (unsigned char)lab10(i, test);
        else
            o[0] = (unsigned char)coarse(i, test), o[1] = (unsigned char)fine(i, test);
        for (size_t k = 0; k < P; k++) o[label_bytes + k] = (unsigned char)px(i, k, test);
    }
    return b;
}

/* CIFAR-10 files into dir; gz bit k (k < 5: data_batch_{k+1}, 5: test). */
static void write10(const char *dir, unsigned gzmask)
{
    size_t first = 0, len;
    char name[64];
    for (int k = 0; k < 5; k++) {
        unsigned char *b = records(first, batch_rows[k], 0, 1, &len);
        snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
        put_file(dir, name, b, len, gzmask >> k & 1);
        free(b);
        first += batch_rows[k];
    }
    unsigned char *b = records(0, NTE, 1, 1, &len);
    put_file(dir, "test_batch.bin", b, len, gzmask >> 5 & 1);
    free(b);
}

static void write100(const char *dir, int gz)
{
    size_t len;
    unsigned char *b = records(0, NTR100, 0, 2, &len);
    put_file(dir, "train.bin", b, len, gz);
    free(b);
    b = records(0, NTE100, 1, 2, &len);
    put_file(dir, "test.bin", b, len, gz);
    free(b);
}

/* Every row of every split is its file record, pixel by pixel, label by
 * label (want_label(i, test)); training records once each, in order. */
static int check_values(void *st, size_t ntr, size_t nte, unsigned (*want_label)(size_t, int),
                        const char *what)
{
    struct l2d_dataset_info info;
    struct l2d_error err;
    ops->info(st, &info, &err);
    int ok = info.n[0] + info.n[1] == ntr && info.n[2] == nte && info.dim == P;
    char seen[NTR] = {0};
    for (int s = 0; s < 3 && ok; s++) {
        struct split sp;
        get_split(st, (enum l2d_split)s, info.n[s], P, &sp);
        long prev = -1;
        int test = s == 2;
        for (size_t r = 0; r < sp.n && ok; r++) {
            const float *x = sp.x + r * P;
            size_t row = SIZE_MAX;
            for (size_t i = 0; i < (test ? nte : ntr); i++)
                if (x[0] == (float)(px(i, 0, test) / 255.0)) row = i;
            if (row == SIZE_MAX) {
                ok = 0;
                break;
            }
            if (test)
                ok &= row == r;
            else
                ok &= !seen[row]++ && (long)row > prev;
            prev = (long)row;
            for (size_t k = 0; k < P; k++) ok &= x[k] == (float)(px(row, k, test) / 255.0);
            ok &= sp.y[r] == (int32_t)want_label(row, test);
        }
        free_split(&sp);
    }
    for (size_t i = 0; i < ntr; i++) ok &= seen[i] == 1;
    return tap_ok(ok, "%s: every pixel (channel-planar) and label matches its record", what);
}

static void val_rows(void *st, size_t *rows, size_t *n)
{
    struct l2d_dataset_info info;
    struct l2d_error err;
    ops->info(st, &info, &err);
    struct split sp;
    get_split(st, L2D_VAL, info.n[1], P, &sp);
    *n = sp.n;
    for (size_t r = 0; r < sp.n; r++)
        for (size_t i = 0; i < NTR; i++)
            if (sp.x[r * P] == (float)(px(i, 0, 0) / 255.0)) rows[r] = i;
    free_split(&sp);
}

static void test_cifar10(const char *dir)
{
    write10(dir, 0);
    void *st;
    struct l2d_error err;
    const char *v25[] = {"val_fraction=0.25", NULL};
    int rc = ds_open(dir, v25, 3, &st, &err);
    tap_ok(rc == 0, "CIFAR-10 opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    struct l2d_dataset_info info;
    ops->info(st, &info, &err);
    tap_ok(info.n[0] == 9 && info.n[1] == 3 && info.n[2] == NTE,
           "CIFAR-10: split 9/3/5 (12 records in 5 batches, val 0.25; test_batch): %zu/%zu/%zu",
           info.n[0], info.n[1], info.n[2]);
    tap_ok(info.dim == P && info.shape[0] == 3 && info.shape[1] == 32 && info.shape[2] == 32 &&
               info.n_classes == 10 && info.tdim == 0,
           "CIFAR-10: shape {3, 32, 32}, 10 classes");
    tap_ok(info.class_names && !strcmp(info.class_names[0], "airplane") &&
               !strcmp(info.class_names[9], "truck"),
           "CIFAR-10: class names airplane .. truck");
    int range = info.lo && info.hi && !info.mean && !info.std;
    for (size_t j = 0; range && j < P; j++) range &= info.lo[j] == 0.0f && info.hi[j] == 1.0f;
    tap_ok(range, "CIFAR-10: lo = 0, hi = 1 per feature, no standardisation");
    check_values(st, NTR, NTE, lab10, "CIFAR-10, plain");
    size_t a[NTR], na, b[NTR], nb;
    val_rows(st, a, &na);
    ops->close(st);
    ds_open(dir, v25, 3, &st, &err);
    val_rows(st, b, &nb);
    ops->close(st);
    tap_ok(na == nb && !memcmp(a, b, na * sizeof *a), "CIFAR-10: same seed, same validation rows");
    ds_open(dir, v25, 4, &st, &err);
    val_rows(st, b, &nb);
    ops->close(st);
    tap_ok(na == nb && memcmp(a, b, na * sizeof *a), "CIFAR-10: another seed, other rows");

    rm_files(dir);
    write10(dir, 0x24); /* data_batch_3 and test_batch gzipped */
    rc = ds_open(dir, v25, 3, &st, &err);
    tap_ok(rc == 0, "CIFAR-10 with two files gzipped: %s", rc ? err.msg : "ok");
    if (!rc) {
        check_values(st, NTR, NTE, lab10, "CIFAR-10, gzipped");
        val_rows(st, b, &nb);
        tap_ok(na == nb && !memcmp(a, b, na * sizeof *a), "gzipped: the same split");
        ops->close(st);
    }
    const char *lim[] = {"val_fraction=0", "train_limit=4", "test_limit=2", NULL};
    rc = ds_open(dir, lim, 3, &st, &err);
    tap_ok(rc == 0, "train_limit = 4, test_limit = 2: %s", rc ? err.msg : "ok");
    if (!rc) {
        ops->info(st, &info, &err);
        tap_ok(info.n[0] == 4 && info.n[1] == 0 && info.n[2] == 2, "limits: 4/0/2: %zu/%zu/%zu",
               info.n[0], info.n[1], info.n[2]);
        check_values(st, 4, 2, lab10, "limits: the first 4 records (across two batches) and 2");
        ops->close(st);
    }

    const char *nz[] = {"val_fraction=0", "normalize=true", NULL};
    rc = ds_open(dir, nz, 3, &st, &err);
    tap_ok(rc == 0, "normalize = true: %s", rc ? err.msg : "ok");
    if (!rc) {
        ops->info(st, &info, &err);
        int ok = info.mean && info.std;
        for (int ch = 0; ok && ch < 3; ch++) {
            double m = 0, v = 0;
            for (size_t i = 0; i < NTR; i++)
                for (size_t k = 0; k < 1024; k++) m += px(i, ch * 1024 + k, 0) / 255.0;
            m /= NTR * 1024.0;
            for (size_t i = 0; i < NTR; i++)
                for (size_t k = 0; k < 1024; k++) {
                    double d = px(i, ch * 1024 + k, 0) / 255.0 - m;
                    v += d * d;
                }
            double sd = sqrt(v / (NTR * 1024.0));
            for (size_t k = 0; k < 1024; k++) {
                size_t j = ch * 1024 + k;
                ok &= fabs(info.mean[j] - m) < 1e-6 && fabs(info.std[j] - sd) < 1e-6 &&
                      fabs(info.lo[j] + m / sd) < 1e-5 && fabs(info.hi[j] - (1 - m) / sd) < 1e-5;
            }
        }
        tap_ok(ok, "normalize: each channel's mean and std over the training records; lo/hi");
        struct split sp;
        get_split(st, L2D_TEST, NTE, P, &sp);
        double worst = 0;
        for (size_t r = 0; r < NTE; r++)
            for (size_t k = 0; k < P; k++) {
                double e = fabs(sp.x[r * P + k] * (double)info.std[k] + info.mean[k] -
                                px(r, k, 1) / 255.0);
                if (e > worst) worst = e;
            }
        tap_ok(worst < 1e-6, "normalize: x * std + mean is the pixel (worst %.3g)", worst);
        free_split(&sp);
        ops->close(st);
    }
}

static void test_cifar100(const char *dir)
{
    write100(dir, 0);
    void *st;
    struct l2d_error err;
    struct l2d_dataset_info info;
    const char *v0[] = {"val_fraction=0.2", NULL};
    int rc = ds_open(dir, v0, 3, &st, &err);
    tap_ok(rc == 0, "CIFAR-100 opens: %s", rc ? err.msg : "ok");
    if (rc) return;
    ops->info(st, &info, &err);
    tap_ok(info.n[0] == 7 && info.n[1] == 2 && info.n[2] == NTE100 && info.n_classes == 100 &&
               info.shape[0] == 3,
           "CIFAR-100: split 7/2/4, 100 fine classes");
    int names = info.class_names != NULL;
    for (unsigned k = 0; names && k < 100; k++) {
        names &= info.class_names[k] && info.class_names[k][0];
        for (unsigned j = 0; names && j < k; j++)
            names &= strcmp(info.class_names[j], info.class_names[k]) != 0;
    }
    tap_ok(names && !strcmp(info.class_names[0], "apple") &&
               !strcmp(info.class_names[99], "worm") &&
               !strcmp(info.class_names[58], "pickup_truck"),
           "CIFAR-100: 100 distinct fine names, apple .. worm");
    check_values(st, NTR100, NTE100, fine, "CIFAR-100, fine labels");
    ops->close(st);
    const char *co[] = {"val_fraction=0.2", "labels=coarse", NULL};
    rm_files(dir);
    write100(dir, 1);
    rc = ds_open(dir, co, 3, &st, &err);
    tap_ok(rc == 0, "CIFAR-100 gzipped, coarse: %s", rc ? err.msg : "ok");
    if (!rc) {
        ops->info(st, &info, &err);
        tap_ok(info.n_classes == 20 && info.class_names &&
                   !strcmp(info.class_names[0], "aquatic_mammals") &&
                   !strcmp(info.class_names[19], "vehicles_2"),
               "CIFAR-100 coarse: 20 classes, aquatic_mammals .. vehicles_2");
        check_values(st, NTR100, NTE100, coarse, "CIFAR-100, coarse labels");
        ops->close(st);
    }
}

static void test_errors(const char *d10, const char *d100)
{
    char p[600];
    size_t len;
    unsigned char *b;
    snprintf(p, sizeof p, "%s/nowhere", tmpdir);
    fails(p, NULL, "cifar: cannot open directory", "a folder that is not there");
    fails(NULL, NULL, "cifar: path is empty", "no path");
    snprintf(p, sizeof p, "%s/empty", tmpdir);
    mkdir(p, 0700);
    fails(p, NULL, "neither data_batch_1.bin (CIFAR-10) nor train.bin (CIFAR-100) there",
          "an empty folder");
    snprintf(p, sizeof p, "%s/data_batch_1.bin", d10);
    fails(p, NULL, "is not a directory", "path names a file");
    const char *co[] = {"labels=coarse", NULL};
    rm_files(d10);
    write10(d10, 0);
    fails(d10, co, "labels = coarse: CIFAR-10", "coarse labels for CIFAR-10");
    del_file(d10, "data_batch_4.bin");
    fails(d10, NULL, "no data_batch_4.bin (or data_batch_4.bin.gz) there", "a missing batch");
    write10(d10, 0);
    b = records(6, 4, 0, 1, &len);
    put_file(d10, "data_batch_3.bin", b, len - 100, 0);
    fails(d10, NULL, "data_batch_3.bin: byte 9219: a partial record (2973 of its 3073 bytes)",
          "a batch 100 bytes short");
    b[R10] = 10;
    put_file(d10, "data_batch_3.bin", b, len, 1);
    fails(d10, NULL, "data_batch_3.bin.gz: byte 3073: label 10 outside 0..9 (record 2)",
          "a label of 10, gzipped");
    free(b);
    write10(d10, 0);
    put_file(d10, "test_batch.bin", "", 0, 0);
    fails(d10, NULL, "test_batch.bin: byte 0: empty file", "an empty test batch");
    write10(d10, 0x20);
    size_t glen;
    unsigned char *g = get_file(d10, "test_batch.bin.gz", &glen);
    put_file(d10, "test_batch.bin.gz", g, glen / 2, 0);
    fails(d10, NULL, "(the gzip stream is cut short)", "a gzip stream cut in the middle");
    put_file(d10, "test_batch.bin.gz", g, glen - 3, 0);
    fails(d10, NULL, "test_batch.bin.gz: byte 15365: the gzip stream is cut short",
          "a gzip stream cut in its trailer");
    free(g);
    write10(d10, 0);
    write100(d10, 0);
    fails(d10, NULL, "holds both CIFAR-10 (data_batch_1.bin) and CIFAR-100 (train.bin)",
          "both versions");
    /* the folder above the unpacked tarballs: its one CIFAR subfolder */
    {
        void *st;
        struct l2d_error err;
        del_file(d10, "train.bin");
        del_file(d10, "test.bin");
        rm_files(d100);
        rmdir(d100);
        int rc = ds_open(tmpdir, NULL, 1, &st, &err);
        struct l2d_dataset_info info;
        if (!rc) ops->info(st, &info, &err), ops->close(st);
        tap_ok(!rc && info.n[0] + info.n[1] == NTR && info.n_classes == 10,
               "path = the folder above cifar-10-batches-bin: CIFAR-10 found there: %s",
               rc ? err.msg : "ok");
        mkdir(d100, 0700);
        write100(d100, 0);
        fails(tmpdir, NULL, "holds both cifar-10-batches-bin and cifar-100-binary",
              "the folder above both tarballs' folders");
    }

    b = records(0, NTE100, 1, 2, &len);
    b[2 * R100 + 1] = 100;
    put_file(d100, "test.bin", b, len, 0);
    fails(d100, NULL, "test.bin: byte 6149: label 100 outside 0..99 (record 3)",
          "a fine label of 100");
    b[2 * R100 + 1] = 7;
    b[R100] = 20;
    put_file(d100, "test.bin", b, len, 0);
    fails(d100, NULL, "test.bin: byte 3074: coarse label 20 outside 0..19 (record 2)",
          "a coarse label of 20 (fine labels used)");
    fails(d100, co, "test.bin: byte 3074: label 20 outside 0..19 (record 2)",
          "a coarse label of 20, coarse");
    free(b);
    del_file(d100, "test.bin");
    fails(d100, NULL, "no test.bin (or test.bin.gz) there", "CIFAR-100 without test.bin");
    write100(d100, 0);

    /* truncations of the test batch (plain and gzipped) at many points */
    int all = 1, n = 0;
    for (int gz = 0; gz < 2; gz++) {
        rm_files(d10);
        write10(d10, gz ? 0x20u : 0u);
        const char *name = gz ? "test_batch.bin.gz" : "test_batch.bin";
        b = get_file(d10, name, &len);
        for (size_t cut = 0; cut < len; cut += gz ? 7 : 211) {
            put_file(d10, name, b, cut, 0);
            void *st;
            struct l2d_error err;
            int rc = ds_open(d10, NULL, 1, &st, &err);
            n++;
            if (!rc) {
                /* a cut on a record boundary of a plain file is a shorter, valid batch */
                if (gz || cut % R10) all = 0, tap_diag("%s cut at %zu opened", name, cut);
                ops->close(st);
            } else if (!strstr(err.msg, "test_batch.bin")) {
                all = 0, tap_diag("%s cut at %zu: '%s'", name, cut, err.msg);
            }
        }
        free(b);
    }
    tap_ok(all, "%d truncated test batches (plain and gzipped): each an error naming the file", n);
}

int main(void)
{
    desc = l2d_plugin_entry(0);
    ops = desc ? desc->ops : NULL;
    if (!desc || strcmp(desc->name, "cifar") || desc->kind != L2D_KIND_DATASET ||
        l2d_plugin_entry(1))
        bail("no cifar descriptor");
    tap_plan(43);
    mk_tmpdir("cifar");
    char d10[512], d100[512];
    snprintf(d10, sizeof d10, "%s/cifar-10-batches-bin", tmpdir);
    snprintf(d100, sizeof d100, "%s/cifar-100-binary", tmpdir);
    mkdir(d10, 0700);
    mkdir(d100, 0700);
    test_cifar10(d10);
    test_cifar100(d100);
    test_errors(d10, d100);
    rm_tmpdir();
    return tap_done();
}
