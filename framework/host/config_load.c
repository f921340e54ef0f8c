/* Reading the INI file (the one place iniparser is used).
 *
 * iniparser 4.1 gives values but hides too much: no line numbers, silent
 * merging of a repeated section, the last of two equal keys wins, an error
 * callback that prints. So the file is also scanned (config_scan.c) with
 * iniparser's own line rules; the scan gives structure, order and lines and
 * catches what iniparser would hide, iniparser gives the values, and the
 * two are checked against each other. */
#include "config.h"

#include "host/cfg_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <iniparser.h>

/* iniparser reports through a callback that prints by default; a library
 * must not print, and every case it reports is caught by the scan first. */
static int quiet(const char *fmt, ...)
{
    (void)fmt;
    return 0;
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
    l2d_cfg_changed(cfg);
    return rc;
}

/* A configuration is a few kilobytes; this is far beyond any. */
#define L2D_CFG_FILE_MAX (16 << 20)

int l2d_cfg_load(const char *path, struct l2d_cfg **out, struct l2d_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return l2d_seterr(err, L2D_EIO, "%s: cannot open: %s", path, strerror(errno));
    /* iniparser opens the file again: a pipe could not be read twice, and
     * a device such as /dev/zero has no end of line (reading it ran out of
     * memory); a size cap keeps one huge line from doing the same */
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > L2D_CFG_FILE_MAX) {
        int isreg = S_ISREG(st.st_mode);
        fclose(f);
        if (isreg)
            return l2d_seterr(err, L2D_EINVAL, "%s: larger than %d bytes: not a configuration",
                              path, L2D_CFG_FILE_MAX);
        return l2d_seterr(err, L2D_EIO, "%s: not a regular file", path);
    }
    struct l2d_cfg *cfg = l2d_cfg_new(path);
    if (!cfg) {
        fclose(f);
        return l2d_seterr(err, L2D_ENOMEM, "out of memory");
    }
    int rc = l2d_cfg_scan(cfg, path, f, err);
    fclose(f);
    if (!rc) rc = read_values(cfg, path, err);
    if (rc) {
        l2d_cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}
