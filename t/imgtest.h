/* Test helpers for the image dataset plugins (t/test_idx.c, t/test_cifar.c):
 * small files written plain or gzipped under a temp dir, and a plugin's
 * splits read back whole. */
#ifndef L2D_T_IMGTEST_H
#define L2D_T_IMGTEST_H
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dsparams.h"
#include "l2d/plugin.h"
#include "tap.h"

static char tmpdir[256];

static void bail(const char *what)
{
    printf("Bail out! %s\n", what);
    exit(1);
}

static void mk_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/l2d-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(tmpdir)) bail("mkdtemp");
}

/* Empties dir (files only: tests make no deeper folders but named subdirs). */
static void rm_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (unlink(p) != 0) rm_files(p), rmdir(p);
        }
    closedir(d);
}

static void rm_tmpdir(void)
{
    rm_files(tmpdir);
    rmdir(tmpdir);
}

/* Writes buf[n] to dir/name, gzipped when gz (then name gets ".gz"), and
 * removes the other one of name and name.gz, so one version is there. */
static void put_file(const char *dir, const char *name, const void *buf, size_t n, int gz)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s%s", dir, name, gz ? "" : ".gz");
    unlink(p);
    snprintf(p, sizeof p, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile g = gzopen(p, "wb9");
        if (!g || (n && gzwrite(g, buf, (unsigned)n) != (int)n) || gzclose(g) != Z_OK)
            bail("gzwrite");
    } else {
        FILE *f = fopen(p, "wb");
        if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f) != 0) bail("fwrite");
    }
}

/* Reads dir/name whole into a new buffer; *n its size. */
static unsigned char *get_file(const char *dir, const char *name, size_t *n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f) bail("get_file");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) bail("fread");
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void del_file(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
}

/* ---- the plugin under test -------------------------------------------------- */

static const struct l2d_plugin *desc;
static const struct l2d_dataset_ops *ops;
static char logged[L2D_ERRMSG_MAX];
static void log_line(void *self, const char *msg)
{
    (void)self;
    snprintf(logged, sizeof logged, "%s", msg);
}

/* Opens with "key=value" overrides, path = dir (unless an override sets
 * path), seed. Returns the status; *st NULL on failure (checked). */
static int ds_open(const char *dir, const char *const *over, uint64_t seed, void **st,
                   struct l2d_error *err)
{
    const char *all[DSP_MAX];
    char pathkv[600];
    size_t n = 0;
    int has_path = 0;
    for (const char *const *o = over; o && *o && n < DSP_MAX - 2; o++) {
        has_path |= !strncmp(*o, "path=", 5);
        all[n++] = *o;
    }
    if (!has_path && dir) {
        snprintf(pathkv, sizeof pathkv, "path=%s", dir);
        all[n++] = pathkv;
    }
    all[n] = NULL;
    struct dsparams d;
    dsp_build(&d, desc->params, all);
    struct l2d_host host = {sizeof host, seed, NULL, log_line, NULL};
    memset(err, 0, sizeof *err);
    *st = (void *)1;
    int rc = ops->open(&d.p, &host, st, err);
    if (rc && *st) {
        tap_diag("open failed but left a state");
        *st = NULL;
    }
    if (!rc && !*st) bail("open succeeded without a state");
    return rc;
}

/* One split read whole. */
struct split {
    size_t n, dim;
    float *x;
    int32_t *y;
};

static int get_split(void *st, enum l2d_split s, size_t n, size_t dim, struct split *out)
{
    struct l2d_error err = {0};
    out->n = n;
    out->dim = dim;
    out->x = malloc((n * dim + 1) * sizeof *out->x);
    out->y = malloc((n + 1) * sizeof *out->y);
    size_t *idx = malloc((n + 1) * sizeof *idx);
    if (!out->x || !out->y || !idx) bail("malloc");
    for (size_t i = 0; i < n; i++) idx[i] = i;
    int rc = ops->batch(st, s, idx, n, out->x, out->y, NULL, &err);
    if (rc) tap_diag("batch: %s", err.msg);
    free(idx);
    return rc;
}

static void free_split(struct split *s)
{
    free(s->x);
    free(s->y);
    s->x = NULL;
    s->y = NULL;
}

/* An open that must fail with a message containing want (and no state). */
static void fails(const char *dir, const char *const *over, const char *want, const char *what)
{
    void *st;
    struct l2d_error err;
    int rc = ds_open(dir, over, 1, &st, &err);
    int ok = rc != 0 && !st && strstr(err.msg, want) != NULL && !strchr(err.msg, '\n');
    tap_ok(ok, "%s: error '%s'", what, err.msg);
    if (!ok) tap_diag("wanted rc != 0 and a message containing '%s' (rc %d)", want, rc);
    if (st) ops->close(st);
}
#endif
