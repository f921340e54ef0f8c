/* Shared by the image dataset plugins: see imgset.h. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "imgset.h"
#include "l2d/dataprep.h"

/* ---- files ----------------------------------------------------------------- */

static int join(char *out, size_t cap, const char *dir, const char *base, const char *ext)
{
    int n = snprintf(out, cap, "%s/%s%s", dir, base, ext);
    return n >= 0 && (size_t)n < cap;
}

int img_exists(const char *dir, const char *base)
{
    char p[4096];
    return (join(p, sizeof p, dir, base, "") && access(p, F_OK) == 0) ||
           (join(p, sizeof p, dir, base, ".gz") && access(p, F_OK) == 0);
}

int img_open(struct img_file *f, const char *dir, const char *base, int *found,
             struct l2d_error *err)
{
    memset(f, 0, sizeof *f);
    *found = 0;
    char p[4096];
    const char *ext = NULL;
    if (join(p, sizeof p, dir, base, "") && access(p, F_OK) == 0)
        ext = "";
    else if (join(p, sizeof p, dir, base, ".gz") && access(p, F_OK) == 0)
        ext = ".gz";
    if (!ext) return 0;
    *found = 1;
    snprintf(f->name, sizeof f->name, "%s%s", base, ext);
    struct stat st;
    if (stat(p, &st) != 0)
        return l2d_seterr(err, L2D_EIO, "%s: cannot open: %s", p, strerror(errno));
    if (!S_ISREG(st.st_mode)) return l2d_seterr(err, L2D_EIO, "%s: not a regular file", p);
    errno = 0;
    gzFile gz = gzopen(p, "rb");
    if (!gz)
        return l2d_seterr(err, errno == ENOMEM ? L2D_ENOMEM : L2D_EIO, "%s: cannot open: %s", p,
                          errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 1u << 17);
    f->gz = gz;
    f->pathlen = strlen(p);
    return 0;
}

int img_read(struct img_file *f, void *buf, size_t n, size_t *got, struct l2d_error *err)
{
    size_t done = 0;
    *got = 0;
    while (done < n) {
        size_t left = n - done;
        unsigned want = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        errno = 0;
        int r = gzread((gzFile)f->gz, (unsigned char *)buf + done, want);
        if (r < 0) {
            int e = Z_OK;
            const char *m = gzerror((gzFile)f->gz, &e);
            unsigned long long at = (unsigned long long)(f->off + done);
            if (e == Z_ERRNO)
                return l2d_seterr(err, L2D_EIO, "%s: byte %llu: read error: %s", f->name, at,
                                  strerror(errno ? errno : EIO));
            if (e == Z_MEM_ERROR)
                return l2d_seterr(err, L2D_ENOMEM, "%s: byte %llu: out of memory", f->name, at);
            if (m && strlen(m) > f->pathlen + 2 && m[f->pathlen] == ':') m += f->pathlen + 2;
            return l2d_seterr(err, L2D_EIO, "%s: byte %llu: corrupt gzip data past this byte (%s)",
                              f->name, at, m && *m ? m : "zlib error");
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    if (done < n) {
        int e = Z_OK;
        gzerror((gzFile)f->gz, &e);
        f->truncated_gz = e == Z_BUF_ERROR;
    }
    f->off += done;
    *got = done;
    return 0;
}

int img_read_alloc(struct img_file *f, size_t n, unsigned char **out, size_t *got,
                   struct l2d_error *err)
{
    *out = NULL;
    *got = 0;
    size_t cap = n < ((size_t)1 << 24) ? n : ((size_t)1 << 24), have = 0;
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", f->name);
    for (;;) {
        size_t g;
        int rc = img_read(f, buf + have, cap - have, &g, err);
        if (rc) {
            free(buf);
            return rc;
        }
        have += g;
        if (have < cap || cap == n) break;
        size_t ncap = cap > n / 2 ? n : cap * 2;
        unsigned char *nb = realloc(buf, ncap);
        if (!nb) {
            free(buf);
            return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory after %zu bytes", f->name, have);
        }
        buf = nb;
        cap = ncap;
    }
    *out = buf;
    *got = have;
    return 0;
}

const char *img_cut_note(const struct img_file *f)
{
    return f->truncated_gz ? " (the gzip stream is cut short)" : "";
}

int img_expect_end(struct img_file *f, struct l2d_error *err)
{
    unsigned char b[64];
    size_t got;
    uint64_t at = f->off;
    int rc = img_read(f, b, sizeof b, &got, err);
    if (rc) return rc;
    if (got > 0)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: byte %llu: data after the end of what the header "
                          "declares",
                          f->name, (unsigned long long)at);
    if (f->truncated_gz)
        return l2d_seterr(err, L2D_EIO, "%s: byte %llu: the gzip stream is cut short", f->name,
                          (unsigned long long)at);
    return 0;
}

void img_close(struct img_file *f)
{
    if (f && f->gz) gzclose_r((gzFile)f->gz);
    if (f) f->gz = NULL;
}

int img_resolve_dir(const char *dir, const char *data_dir, char *out, size_t cap, const char *who,
                    struct l2d_error *err)
{
    int n;
    if (!*dir) return l2d_seterr(err, L2D_EINVAL, "%s: path is empty", who);
    if (dir[0] != '/' && data_dir && *data_dir)
        n = snprintf(out, cap, "%s/%s", data_dir, dir);
    else
        n = snprintf(out, cap, "%s", dir);
    if (n < 0 || (size_t)n >= cap) return l2d_seterr(err, L2D_EINVAL, "%s: path too long", who);
    while (n > 1 && out[n - 1] == '/') out[--n] = '\0';
    struct stat st;
    if (stat(out, &st) != 0)
        return l2d_seterr(err, L2D_EIO, "%s: cannot open directory '%s': %s", who, out,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: '%s' is not a directory (path names the folder "
                          "that holds the files)",
                          who, out);
    return 0;
}

/* ---- the set ----------------------------------------------------------------- */

void img_set_free(struct img_set *s)
{
    if (!s) return;
    free(s->train_px);
    free(s->test_px);
    free(s->train_y);
    free(s->test_y);
    free(s->order);
    free(s->mean);
    free(s->std);
    free(s->lo);
    free(s->hi);
    memset(s, 0, sizeof *s);
}

int img_set_finish(struct img_set *s, uint64_t seed, double val_fraction, int normalize,
                   const char *who, struct l2d_error *err)
{
    if (s->c == 0 || s->c > 4 || s->dim != (size_t)s->c * s->h * s->w)
        return l2d_seterr(err, L2D_EINTERNAL, "%s: bad image shape %ux%ux%u", who, s->c, s->h,
                          s->w);
    if (s->n_trainfile == 0) return l2d_seterr(err, L2D_EINVAL, "%s: no training images", who);
    s->order = malloc(s->n_trainfile * sizeof *s->order);
    s->lo = malloc(s->dim * sizeof *s->lo);
    s->hi = malloc(s->dim * sizeof *s->hi);
    if (!s->order || !s->lo || !s->hi) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
    int rc = l2d_split_rows(s->n_trainfile, seed, val_fraction, 0, s->order, s->count, err);
    if (rc) {
        char tmp[L2D_ERRMSG_MAX];
        snprintf(tmp, sizeof tmp, "%s", err ? err->msg : "");
        return l2d_seterr(err, rc, "%s: training files: %s", who, tmp);
    }
    s->count[2] = s->n_test;
    size_t plane = (size_t)s->h * s->w;
    double mean[4] = {0, 0, 0, 0}, sd[4] = {1, 1, 1, 1};
    s->normalized = normalize;
    if (normalize) {
        /* per channel over the training rows (not validation), exact in integers */
        for (unsigned ch = 0; ch < s->c; ch++) {
            uint64_t hist[256] = {0};
            for (size_t i = 0; i < s->count[0]; i++) {
                const unsigned char *p = s->train_px + s->order[i] * s->dim + ch * plane;
                for (size_t k = 0; k < plane; k++) hist[p[k]]++;
            }
            double n = (double)s->count[0] * (double)plane, m = 0, v = 0;
            for (int b = 0; b < 256; b++) m += (double)hist[b] * (b / 255.0);
            m /= n;
            for (int b = 0; b < 256; b++) v += (double)hist[b] * (b / 255.0 - m) * (b / 255.0 - m);
            v = sqrt(v / n);
            mean[ch] = m;
            sd[ch] = v > 0 && (float)v > 0 ? v : 1;
        }
        s->mean = malloc(s->dim * sizeof *s->mean);
        s->std = malloc(s->dim * sizeof *s->std);
        if (!s->mean || !s->std) return l2d_seterr(err, L2D_ENOMEM, "%s: out of memory", who);
    }
    for (unsigned ch = 0; ch < s->c; ch++)
        for (int b = 0; b < 256; b++)
            s->scale[ch * 256 + b] =
                normalize ? (float)((b / 255.0 - mean[ch]) / sd[ch]) : (float)(b / 255.0);
    for (size_t j = 0; j < s->dim; j++) {
        unsigned ch = (unsigned)(j / plane);
        s->lo[j] = s->scale[ch * 256];
        s->hi[j] = s->scale[ch * 256 + 255];
        if (normalize) {
            s->mean[j] = (float)mean[ch];
            s->std[j] = (float)sd[ch];
        }
    }
    return 0;
}

void img_set_info(const struct img_set *s, struct l2d_dataset_info *info)
{
    memset(info, 0, sizeof *info);
    for (int k = 0; k < 3; k++) info->n[k] = s->count[k];
    info->dim = s->dim;
    info->shape[0] = s->c;
    info->shape[1] = s->h;
    info->shape[2] = s->w;
    info->n_classes = s->n_classes;
    info->tdim = 0;
    info->class_names = s->class_names;
    info->mean = s->mean;
    info->std = s->std;
    info->lo = s->lo;
    info->hi = s->hi;
}

int img_set_batch(const struct img_set *s, enum l2d_split split, const size_t *idx, size_t n,
                  float *x, int32_t *y, float *t, struct l2d_error *err)
{
    (void)t; /* no regression target */
    if ((int)split < 0 || (int)split > 2)
        return l2d_seterr(err, L2D_EINVAL, "batch: unknown split %d", (int)split);
    size_t cnt = s->count[split];
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= cnt)
            return l2d_seterr(err, L2D_EINVAL, "batch: row %zu of a split of %zu rows", idx[i],
                              cnt);
    size_t plane = (size_t)s->h * s->w;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p;
        int32_t label;
        if (split == L2D_TEST) {
            p = s->test_px + idx[i] * s->dim;
            label = s->test_y[idx[i]];
        } else {
            size_t r = s->order[(split == L2D_VAL ? s->count[0] : 0) + idx[i]];
            p = s->train_px + r * s->dim;
            label = s->train_y[r];
        }
        if (x) {
            float *o = x + i * s->dim;
            for (unsigned ch = 0; ch < s->c; ch++) {
                const float *sc = s->scale + ch * 256;
                for (size_t k = 0; k < plane; k++) o[ch * plane + k] = sc[p[ch * plane + k]];
            }
        }
        if (y) y[i] = label;
    }
    return 0;
}
