/* --set section.key=value and --unset section.key on the command line. */
#include "config.h"

#include "host/cfg_impl.h"

#include <stdlib.h>
#include <string.h>

int l2d_cfg_split_target(const char *text, char **section, char **key)
{
    *section = *key = NULL;
    char *t = strdup(text);
    if (!t) return -1;
    char *s = l2d_cfg_trim(t);
    l2d_cfg_lower(s);
    char *cut;
    if (!strncmp(s, "sweep.", 6)) {
        cut = s + 5;
    } else if (!strncmp(s, "method.", 7)) {
        cut = strchr(s + 7, '.');
    } else {
        cut = strrchr(s, '.');
    }
    if (!cut) {
        free(t);
        return -1;
    }
    *cut = 0;
    int ok = l2d_cfg_name_ok(s, 1) && l2d_cfg_name_ok(cut + 1, 1);
    if (ok) {
        *section = strdup(s);
        *key = strdup(cut + 1);
    }
    free(t);
    if (!ok || !*section || !*key) {
        free(*section);
        free(*key);
        *section = *key = NULL;
        return -1;
    }
    return 0;
}

/* Remove every entry match(its section, its key, sec, key) picks; returns
 * how many (and marks the configuration changed when any). */
static size_t drop_entries(struct l2d_cfg *cfg, const char *sec, const char *key,
                           int (*match)(const char *s, const char *k, const char *sec,
                                        const char *key))
{
    size_t w = 0, removed = 0;
    for (size_t e = 0; e < cfg->nent; e++) {
        struct l2d_cfg_entry *x = &cfg->ents[e];
        if (match(cfg->secs[x->sec].name, x->key, sec, key)) {
            free(x->key);
            free(x->value);
            l2d_origin_free(&x->at);
            removed++;
            continue;
        }
        cfg->ents[w++] = *x;
    }
    cfg->nent = w;
    if (removed) l2d_cfg_changed(cfg);
    return removed;
}

/* [sweep] section.key and every [method.*] section.key */
static int is_override(const char *s, const char *k, const char *sec, const char *key)
{
    size_t n = strlen(sec);
    return (!strcmp(s, "sweep") || !strncmp(s, "method.", 7)) && !strncmp(k, sec, n) &&
           k[n] == '.' && !strcmp(k + n + 1, key);
}

static int is_key(const char *s, const char *k, const char *sec, const char *key)
{
    return !strcmp(s, sec) && !strcmp(k, key);
}

int l2d_cfg_set(struct l2d_cfg *cfg, const char *assignment, struct l2d_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return l2d_seterr(err, L2D_EINVAL, "--set %s: expected section.key=value", assignment);
    char *lhs = strndup(assignment, (size_t)(eq - assignment));
    char *val = strdup(eq + 1);
    char *sec = NULL, *key = NULL;
    int rc = 0;
    if (!lhs || !val) {
        rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
    } else if (l2d_cfg_split_target(lhs, &sec, &key)) {
        rc = l2d_seterr(err, L2D_EINVAL,
                        "--set %s: expected section.key=value with names [a-z0-9_.-]+",
                        assignment);
    } else {
        /* a --set of a swept key (or of a key a method overrides) replaces
         * that sweep dimension (or override): the value given is the value
         * every cell runs with, never silently overwritten by the sweep */
        if (strcmp(sec, "sweep") && strncmp(sec, "method.", 7))
            drop_entries(cfg, sec, key, is_override);
        struct l2d_origin at = {NULL, 0, sec, key};
        rc = l2d_cfg_put(cfg, sec, key, l2d_cfg_trim(val), &at, err);
    }
    free(lhs);
    free(val);
    free(sec);
    free(key);
    return rc;
}

int l2d_cfg_unset(struct l2d_cfg *cfg, const char *target, struct l2d_error *err)
{
    char *sec = NULL, *key = NULL;
    if (strchr(target, '=') || l2d_cfg_split_target(target, &sec, &key))
        return l2d_seterr(err, L2D_EINVAL, "--unset %s: expected section.key", target);
    size_t removed = drop_entries(cfg, sec, key, is_key);
    int rc = removed ? 0 : l2d_seterr(err, L2D_EINVAL, "--unset %s: [%s] has no key '%s'", target, sec, key);
    free(sec);
    free(key);
    return rc;
}
