/* The experiment configuration as data: reading the INI file (the one
 * place iniparser is used), --set, lookups, origins and canonical text.
 *
 * iniparser 4.1 gives values but hides too much: no line numbers, silent
 * merging of a repeated section, the last of two equal keys wins, an error
 * callback that prints. So the file is also scanned here, line by line,
 * with iniparser's own line rules ('\' continuation, ';'/'#' comments,
 * [section], key = value); the scan gives structure, order and lines and
 * catches what iniparser would hide, iniparser gives the values, and the
 * two are checked against each other. */
#include "config.h"

#include "host/cfg_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser.h>

#include "host/params.h"

/* ---- small helpers ------------------------------------------------------- */

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

/* Trim blanks at both ends in place; returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

int l2d_cfg_name_ok(const char *s, int dots)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' ||
              *s == '-' || (dots && *s == '.')))
            return 0;
    return 1;
}

static void origin_free(struct l2d_origin *at)
{
    free(at->file);
    free(at->sec);
    free(at->key);
    memset(at, 0, sizeof *at);
}

static int origin_copy(struct l2d_origin *dst, const struct l2d_origin *src)
{
    memset(dst, 0, sizeof *dst);
    dst->line = src->line;
    dst->file = dupstr(src->file);
    dst->sec = dupstr(src->sec);
    dst->key = dupstr(src->key);
    if ((src->file && !dst->file) || (src->sec && !dst->sec) || (src->key && !dst->key)) {
        origin_free(dst);
        return -1;
    }
    return 0;
}

const char *l2d_origin_format(const struct l2d_origin *at, char *buf, size_t n)
{
    if (!at->file)
        snprintf(buf, n, "--set %s%s%s", at->sec ? at->sec : "", at->key ? "." : "",
                 at->key ? at->key : "");
    else if (at->line > 0)
        snprintf(buf, n, "%s:%d: [%s]%s%s", at->file, at->line, at->sec ? at->sec : "",
                 at->key ? " " : "", at->key ? at->key : "");
    else
        snprintf(buf, n, "%s: [%s]%s%s", at->file, at->sec ? at->sec : "", at->key ? " " : "",
                 at->key ? at->key : "");
    return buf;
}

static void changed(struct l2d_cfg *cfg)
{
    free(cfg->text);
    cfg->text = NULL;
    free(cfg->db);
    cfg->db = NULL;
}

/* ---- the entry list ------------------------------------------------------ */

static long find_sec(const struct l2d_cfg *cfg, const char *name)
{
    for (size_t s = 0; s < cfg->nsec; s++)
        if (!strcmp(cfg->secs[s].name, name)) return (long)s;
    return -1;
}

static long add_sec(struct l2d_cfg *cfg, const char *name, const struct l2d_origin *at)
{
    if (cfg->nsec == cfg->capsec) {
        size_t cap = cfg->capsec ? 2 * cfg->capsec : 16;
        struct l2d_cfg_sec *p = realloc(cfg->secs, cap * sizeof *p);
        if (!p) return -1;
        cfg->secs = p;
        cfg->capsec = cap;
    }
    struct l2d_cfg_sec *s = &cfg->secs[cfg->nsec];
    s->name = strdup(name);
    if (!s->name) return -1;
    if (origin_copy(&s->at, at)) {
        free(s->name);
        return -1;
    }
    changed(cfg);
    return (long)cfg->nsec++;
}

const struct l2d_cfg_entry *l2d_cfg_find(const struct l2d_cfg *cfg, const char *section,
                                         const char *key)
{
    long s = find_sec(cfg, section);
    if (s < 0) return NULL;
    for (size_t e = 0; e < cfg->nent; e++)
        if (cfg->ents[e].sec == (size_t)s && !strcmp(cfg->ents[e].key, key)) return &cfg->ents[e];
    return NULL;
}

int l2d_cfg_put(struct l2d_cfg *cfg, const char *section, const char *key, const char *value,
                const struct l2d_origin *at, struct l2d_error *err)
{
    struct l2d_cfg_entry *e = (struct l2d_cfg_entry *)l2d_cfg_find(cfg, section, key);
    if (e) {
        char *v = strdup(value);
        struct l2d_origin o;
        if (!v || origin_copy(&o, at)) {
            free(v);
            return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        }
        free(e->value);
        origin_free(&e->at);
        e->value = v;
        e->at = o;
        changed(cfg);
        return 0;
    }
    long s = find_sec(cfg, section);
    if (s < 0 && (s = add_sec(cfg, section, at)) < 0)
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    if (cfg->nent == cfg->capent) {
        size_t cap = cfg->capent ? 2 * cfg->capent : 32;
        struct l2d_cfg_entry *p = realloc(cfg->ents, cap * sizeof *p);
        if (!p) return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        cfg->ents = p;
        cfg->capent = cap;
    }
    e = &cfg->ents[cfg->nent];
    e->sec = (size_t)s;
    e->key = strdup(key);
    e->value = strdup(value);
    if (!e->key || !e->value || origin_copy(&e->at, at)) {
        free(e->key);
        free(e->value);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    cfg->nent++;
    changed(cfg);
    return 0;
}

void l2d_cfg_drop_section(struct l2d_cfg *cfg, const char *section)
{
    long s = find_sec(cfg, section);
    if (s < 0) return;
    size_t w = 0;
    for (size_t e = 0; e < cfg->nent; e++) {
        struct l2d_cfg_entry *x = &cfg->ents[e];
        if (x->sec == (size_t)s) {
            free(x->key);
            free(x->value);
            origin_free(&x->at);
            continue;
        }
        if (x->sec > (size_t)s) x->sec--;
        cfg->ents[w++] = *x;
    }
    cfg->nent = w;
    free(cfg->secs[s].name);
    origin_free(&cfg->secs[s].at);
    memmove(&cfg->secs[s], &cfg->secs[s + 1], (cfg->nsec - (size_t)s - 1) * sizeof *cfg->secs);
    cfg->nsec--;
    changed(cfg);
}

void l2d_cfg_free(struct l2d_cfg *cfg)
{
    if (!cfg) return;
    for (size_t e = 0; e < cfg->nent; e++) {
        free(cfg->ents[e].key);
        free(cfg->ents[e].value);
        origin_free(&cfg->ents[e].at);
    }
    for (size_t s = 0; s < cfg->nsec; s++) {
        free(cfg->secs[s].name);
        origin_free(&cfg->secs[s].at);
    }
    free(cfg->ents);
    free(cfg->secs);
    free(cfg->path);
    free(cfg->name);
    free(cfg->db);
    free(cfg->text);
    free(cfg);
}

static struct l2d_cfg *cfg_new(const char *path)
{
    struct l2d_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    cfg->path = strdup(path);
    /* default experiment name: base name without ".ini" */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    cfg->name = strdup(base);
    if (!cfg->path || !cfg->name) {
        l2d_cfg_free(cfg);
        return NULL;
    }
    size_t n = strlen(cfg->name);
    if (n > 4 && !strcmp(cfg->name + n - 4, ".ini")) cfg->name[n - 4] = 0;
    return cfg;
}

struct l2d_cfg *l2d_cfg_copy(const struct l2d_cfg *cfg)
{
    struct l2d_cfg *c = cfg_new(cfg->path);
    if (!c) return NULL;
    free(c->name);
    c->name = strdup(cfg->name);
    if (!c->name) goto fail;
    for (size_t s = 0; s < cfg->nsec; s++)
        if (add_sec(c, cfg->secs[s].name, &cfg->secs[s].at) < 0) goto fail;
    for (size_t e = 0; e < cfg->nent; e++) {
        const struct l2d_cfg_entry *x = &cfg->ents[e];
        if (l2d_cfg_put(c, cfg->secs[x->sec].name, x->key, x->value, &x->at, NULL)) goto fail;
    }
    return c;
fail:
    l2d_cfg_free(c);
    return NULL;
}

/* ---- reading the file ----------------------------------------------------- */

/* iniparser reports through a callback that prints by default; a library
 * must not print, and every case it reports is caught by the scan first. */
static int quiet(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

/* Check what follows '=' on a line: a quoted value must end at its closing
 * quote (iniparser silently drops anything after it); an opening quote
 * must be closed. */
static const char *value_problem(const char *raw)
{
    if (*raw != '"' && *raw != '\'') return NULL;
    const char *close = strchr(raw + 1, *raw);
    if (!close) {
        /* `k = ""` style empty values are fine; an unclosed quote is not */
        return "unclosed quote";
    }
    const char *p = close + 1;
    while (isspace((unsigned char)*p)) p++;
    if (*p && *p != ';' && *p != '#') return "text after the closing quote";
    return NULL;
}

struct scan {
    const char *path;
    struct l2d_cfg *cfg;
    long cur; /* current section or -1 */
};

/* One logical line (continuations joined), stripped at the end. */
static int scan_line(struct scan *sc, char *line, int lineno, struct l2d_error *err)
{
    const char *path = sc->path;
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';') return 0;
    size_t len = strlen(s);
    if (s[0] == '[' && s[len - 1] == ']') {
        s[len - 1] = 0;
        char *name = trim(s + 1);
        lower(name);
        if (!l2d_cfg_name_ok(name, 1))
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%d: bad section name [%s] (expected [a-z0-9_.-]+)", path,
                              lineno, name);
        long prev = find_sec(sc->cfg, name);
        if (prev >= 0)
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%d: section [%s] appears twice (first at line %d)", path,
                              lineno, name, sc->cfg->secs[prev].at.line);
        struct l2d_origin at = {(char *)path, lineno, name, NULL};
        if ((sc->cur = add_sec(sc->cfg, name, &at)) < 0)
            return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s:%d: expected [section] or key = value, got '%.60s'", path,
                          lineno, s);
    *eq = 0;
    char *key = trim(s), *raw = trim(eq + 1);
    lower(key);
    if (!l2d_cfg_name_ok(key, 1))
        return l2d_seterr(err, L2D_EINVAL, "%s:%d: bad key name '%s' (expected [a-z0-9_.-]+)",
                          path, lineno, key);
    if (sc->cur < 0)
        return l2d_seterr(err, L2D_EINVAL, "%s:%d: key '%s' is outside any [section]", path,
                          lineno, key);
    const char *sec = sc->cfg->secs[sc->cur].name;
    const struct l2d_cfg_entry *prev = l2d_cfg_find(sc->cfg, sec, key);
    if (prev)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s:%d: [%s] %s: key appears twice in the section (first at line %d)",
                          path, lineno, sec, key, prev->at.line);
    const char *why = value_problem(raw);
    if (why) return l2d_seterr(err, L2D_EINVAL, "%s:%d: [%s] %s: %s", path, lineno, sec, key, why);
    /* the value itself comes from iniparser, below */
    struct l2d_origin at = {(char *)path, lineno, (char *)sec, key};
    return l2d_cfg_put(sc->cfg, sec, key, "", &at, err);
}

static int scan_file(struct scan *sc, FILE *f, struct l2d_error *err)
{
    char *buf = NULL, *logical = NULL;
    size_t cap = 0, llen = 0;
    int lineno = 0, start = 0, rc = 0;
    ssize_t got;
    errno = 0;
    while ((got = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && isspace((unsigned char)buf[n - 1])) buf[--n] = 0;
        if (!logical) {
            start = lineno;
            llen = 0;
            if (lineno == 1 && !strncmp(buf, "\xEF\xBB\xBF", 3)) {
                rc = l2d_seterr(err, L2D_EINVAL,
                                "%s:1: the file starts with a UTF-8 byte-order mark; save it "
                                "without one",
                                sc->path);
                break;
            }
        } else {
            /* iniparser joins a comment's '\' with the next line too, which
             * would silently swallow that line */
            const char *first = logical + strspn(logical, " \t");
            if (*first == ';' || *first == '#') {
                rc = l2d_seterr(err, L2D_EINVAL,
                                "%s:%d: a comment ends with '\\' and would swallow line %d",
                                sc->path, start, lineno);
                break;
            }
        }
        char *p = realloc(logical, llen + n + 1);
        if (!p) {
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        logical = p;
        memcpy(logical + llen, buf, n + 1);
        llen += n;
        if (llen > L2D_CFG_LINE_MAX) {
            rc = l2d_seterr(err, L2D_EINVAL,
                            "%s:%d: line longer than %d characters (iniparser cuts long lines)",
                            sc->path, start, L2D_CFG_LINE_MAX);
            break;
        }
        /* iniparser: a line ending in '\' continues on the next one, the
         * backslash replaced by that line as it is (leading blanks kept) */
        if (llen && logical[llen - 1] == '\\') {
            logical[--llen] = 0;
            continue;
        }
        rc = scan_line(sc, logical, start, err);
        free(logical);
        logical = NULL;
        if (rc) break;
    }
    if (!rc && ferror(f))
        rc = l2d_seterr(err, L2D_EIO, "%s: read error: %s", sc->path, strerror(errno));
    if (!rc && logical) rc = scan_line(sc, logical, start, err);
    free(logical);
    free(buf);
    return rc;
}

/* Take the values from iniparser and check it saw what the scan saw. */
static int read_values(struct l2d_cfg *cfg, const char *path, struct l2d_error *err)
{
    iniparser_set_error_callback(quiet);
    dictionary *d = iniparser_load(path);
    if (!d) return l2d_seterr(err, L2D_EIO, "%s: iniparser could not read the file", path);
    int rc = 0;
    if (iniparser_getnsec(d) != (int)cfg->nsec)
        rc = l2d_seterr(err, L2D_EINTERNAL, "%s: iniparser found %d sections, the scan %zu", path,
                        iniparser_getnsec(d), cfg->nsec);
    for (size_t s = 0; !rc && s < cfg->nsec; s++) {
        size_t nk = l2d_cfg_nkeys(cfg, cfg->secs[s].name);
        if (iniparser_getsecnkeys(d, cfg->secs[s].name) != (int)nk)
            rc = l2d_seterr(err, L2D_EINTERNAL, "%s:%d: [%s]: iniparser found %d keys, the scan %zu",
                            path, cfg->secs[s].at.line, cfg->secs[s].name,
                            iniparser_getsecnkeys(d, cfg->secs[s].name), nk);
    }
    for (size_t e = 0; !rc && e < cfg->nent; e++) {
        struct l2d_cfg_entry *x = &cfg->ents[e];
        const char *sec = cfg->secs[x->sec].name;
        size_t n = strlen(sec) + strlen(x->key) + 2;
        char *k = malloc(n);
        if (!k) {
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        snprintf(k, n, "%s:%s", sec, x->key);
        const char *v = iniparser_getstring(d, k, NULL);
        free(k);
        if (!v) {
            rc = l2d_seterr(err, L2D_EINTERNAL, "%s:%d: [%s] %s: iniparser did not see this key",
                            path, x->at.line, sec, x->key);
            break;
        }
        char *copy = strdup(v);
        if (!copy) {
            rc = l2d_seterr(err, L2D_ENOMEM, "out of memory");
            break;
        }
        free(x->value);
        x->value = copy;
    }
    iniparser_freedict(d);
    changed(cfg);
    return rc;
}

int l2d_cfg_load(const char *path, struct l2d_cfg **out, struct l2d_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return l2d_seterr(err, L2D_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct l2d_cfg *cfg = cfg_new(path);
    if (!cfg) {
        fclose(f);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    struct scan sc = {path, cfg, -1};
    int rc = scan_file(&sc, f, err);
    fclose(f);
    if (!rc) rc = read_values(cfg, path, err);
    if (rc) {
        l2d_cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* ---- --set ---------------------------------------------------------------- */

int l2d_cfg_split_target(const char *text, char **section, char **key)
{
    *section = *key = NULL;
    char *t = strdup(text);
    if (!t) return -1;
    char *s = trim(t);
    lower(s);
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
        struct l2d_origin at = {NULL, 0, sec, key};
        rc = l2d_cfg_put(cfg, sec, key, trim(val), &at, err);
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
    size_t w = 0, removed = 0;
    for (size_t e = 0; e < cfg->nent; e++) {
        struct l2d_cfg_entry *x = &cfg->ents[e];
        if (!strcmp(cfg->secs[x->sec].name, sec) && !strcmp(x->key, key)) {
            free(x->key);
            free(x->value);
            origin_free(&x->at);
            removed++;
            continue;
        }
        cfg->ents[w++] = *x;
    }
    cfg->nent = w;
    int rc = removed ? 0 : l2d_seterr(err, L2D_EINVAL, "--unset %s: [%s] has no key '%s'", target, sec, key);
    if (removed) changed(cfg);
    free(sec);
    free(key);
    return rc;
}

/* ---- lookups -------------------------------------------------------------- */

const char *l2d_cfg_get(const struct l2d_cfg *cfg, const char *section, const char *key)
{
    const struct l2d_cfg_entry *e = l2d_cfg_find(cfg, section, key);
    return e ? e->value : NULL;
}

const char *l2d_cfg_where(const struct l2d_cfg *cfg, const char *section, const char *key,
                          char *buf, size_t n)
{
    const struct l2d_cfg_entry *e = l2d_cfg_find(cfg, section, key);
    if (e) return l2d_origin_format(&e->at, buf, n);
    long s = find_sec(cfg, section);
    if (s < 0) {
        snprintf(buf, n, "%s: [%s] %s", cfg->path, section, key);
        return buf;
    }
    const struct l2d_origin *at = &cfg->secs[s].at;
    if (at->file && at->line > 0 && !at->key) { /* the [section] line of the file */
        snprintf(buf, n, "%s:%d: [%s] %s", at->file, at->line, section, key);
        return buf;
    }
    char tmp[256]; /* made by --set, [sweep] or [method.*]: say so */
    snprintf(buf, n, "%s: [%s] %s", l2d_origin_format(at, tmp, sizeof tmp), section, key);
    return buf;
}

size_t l2d_cfg_nsections(const struct l2d_cfg *cfg) { return cfg->nsec; }

const char *l2d_cfg_section(const struct l2d_cfg *cfg, size_t i)
{
    return i < cfg->nsec ? cfg->secs[i].name : NULL;
}

int l2d_cfg_has_section(const struct l2d_cfg *cfg, const char *section)
{
    return find_sec(cfg, section) >= 0;
}

size_t l2d_cfg_nkeys(const struct l2d_cfg *cfg, const char *section)
{
    long s = find_sec(cfg, section);
    size_t n = 0;
    for (size_t e = 0; s >= 0 && e < cfg->nent; e++) n += cfg->ents[e].sec == (size_t)s;
    return n;
}

const char *l2d_cfg_key(const struct l2d_cfg *cfg, const char *section, size_t i)
{
    long s = find_sec(cfg, section);
    for (size_t e = 0; s >= 0 && e < cfg->nent; e++)
        if (cfg->ents[e].sec == (size_t)s && i-- == 0) return cfg->ents[e].key;
    return NULL;
}

size_t l2d_cfg_nagents(const struct l2d_cfg *cfg)
{
    size_t n = 0;
    for (size_t s = 0; s < cfg->nsec; s++) n += !strncmp(cfg->secs[s].name, "agent.", 6);
    return n;
}

const char *l2d_cfg_agent(const struct l2d_cfg *cfg, size_t i)
{
    for (size_t s = 0; s < cfg->nsec; s++)
        if (!strncmp(cfg->secs[s].name, "agent.", 6) && i-- == 0) return cfg->secs[s].name;
    return NULL;
}

const char *l2d_cfg_path(const struct l2d_cfg *cfg) { return cfg->path; }

const char *l2d_cfg_name(const struct l2d_cfg *cfg)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "name");
    return v && *v ? v : cfg->name;
}

const char *l2d_cfg_db(const struct l2d_cfg *cfg)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "db");
    if (v && *v) return v;
    if (!cfg->db) {
        /* a cache: logically const */
        struct l2d_cfg *c = (struct l2d_cfg *)cfg;
        const char *name = l2d_cfg_name(cfg);
        size_t n = strlen(name) + sizeof "results/.db";
        if ((c->db = malloc(n))) snprintf(c->db, n, "results/%s.db", name);
    }
    return cfg->db;
}

int l2d_split_list(const char *text, char sep, char ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == sep;
    char **out = calloc(cap, sizeof *out);
    if (!out) return -1;
    size_t k = 0;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *it = strndup(p, len);
        if (!it) {
            l2d_list_free(out, k);
            return -1;
        }
        char *t = trim(it);
        memmove(it, t, strlen(t) + 1);
        out[k++] = it;
        if (!end) break;
        p = end + 1;
    }
    *items = out;
    *n = k;
    return 0;
}

void l2d_list_free(char **items, size_t n)
{
    for (size_t k = 0; items && k < n; k++) free(items[k]);
    free(items);
}

int l2d_cfg_seeds(const struct l2d_cfg *cfg, int64_t **seeds, size_t *n, struct l2d_error *err)
{
    const char *v = l2d_cfg_get(cfg, "experiment", "seeds");
    char where[256];
    l2d_cfg_where(cfg, "experiment", "seeds", where, sizeof where);
    *seeds = NULL;
    *n = 0;
    char **items;
    size_t m;
    if (l2d_split_list(v ? v : "0", ',', &items, &m))
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    int64_t *out = malloc(m * sizeof *out);
    int rc = out ? 0 : l2d_seterr(err, L2D_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < m; k++) {
        if (!*items[k]) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: empty seed in the list '%s'", where, v);
            break;
        }
        if (l2d_parse_int64(items[k], &out[k]) || out[k] < 0) {
            rc = l2d_seterr(err, L2D_EINVAL, "%s: '%s' is not a seed (an integer >= 0)", where,
                            items[k]);
            break;
        }
        for (size_t j = 0; j < k; j++)
            if (out[j] == out[k]) {
                rc = l2d_seterr(err, L2D_EINVAL, "%s: seed %lld is listed twice", where,
                                (long long)out[k]);
                break;
            }
    }
    l2d_list_free(items, m);
    if (rc) {
        free(out);
        return rc;
    }
    *seeds = out;
    *n = m;
    return 0;
}

/* ---- canonical text -------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int need = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (need < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)need < b->cap) {
            b->n += (size_t)need;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 1024) + (size_t)need;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A value as iniparser reads it back: quoted when it has a comment
 * character, blanks at an end, starts with a quote or ends with '\'. */
static void sb_value(struct sbuf *b, const char *v)
{
    size_t n = strlen(v);
    int need = !n || strpbrk(v, ";#") || isspace((unsigned char)v[0]) ||
               isspace((unsigned char)v[n - 1]) || v[0] == '"' || v[0] == '\'' ||
               v[n - 1] == '\\';
    if (!need)
        sb_add(b, "%s", v);
    else if (!strchr(v, '"'))
        sb_add(b, "\"%s\"", v);
    else
        sb_add(b, "'%s'", v);
}

const char *l2d_cfg_text(const struct l2d_cfg *cfg)
{
    if (cfg->text) return cfg->text;
    struct sbuf b = {0};
    for (size_t s = 0; s < cfg->nsec; s++) {
        sb_add(&b, "%s[%s]\n", s ? "\n" : "", cfg->secs[s].name);
        for (size_t e = 0; e < cfg->nent; e++)
            if (cfg->ents[e].sec == s) {
                sb_add(&b, "%s = ", cfg->ents[e].key);
                sb_value(&b, cfg->ents[e].value);
                sb_add(&b, "\n");
            }
    }
    if (!b.p) sb_add(&b, "%s", "");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    ((struct l2d_cfg *)cfg)->text = b.p; /* a cache: logically const */
    return cfg->text;
}

uint64_t l2d_cfg_hash(const struct l2d_cfg *cfg)
{
    const char *t = l2d_cfg_text(cfg);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)(t ? t : ""); *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}
