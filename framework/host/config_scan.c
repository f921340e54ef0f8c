/* The INI scan: the file line by line with iniparser's own line rules
 * ('\' continuation, ';'/'#' comments, [section], key = value), giving
 * structure, order and line numbers, and catching what iniparser would
 * hide (see config_load.c). */
#include "config.h"

#include "host/cfg_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char *s = l2d_cfg_trim(line);
    if (!*s || *s == '#' || *s == ';') return 0;
    size_t len = strlen(s);
    if (s[0] == '[' && s[len - 1] == ']') {
        s[len - 1] = 0;
        char *name = l2d_cfg_trim(s + 1);
        l2d_cfg_lower(name);
        if (!l2d_cfg_name_ok(name, 1))
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%d: bad section name [%s] (expected [a-z0-9_.-]+)", path,
                              lineno, name);
        long prev = l2d_cfg_find_sec(sc->cfg, name);
        if (prev >= 0)
            return l2d_seterr(err, L2D_EINVAL,
                              "%s:%d: section [%s] appears twice (first at line %d)", path,
                              lineno, name, sc->cfg->secs[prev].at.line);
        struct l2d_origin at = {(char *)path, lineno, name, NULL};
        if ((sc->cur = l2d_cfg_add_sec(sc->cfg, name, &at)) < 0)
            return l2d_seterr(err, L2D_ENOMEM, "out of memory");
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return l2d_seterr(err, L2D_EINVAL,
                          "%s:%d: expected [section] or key = value, got '%.60s'", path,
                          lineno, s);
    *eq = 0;
    char *key = l2d_cfg_trim(s), *raw = l2d_cfg_trim(eq + 1);
    l2d_cfg_lower(key);
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
        if (memchr(buf, 0, n)) { /* the line would end there, silently */
            rc = l2d_seterr(err, L2D_EINVAL, "%s:%d: NUL byte: not a text configuration file",
                            sc->path, lineno);
            break;
        }
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

int l2d_cfg_scan(struct l2d_cfg *cfg, const char *path, FILE *f, struct l2d_error *err)
{
    struct scan sc = {path, cfg, -1};
    return scan_file(&sc, f, err);
}
