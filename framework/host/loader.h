/* Plugin discovery and loading: dlopen every .so of the search path, check
 * each descriptor (magic, ABI, struct size, kind, name, schema, ops). */
#ifndef L2D_HOST_LOADER_H
#define L2D_HOST_LOADER_H
#include <stddef.h>
#include "l2d/plugin.h"

struct l2d_loaded {
    const struct l2d_plugin *desc;
    char *path;      /* the .so it came from */
    unsigned index;  /* descriptor index inside that .so */
};

struct l2d_registry {
    struct l2d_loaded *items;
    size_t n;
    void **handles;  /* dlopen handles, closed by l2d_registry_free */
    size_t nhandles;
    char **problems; /* one line per refused file/descriptor (for `l2d plugins`) */
    size_t nproblems;
    char **warnings; /* one line per plugin shadowed by one of the same kind and
                        name earlier in the search path (also handed to the hook) */
    size_t nwarnings;
};

/* Where warnings go as they happen, for programs (the l2d command) that
 * build registries through the library: fn(self, one-line message). NULL
 * (the default): kept in the registry only. Process-wide. */
typedef void (*l2d_registry_warn_fn)(void *self, const char *msg);
void l2d_registry_set_warning_hook(l2d_registry_warn_fn fn, void *self);

/* Load every descriptor of one file. Refuses (error naming the file) a
 * missing entry point, wrong magic, other ABI major, newer minor, short
 * struct, unknown kind, bad name, invalid schema, missing ops, or two
 * descriptors of one kind and name. A kind and name already in the registry
 * from a file of the same directory is an error naming both files; from
 * another directory, the earlier one is kept, with a warning naming both. */
int l2d_registry_add_file(struct l2d_registry *reg, const char *path, struct l2d_error *err);

/* Scan directories in order (first definition of a kind+name wins; a later
 * duplicate is a warning). Bad files are noted in problems, not fatal; two
 * files of one directory defining one kind and name are (L2D_EINVAL). */
int l2d_registry_scan(struct l2d_registry *reg, const char *const *dirs, size_t ndirs,
                      struct l2d_error *err);

/* The default search path: extra (--plugin-path, ':'-separated, may be
 * NULL), then $L2D_PLUGIN_PATH, then the installed pkglibdir, then the
 * build tree's plugins when running from the build tree. */
int l2d_registry_default(struct l2d_registry *reg, const char *extra, struct l2d_error *err);

const struct l2d_loaded *l2d_registry_find(const struct l2d_registry *reg, enum l2d_kind kind,
                                           const char *name);
const char *l2d_kind_name(enum l2d_kind kind);
void l2d_registry_free(struct l2d_registry *reg);
#endif
