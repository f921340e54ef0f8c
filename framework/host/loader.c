/* Plugin discovery: dlopen each .so, check every descriptor it exports. */
#define _GNU_SOURCE /* dladdr */
#include "config.h"

#include "host/loader.h"

#include <ctype.h>
#include <stddef.h>
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/dirs.h"
#include "host/params.h"

const char *l2d_kind_name(enum l2d_kind kind)
{
    switch (kind) {
    case L2D_KIND_DATASET: return "dataset";
    case L2D_KIND_AGENT: return "agent";
    case L2D_KIND_SURROGATE: return "surrogate";
    case L2D_KIND_ATTACK: return "attack";
    }
    return "unknown";
}

static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* The ops table's own size: at least up to the last op of ABI 2.0 (destroy
 * or close), so every required op can be read; an older host reads no op
 * past its own size, a newer one none past the plugin's. */
static size_t ops_min_size(enum l2d_kind k)
{
    switch (k) {
    case L2D_KIND_DATASET: return offsetof(struct l2d_dataset_ops, close) + sizeof(void (*)(void *));
    case L2D_KIND_AGENT: return offsetof(struct l2d_agent_ops, destroy) + sizeof(void (*)(void *));
    case L2D_KIND_SURROGATE:
        return offsetof(struct l2d_surrogate_ops, destroy) + sizeof(void (*)(void *));
    case L2D_KIND_ATTACK: return offsetof(struct l2d_attack_ops, destroy) + sizeof(void (*)(void *));
    }
    return 0;
}

/* The ops every kind must provide; optional ones are not checked. */
static const char *missing_op(const struct l2d_plugin *d)
{
    switch (d->kind) {
    case L2D_KIND_DATASET: {
        const struct l2d_dataset_ops *o = d->ops;
        return !o->open ? "open" : !o->info ? "info" : !o->batch ? "batch" : !o->close ? "close" : NULL;
    }
    case L2D_KIND_AGENT: {
        const struct l2d_agent_ops *o = d->ops;
        return !o->create ? "create" : !o->outputs ? "outputs" : !o->fit ? "fit"
             : !o->predict ? "predict" : !o->destroy ? "destroy" : NULL;
    }
    case L2D_KIND_SURROGATE: {
        const struct l2d_surrogate_ops *o = d->ops;
        return !o->create ? "create" : !o->loss ? "loss" : !o->destroy ? "destroy" : NULL;
    }
    case L2D_KIND_ATTACK: {
        const struct l2d_attack_ops *o = d->ops;
        return !o->create ? "create" : !o->perturb ? "perturb" : !o->destroy ? "destroy" : NULL;
    }
    }
    return "kind";
}

/* Checks in the order that makes reading the next field safe. */
static int check_descriptor(const struct l2d_plugin *d, const char *path, unsigned index,
                            struct l2d_error *err)
{
    if (d->magic != L2D_PLUGIN_MAGIC)
        return l2d_seterr(err, L2D_EINVAL, "%s: descriptor %u: bad magic number (not an l2d plugin)",
                          path, index);
    if (d->abi_major != L2D_ABI_MAJOR)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: descriptor %u: built for ABI %u.%u, this l2d speaks ABI %d.%d",
                          path, index, d->abi_major, d->abi_minor, L2D_ABI_MAJOR, L2D_ABI_MINOR);
    if (d->abi_minor > L2D_ABI_MINOR)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: descriptor %u: needs ABI %u.%u, newer than this l2d's %d.%d", path,
                          index, d->abi_major, d->abi_minor, L2D_ABI_MAJOR, L2D_ABI_MINOR);
    if (d->struct_size < sizeof(struct l2d_plugin))
        return l2d_seterr(err, L2D_EINVAL, "%s: descriptor %u: struct_size %u is smaller than %zu",
                          path, index, d->struct_size, sizeof(struct l2d_plugin));
    if (d->kind < L2D_KIND_DATASET || d->kind > L2D_KIND_ATTACK)
        return l2d_seterr(err, L2D_EINVAL, "%s: descriptor %u: unknown kind %d", path, index,
                          (int)d->kind);
    if (!name_ok(d->name))
        return l2d_seterr(err, L2D_EINVAL, "%s: descriptor %u: name is missing or not [a-z0-9_-]+",
                          path, index);
    if (!d->version || !*d->version || !d->summary || !*d->summary)
        return l2d_seterr(err, L2D_EINVAL, "%s: %s: version or summary is missing", path, d->name);
    if (!d->ops)
        return l2d_seterr(err, L2D_EINVAL, "%s: %s: no ops table", path, d->name);
    size_t ops_size = *(const size_t *)d->ops, need = ops_min_size(d->kind);
    if (ops_size < need)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s: %s: ops table struct_size %zu is smaller than ABI %d's %zu "
                          "(set .struct_size = sizeof(struct l2d_%s_ops))",
                          path, d->name, ops_size, L2D_ABI_MAJOR, need, l2d_kind_name(d->kind));
    const char *op = missing_op(d);
    if (op)
        return l2d_seterr(err, L2D_EINVAL, "%s: %s: %s plugin lacks the '%s' op", path, d->name,
                          l2d_kind_name(d->kind), op);
    char who[600];
    snprintf(who, sizeof who, "%s: %s", path, d->name);
    return l2d_schema_check(d->params, who, err);
}

static int push_line(char ***list, size_t *n, const char *msg)
{
    char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p) return -1;
    *list = p;
    if (!(p[*n] = strdup(msg))) return -1;
    (*n)++;
    return 0;
}

static int push_problem(struct l2d_registry *reg, const char *msg)
{
    return push_line(&reg->problems, &reg->nproblems, msg);
}

static l2d_registry_warn_fn warn_fn;
static void *warn_self;

void l2d_registry_set_warning_hook(l2d_registry_warn_fn fn, void *self)
{
    warn_fn = fn;
    warn_self = self;
}

static int push_warning(struct l2d_registry *reg, const char *msg)
{
    if (warn_fn) warn_fn(warn_self, msg);
    return push_line(&reg->warnings, &reg->nwarnings, msg);
}

/* Whether two paths name files of one directory. */
static int same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;
    return la == lb && !strncmp(a, b, la);
}

/* *ambiguous = 1 when the file is refused for defining a kind and name
 * that another file of its directory defines. */
static int add_file(struct l2d_registry *reg, const char *path, int *ambiguous, struct l2d_error *err)
{
    *ambiguous = 0;
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return l2d_seterr(err, L2D_EIO, "%s: cannot load: %s", path, why ? why : "unknown error");
    }
    l2d_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, L2D_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        dlclose(h);
        return l2d_seterr(err, L2D_EINVAL, "%s: no '%s' entry point (not an l2d plugin)", path,
                          L2D_PLUGIN_ENTRY_SYMBOL);
    }
    /* Check all descriptors before keeping any: a file is accepted whole. */
    unsigned count = 0;
    for (const struct l2d_plugin *d; (d = entry(count)) != NULL; count++) {
        if (count >= 256) {
            dlclose(h);
            return l2d_seterr(err, L2D_EINVAL, "%s: more than 256 descriptors", path);
        }
        if (check_descriptor(d, path, count, err)) {
            dlclose(h);
            return err ? err->code : L2D_EINVAL;
        }
    }
    if (count == 0) {
        dlclose(h);
        return l2d_seterr(err, L2D_EINVAL, "%s: exports no descriptor", path);
    }
    /* one kind and name twice in the file, or in another file of its directory */
    for (unsigned k = 0; k < count; k++) {
        const struct l2d_plugin *d = entry(k);
        for (unsigned j = 0; j < k; j++) {
            const struct l2d_plugin *o = entry(j);
            if (o->kind == d->kind && !strcmp(o->name, d->name)) {
                int rc = l2d_seterr(err, L2D_EINVAL, "%s: descriptors %u and %u are both the %s plugin '%s'",
                                    path, j, k, l2d_kind_name(d->kind), d->name);
                dlclose(h); /* after the message: d lives in the file */
                return rc;
            }
        }
        const struct l2d_loaded *dup = l2d_registry_find(reg, d->kind, d->name);
        if (dup && same_dir(dup->path, path)) {
            int rc = l2d_seterr(err, L2D_EINVAL,
                                "%s and %s both define the %s plugin '%s' (one directory of the "
                                "plugin search path: remove one)",
                                dup->path, path, l2d_kind_name(d->kind), d->name);
            dlclose(h);
            *ambiguous = 1;
            return rc;
        }
    }
    void **hs = realloc(reg->handles, (reg->nhandles + 1) * sizeof *hs);
    struct l2d_loaded *it = realloc(reg->items, (reg->n + count) * sizeof *it);
    if (hs) reg->handles = hs;
    if (it) reg->items = it;
    if (!hs || !it) {
        dlclose(h);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    reg->handles[reg->nhandles++] = h;
    for (unsigned k = 0; k < count; k++) {
        const struct l2d_plugin *d = entry(k);
        const struct l2d_loaded *dup = l2d_registry_find(reg, d->kind, d->name);
        if (dup) {
            char msg[1200];
            snprintf(msg, sizeof msg, "%s plugin '%s': %s is used, %s (later in the search path) is ignored",
                     l2d_kind_name(d->kind), d->name, dup->path, path);
            if (push_warning(reg, msg)) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
            continue;
        }
        char *p = strdup(path);
        if (!p) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        reg->items[reg->n++] = (struct l2d_loaded){d, p, k};
    }
    return 0;
}

int l2d_registry_add_file(struct l2d_registry *reg, const char *path, struct l2d_error *err)
{
    int ambiguous;
    return add_file(reg, path, &ambiguous, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct l2d_registry *reg, const char *dir, struct l2d_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return 0; /* a search-path entry that does not exist is not an error */
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so")) continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            names = nn ? nn : names;
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    /* sorted, so that which duplicate wins does not depend on readdir order */
    if (!rc && n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t k = 0; k < n; k++) {
        if (!rc) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            struct l2d_error e2 = {0};
            int ambiguous;
            int r = add_file(reg, path, &ambiguous, &e2);
            /* an ambiguous name in one directory: no order says which is meant */
            if (r == L2D_ENOMEM || ambiguous)
                rc = l2d_seterr(err, r, "%s", e2.msg);
            else if (r && push_problem(reg, e2.msg)) rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
        }
        free(names[k]);
    }
    free(names);
    return rc;
}

int l2d_registry_scan(struct l2d_registry *reg, const char *const *dirs, size_t ndirs,
                      struct l2d_error *err)
{
    /* a directory named twice (say in --plugin-path and $L2D_PLUGIN_PATH)
     * is scanned once, where it first comes */
    char **seen = calloc(ndirs ? ndirs : 1, sizeof *seen);
    if (!seen) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t k = 0; k < ndirs && !rc; k++) {
        seen[k] = realpath(dirs[k], NULL);
        int again = 0;
        for (size_t j = 0; j < k && seen[k]; j++) again |= seen[j] && !strcmp(seen[j], seen[k]);
        if (!again) rc = scan_dir(reg, dirs[k], err);
    }
    for (size_t k = 0; k < ndirs; k++) free(seen[k]);
    free(seen);
    return rc;
}

/* Is the libl2d in use the one built in this build tree (framework/.libs,
 * where an uninstalled ./l2d or test program loads it from)? Then the build
 * tree's plugins are found without installing; an installed libl2d never
 * looks into a build tree, even one its prefix or DESTDIR lies under. */
static int library_in_build_tree(void)
{
    static int cached = -1;
    if (cached >= 0) return cached;
    Dl_info info;
    char *lib = NULL, *want = NULL;
    if (dladdr((void *)library_in_build_tree, &info) && info.dli_fname)
        lib = realpath(info.dli_fname, NULL);
    want = realpath(L2D_ABS_BUILDDIR "/framework/.libs", NULL);
    char *slash = lib ? strrchr(lib, '/') : NULL;
    if (slash) *slash = 0;
    cached = lib && want && slash && !strcmp(lib, want);
    free(lib);
    free(want);
    return cached;
}

const char *l2d_build_plugin_dir(void)
{
    return library_in_build_tree() ? L2D_ABS_BUILDDIR "/plugins/.libs" : NULL;
}

const char *l2d_build_source_dir(void) { return library_in_build_tree() ? L2D_ABS_SRCDIR : NULL; }

/* Append each ':'-separated entry of `list` to dirs. */
static int split_path(const char *list, char ***dirs, size_t *n)
{
    if (!list) return 0;
    const char *p = list;
    while (*p) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len) {
            char **d = realloc(*dirs, (*n + 1) * sizeof *d);
            if (!d) return -1;
            *dirs = d;
            if (!(d[*n] = strndup(p, len))) return -1;
            (*n)++;
        }
        p += len + (c ? 1 : 0);
    }
    return 0;
}

int l2d_registry_default(struct l2d_registry *reg, const char *extra, struct l2d_error *err)
{
    char **dirs = NULL;
    size_t n = 0;
    int bad = split_path(extra, &dirs, &n) || split_path(getenv("L2D_PLUGIN_PATH"), &dirs, &n) ||
              split_path(l2d_pkglibdir(), &dirs, &n) || split_path(l2d_build_plugin_dir(), &dirs, &n);
    int rc = bad ? l2d_seterr(err, L2D_ENOMEM, "out of memory")
                 : l2d_registry_scan(reg, (const char *const *)dirs, n, err);
    for (size_t k = 0; k < n; k++) free(dirs[k]);
    free(dirs);
    return rc;
}

const struct l2d_loaded *l2d_registry_find(const struct l2d_registry *reg, enum l2d_kind kind,
                                           const char *name)
{
    for (size_t k = 0; k < reg->n; k++)
        if (reg->items[k].desc->kind == kind && !strcmp(reg->items[k].desc->name, name))
            return &reg->items[k];
    return NULL;
}

void l2d_registry_free(struct l2d_registry *reg)
{
    for (size_t k = 0; k < reg->n; k++) free(reg->items[k].path);
    for (size_t k = 0; k < reg->nproblems; k++) free(reg->problems[k]);
    for (size_t k = 0; k < reg->nwarnings; k++) free(reg->warnings[k]);
    free(reg->warnings);
    /* Closing the handles invalidates every descriptor and ops table:
     * callers destroy their plugin instances first. */
    for (size_t k = 0; k < reg->nhandles; k++) dlclose(reg->handles[k]);
    free(reg->items);
    free(reg->handles);
    free(reg->problems);
    memset(reg, 0, sizeof *reg);
}
