/* `l2d report --plot`: read the means over seeds of one metric at each
 * value of a swept parameter (v_summary, one point per method, attack and
 * parameter setting) and hand them to gnuplot through a pipe. */
#include "config.h"

#include "host/plot.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/store.h"

struct point {
    double x, mean, sd;
    int64_t n;
};

struct series {
    int64_t exp;
    char *title; /* the experiment's */
    char *method, *others, *attack; /* others: the other swept parameters */
    long group;                     /* (experiment, method, others): the colour */
    long rank;                      /* the attack's place: the dash */
    struct point *p;
    size_t np, cap;
};

struct plot {
    struct l2d_store *st;
    sqlite3 *db;
    const char *path, *key, *metric, *split;
    const struct l2d_plot_opts *o;
    struct series *s;
    size_t ns, cap;
    int nexp; /* experiments with a line */
};

const char *l2d_plot_key(const char *param)
{
    return param && !strcmp(param, "eps") ? "attack.eps" : param;
}

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

static const char *col_text(sqlite3_stmt *s, int k)
{
    const char *t = (const char *)sqlite3_column_text(s, k);
    return t ? t : "";
}

static int nomem(const struct plot *p, struct l2d_error *err)
{
    return l2d_seterr(err, L2D_ENOMEM, "%s: plot: out of memory", p->path);
}

static int db_fail(const struct plot *p, int rc, struct l2d_error *err)
{
    if (rc == SQLITE_NOMEM) return nomem(p, err);
    return l2d_seterr(err, L2D_EIO, "%s: plot: %s", p->path, sqlite3_errmsg(p->db));
}

/* "a, b, c" from the first column of a query with optional text binds
 * ?1, ?2 (NULL: not bound), into buf; "" when it gives no rows */
static int list_of(const struct plot *p, const char *sql, const char *b1, const char *b2, char *buf, size_t len,
                   struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    size_t used = 0;
    buf[0] = '\0';
    int rc = sqlite3_prepare_v2(p->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && b1) rc = sqlite3_bind_text(s, 1, b1, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && b2) rc = sqlite3_bind_text(s, 2, b2, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (used + 1 < len) used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", col_text(s, 0));
        if (used >= len) used = len - 1;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(p, rc, err);
}

/* Before reading: the experiment exists, sweeps the key, with numbers. */
static int check_param(const struct plot *p, struct l2d_error *err)
{
    const char *exp = p->o->experiment;
    char have[400];
    int rc;
    if (exp) {
        rc = list_of(p, "SELECT name FROM experiments WHERE name = ?1 LIMIT 1", exp, NULL, have, sizeof have, err);
        if (rc) return rc;
        if (!*have) return l2d_seterr(err, L2D_EINVAL, "%s: no experiment named '%s'", p->path, exp);
    }
    rc = list_of(p,
                 "SELECT DISTINCT p.key FROM run_params p JOIN runs r ON r.id = p.run_id JOIN experiments e "
                 "ON e.id = r.experiment_id WHERE r.status = 'done' AND (?1 IS NULL OR e.name = ?1) "
                 "AND p.key NOT IN ('method', 'seed') ORDER BY p.key",
                 exp, NULL, have, sizeof have, err);
    if (rc) return rc;
    int swept = 0;
    for (const char *k = have; *k && !swept; k += strcspn(k, ","), k += strspn(k, ", "))
        swept = strlen(p->key) == strcspn(k, ",") && !strncmp(k, p->key, strlen(p->key));
    if (!swept)
        return l2d_seterr(err, L2D_EINVAL, "%s: no finished runs %s%s%ssweep the parameter '%s' (%s%s)", p->path,
                          exp ? "of experiment '" : "", exp ? exp : "", exp ? "' " : "", p->key,
                          *have ? "swept: " : "nothing is swept", have);
    rc = list_of(p,
                 "SELECT p.value FROM run_params p JOIN runs r ON r.id = p.run_id JOIN experiments e "
                 "ON e.id = r.experiment_id WHERE p.key = ?2 AND p.value_num IS NULL AND r.status = 'done' "
                 "AND (?1 IS NULL OR e.name = ?1) LIMIT 1",
                 exp, p->key, have, sizeof have, err);
    if (rc) return rc;
    if (*have)
        return l2d_seterr(err, L2D_EINVAL, "%s: parameter '%s' has the value '%s', not a number: cannot plot against it",
                          p->path, p->key, have);
    return 0;
}

/* params "k=v;k=v" without the plotted key */
static char *other_params(const char *params, const char *key)
{
    char *out = malloc(strlen(params) + 1), *q = out;
    if (!out) return NULL;
    size_t klen = strlen(key);
    for (const char *s = params; *s;) {
        size_t len = strcspn(s, ";");
        if (!(len > klen && s[klen] == '=' && !strncmp(s, key, klen))) {
            if (q != out) *q++ = ';';
            memcpy(q, s, len);
            q += len;
        }
        s += len;
        if (*s == ';') s++;
    }
    *q = '\0';
    return out;
}

/* clean, untargeted, then the targeted attacks by agent index */
static long attack_rank(const struct plot *p, int64_t exp, const char *attack)
{
    if (!strcmp(attack, "clean")) return 0;
    if (!strcmp(attack, "untargeted")) return 1;
    if (strncmp(attack, "targeted:", 9)) return LONG_MAX;
    const char *name = attack + 9;
    sqlite3_stmt *s = NULL;
    long j = -1;
    if (sqlite3_prepare_v2(p->db,
                           "SELECT min(am.agent_index) FROM agent_metrics am JOIN runs r ON r.id = am.run_id "
                           "WHERE r.experiment_id = ?1 AND am.agent_name = ?2",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(s, 1, exp) == SQLITE_OK && sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        j = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (j < 0 && *name && strspn(name, "0123456789") == strlen(name) && strlen(name) < 7) j = strtol(name, NULL, 10);
    return j >= 0 ? 2 + j : LONG_MAX - 1;
}

static int grow(void *pp, size_t n, size_t *cap, size_t sz)
{
    void **p = pp;
    if (n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 8;
    void *q = realloc(*p, nc * sz);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static struct series *find_series(struct plot *p, int64_t exp, const char *method, const char *others,
                                  const char *attack)
{
    for (size_t k = 0; k < p->ns; k++) {
        struct series *s = &p->s[k];
        if (s->exp == exp && !strcmp(s->method, method) && !strcmp(s->others, others) && !strcmp(s->attack, attack))
            return s;
    }
    return NULL;
}

static int load(struct plot *p, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(p->db,
                                "SELECT v.experiment_id, v.experiment, (SELECT count(*) FROM experiments f WHERE "
                                "f.name = v.experiment), e.config_hash, v.method, v.params, v.attack, pr.value_num, "
                                "v.n, v.mean, v.var FROM v_summary v JOIN run_params pr ON pr.run_id = v.first_run "
                                "AND pr.key = ?1 JOIN experiments e ON e.id = v.experiment_id WHERE v.split = ?2 "
                                "AND v.metric = ?3 AND (?4 IS NULL OR v.experiment = ?4) AND (?5 IS NULL OR "
                                "v.attack = ?5) ORDER BY v.experiment_id, v.first_run, v.attack",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 1, p->key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, p->split, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 3, p->metric, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && p->o->experiment) rc = sqlite3_bind_text(s, 4, p->o->experiment, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && p->o->attack) rc = sqlite3_bind_text(s, 5, p->o->attack, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        int64_t exp = sqlite3_column_int64(s, 0);
        char *others = other_params(col_text(s, 5), p->key);
        if (!others) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct series *se = find_series(p, exp, col_text(s, 4), others, col_text(s, 6));
        if (!se) {
            if (grow(&p->s, p->ns, &p->cap, sizeof *p->s)) {
                free(others);
                rc = SQLITE_NOMEM;
                break;
            }
            se = &p->s[p->ns++];
            memset(se, 0, sizeof *se);
            se->exp = exp;
            /* a name that repeats (its config changed) is told apart by hash */
            se->title = sqlite3_column_int64(s, 2) > 1 ? NULL : dupstr(col_text(s, 1));
            if (!se->title) {
                size_t n = strlen(col_text(s, 1)) + strlen(col_text(s, 3)) + 16;
                if ((se->title = malloc(n))) snprintf(se->title, n, "%s [config %s]", col_text(s, 1), col_text(s, 3));
            }
            se->method = dupstr(col_text(s, 4));
            se->attack = dupstr(col_text(s, 6));
            se->others = others;
            others = NULL;
            if (!se->title || !se->method || !se->attack) {
                rc = SQLITE_NOMEM;
                break;
            }
            se->rank = attack_rank(p, exp, se->attack);
        }
        free(others);
        if (grow(&se->p, se->np, &se->cap, sizeof *se->p)) {
            rc = SQLITE_NOMEM;
            break;
        }
        double var = sqlite3_column_type(s, 10) == SQLITE_NULL ? 0 : sqlite3_column_double(s, 10);
        se->p[se->np++] = (struct point){sqlite3_column_double(s, 7), sqlite3_column_double(s, 9),
                                         sqrt(var > 0 ? var : 0), sqlite3_column_int64(s, 8)};
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(p, rc, err);
}

static int cmp_point(const void *a, const void *b)
{
    double x = ((const struct point *)a)->x, y = ((const struct point *)b)->x;
    return (x > y) - (x < y);
}

/* Colour by (experiment, method, other parameters) in order of first
 * appearance; within a colour, the attacks in rank order. */
static void arrange(struct plot *p)
{
    /* other parameters that every line shares say nothing: leave them out */
    int same = 1;
    for (size_t k = 1; k < p->ns && same; k++) same = !strcmp(p->s[k].others, p->s[0].others);
    for (size_t k = 0; k < p->ns && same; k++) p->s[k].others[0] = '\0';
    long ngroup = 0;
    for (size_t k = 0; k < p->ns; k++) {
        struct series *s = &p->s[k];
        s->group = -1;
        for (size_t j = 0; j < k && s->group < 0; j++)
            if (p->s[j].exp == s->exp && !strcmp(p->s[j].method, s->method) && !strcmp(p->s[j].others, s->others))
                s->group = p->s[j].group;
        if (s->group < 0) s->group = ngroup++;
        qsort(s->p, s->np, sizeof *s->p, cmp_point);
    }
    /* insertion sort: stable, and the lines are few */
    for (size_t k = 1; k < p->ns; k++) {
        struct series x = p->s[k];
        size_t j = k;
        for (; j > 0; j--) {
            const struct series *y = &p->s[j - 1];
            if (y->group < x.group || (y->group == x.group && (y->rank < x.rank ||
                                                               (y->rank == x.rank && strcmp(y->attack, x.attack) <= 0))))
                break;
            p->s[j] = p->s[j - 1];
        }
        p->s[j] = x;
    }
    p->nexp = 0;
    for (size_t k = 0; k < p->ns; k++) {
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++) seen = p->s[j].exp == p->s[k].exp;
        p->nexp += !seen;
    }
}

/* Why nothing was found: the metrics that the sweep's runs do have. */
static int no_metric(const struct plot *p, struct l2d_error *err)
{
    char have[400];
    int rc = list_of(p,
                     "SELECT DISTINCT m.name FROM metrics m JOIN runs r ON r.id = m.run_id JOIN run_params pr "
                     "ON pr.run_id = r.id AND pr.key = ?2 JOIN experiments e ON e.id = r.experiment_id "
                     "WHERE r.status = 'done' AND (?1 IS NULL OR e.name = ?1) ORDER BY m.name",
                     p->o->experiment, p->key, have, sizeof have, err);
    if (rc) return rc;
    /* and the splits and attacks they have, for a split or attack that matches nothing */
    char splits[200], attacks[300];
    rc = list_of(p,
                 "SELECT DISTINCT m.split FROM metrics m JOIN runs r ON r.id = m.run_id JOIN run_params pr "
                 "ON pr.run_id = r.id AND pr.key = ?2 JOIN experiments e ON e.id = r.experiment_id "
                 "WHERE r.status = 'done' AND (?1 IS NULL OR e.name = ?1) ORDER BY m.split",
                 p->o->experiment, p->key, splits, sizeof splits, err);
    if (!rc)
        rc = list_of(p,
                     "SELECT DISTINCT m.attack FROM metrics m JOIN runs r ON r.id = m.run_id JOIN run_params pr "
                     "ON pr.run_id = r.id AND pr.key = ?2 JOIN experiments e ON e.id = r.experiment_id "
                     "WHERE r.status = 'done' AND (?1 IS NULL OR e.name = ?1) ORDER BY m.attack",
                     p->o->experiment, p->key, attacks, sizeof attacks, err);
    if (rc) return rc;
    return l2d_seterr(err, L2D_EINVAL,
                      "%s: no metric '%s' on split '%s'%s%s%s in the runs that sweep '%s' (there are "
                      "metrics: %s; splits: %s; attacks: %s)",
                      p->path, p->metric, p->split, p->o->attack ? ", attack '" : "",
                      p->o->attack ? p->o->attack : "", p->o->attack ? "'" : "", p->key, have, splits,
                      attacks);
}

static void free_plot(struct plot *p)
{
    for (size_t k = 0; k < p->ns; k++) {
        struct series *s = &p->s[k];
        free(s->title), free(s->method), free(s->others), free(s->attack), free(s->p);
    }
    free(p->s);
    l2d_store_close(p->st);
}

static int open_plot(struct plot *p, const char *db_path, const struct l2d_plot_opts *o, struct l2d_error *err)
{
    memset(p, 0, sizeof *p);
    if (!db_path || !o || !o->param || !*o->param)
        return l2d_seterr(err, L2D_EINVAL, "plot: no database or no parameter");
    p->path = db_path;
    p->o = o;
    p->key = l2d_plot_key(o->param);
    p->metric = o->metric && *o->metric ? o->metric : "rmse";
    p->split = o->split && *o->split ? o->split : "test";
    int rc = l2d_store_open_readonly(db_path, &p->st, err);
    if (rc) return rc;
    p->db = l2d_store_sqlite(p->st);
    if (!rc) rc = check_param(p, err);
    if (!rc) rc = load(p, err);
    if (!rc && !p->ns) rc = no_metric(p, err);
    if (!rc) arrange(p);
    return rc;
}

/* a gnuplot string: single quotes, '' for a quote */
static void gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

/* the legend of series s */
static void gp_title(FILE *f, const struct plot *p, const struct series *s)
{
    size_t n = strlen(s->method) + strlen(s->attack) + strlen(s->others) + strlen(s->title) + 8;
    char *t = malloc(n);
    if (!t) {
        gp_string(f, s->method);
        return;
    }
    int k = snprintf(t, n, "%s %s", s->method, s->attack);
    if (*s->others) k += snprintf(t + k, n - (size_t)k, " (%s)", s->others);
    if (p->nexp > 1) snprintf(t + k, n - (size_t)k, " %s", s->title);
    gp_string(f, t);
    free(t);
}

static void write_data(FILE *f, const struct plot *p)
{
    for (size_t k = 0; k < p->ns; k++) {
        const struct series *s = &p->s[k];
        fprintf(f, "$s%zu << EOD\n# %s %s", k, s->method, s->attack);
        if (*s->others) fprintf(f, " (%s)", s->others);
        if (p->nexp > 1) fprintf(f, " %s", s->title);
        fprintf(f, "\n# %s mean std n\n", p->key);
        for (size_t i = 0; i < s->np; i++)
            fprintf(f, "%.10g %.10g %.10g %" PRId64 "\n", s->p[i].x, s->p[i].mean, s->p[i].sd, s->p[i].n);
        fprintf(f, "EOD\n");
    }
}

/* The whole script: pngcairo when gnuplot has it, else png. */
static void write_script(FILE *f, const struct plot *p, const char *output)
{
    /* long legends go below the plot, so as not to squeeze it */
    size_t longest = 0;
    for (size_t k = 0; k < p->ns; k++) {
        const struct series *s = &p->s[k];
        size_t n = strlen(s->method) + strlen(s->attack) + (*s->others ? strlen(s->others) + 3 : 0) +
                   (p->nexp > 1 ? strlen(s->title) + 1 : 0);
        if (n > longest) longest = n;
    }
    int below = longest > 32;
    size_t height = 620 + (below ? 20 * p->ns + 20 : 0);
    fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
               "    set terminal pngcairo size 1000,%zu noenhanced\n"
               "} else {\n"
               "    set terminal png size 1000,%zu noenhanced\n"
               "}\nset output ",
            height, height);
    gp_string(f, output);
    fprintf(f, "\nset xlabel ");
    gp_string(f, p->key);
    fprintf(f, "\nset ylabel ");
    char buf[256];
    snprintf(buf, sizeof buf, "%s (split %s), mean and std over seeds", p->metric, p->split);
    gp_string(f, buf);
    if (p->nexp == 1) {
        fprintf(f, "\nset title ");
        gp_string(f, p->s[0].title);
    }
    fprintf(f, "\nset key %s\nset grid\nset offsets graph 0.02, graph 0.02, 0, 0\n",
            below ? "below left Left reverse height 1" : "outside right top");
    write_data(f, p);
    /* The attacks and the (method, other parameters) groups: the more
     * numerous of the two get the colours, the other the dashes. */
    size_t *atk = malloc((p->ns + 1) * sizeof *atk), na = 0;
    long ngroup = 0;
    for (size_t k = 0; k < p->ns && atk; k++) {
        size_t j = 0;
        while (j < k && strcmp(p->s[j].attack, p->s[k].attack)) j++;
        atk[k] = j < k ? atk[j] : na++;
        if (p->s[k].group >= ngroup) ngroup = p->s[k].group + 1;
    }
    int by_attack = (long)na >= ngroup;
    fprintf(f, "plot ");
    for (size_t k = 0; k < p->ns; k++) {
        const struct series *s = &p->s[k];
        size_t a = atk ? atk[k] : 0, g = (size_t)s->group;
        size_t colour = by_attack ? a : g, dash = by_attack ? g : a;
        fprintf(f, "%s$s%zu using 1:2:3 with yerrorlines lc %zu dt %zu pt %zu lw 1.5 title ", k ? ", \\\n     " : "",
                k, colour % 8 + 1, dash % 5 + 1, (by_attack ? colour : dash) % 7 + 1);
        gp_title(f, p, s);
    }
    fprintf(f, "\n");
    free(atk);
}

int l2d_plot_data(const char *db_path, const struct l2d_plot_opts *opts, FILE *out, struct l2d_error *err)
{
    struct plot p;
    int rc = open_plot(&p, db_path, opts, err);
    if (!rc) {
        write_data(out, &p);
        if (fflush(out) || ferror(out)) rc = l2d_seterr(err, L2D_EIO, "plot: cannot write the data");
    }
    free_plot(&p);
    return rc;
}

/* gnuplot's full path on PATH into buf, or 0 */
static int find_gnuplot(char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    for (const char *d = path;; d += strcspn(d, ":") + 1) {
        size_t n = strcspn(d, ":");
        int w = n ? snprintf(buf, len, "%.*s/gnuplot", (int)n, d) : snprintf(buf, len, "./gnuplot");
        struct stat sb;
        if (w > 0 && (size_t)w < len && !stat(buf, &sb) && S_ISREG(sb.st_mode) && !access(buf, X_OK)) return 1;
        if (!d[n]) return 0;
    }
}

/* the first non-blank line of f (gnuplot's messages), trimmed, into buf */
static void first_line(FILE *f, char *buf, size_t len)
{
    buf[0] = '\0';
    char line[512];
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        char *s = line + strspn(line, " \t^");
        s[strcspn(s, "\r\n")] = '\0';
        if (!*s) continue;
        /* gnuplot first echoes the offending line, then says what is wrong */
        int found = strstr(s, "line ") || strstr(s, "rror") || strstr(s, "cannot") || strstr(s, "not ");
        if (found || !buf[0]) {
            /* one space for each run of blanks */
            size_t n = 0;
            for (char *c = s; *c && n + 1 < len; c++)
                if (!(*c == ' ' || *c == '\t') || (n && buf[n - 1] != ' ')) buf[n++] = *c == '\t' ? ' ' : *c;
            buf[n] = '\0';
        }
        if (found) return;
    }
}

int l2d_plot(const char *db_path, const struct l2d_plot_opts *opts, struct l2d_error *err)
{
    if (!opts || !opts->output || !*opts->output) return l2d_seterr(err, L2D_EINVAL, "plot: no output file");
    struct plot p;
    int rc = open_plot(&p, db_path, opts, err);
    char gp[4096];
    if (!rc && !find_gnuplot(gp, sizeof gp))
        rc = l2d_seterr(err, L2D_EINVAL, "gnuplot is not on PATH: install gnuplot to draw plots");
    if (rc) {
        free_plot(&p);
        return rc;
    }
    /* gnuplot's messages go to an unnamed temporary file, read on failure */
    FILE *msgs = tmpfile();
    size_t clen = 4 * strlen(gp) + 64; /* each ' of the path becomes '\'' */
    char *cmd = malloc(clen);
    if (!msgs || !cmd) {
        rc = msgs ? nomem(&p, err) : l2d_seterr(err, L2D_EIO, "plot: cannot make a temporary file: %s", strerror(errno));
    } else {
        /* sh quoting: the path in single quotes, ' as '\'' */
        size_t k = (size_t)snprintf(cmd, clen, "exec '");
        for (const char *s = gp; *s; s++) {
            if (*s == '\'') k += (size_t)snprintf(cmd + k, clen - k, "'\\''");
            else cmd[k++] = *s;
        }
        snprintf(cmd + k, clen - k, "' 2>&%d >&%d", fileno(msgs), fileno(msgs));
        struct sigaction ign = {.sa_handler = SIG_IGN}, old;
        sigemptyset(&ign.sa_mask);
        int restore = !sigaction(SIGPIPE, &ign, &old); /* gnuplot dying early must not kill us */
        fflush(NULL);
        FILE *gpf = popen(cmd, "w");
        if (!gpf) {
            rc = l2d_seterr(err, L2D_EIO, "plot: cannot run %s: %s", gp, strerror(errno));
        } else {
            write_script(gpf, &p, opts->output);
            int werr = fflush(gpf) || ferror(gpf);
            int st = pclose(gpf);
            if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) || werr) {
                char line[400];
                first_line(msgs, line, sizeof line);
                rc = l2d_seterr(err, L2D_EIO, "gnuplot failed%s%s", *line ? ": " : "", line);
            }
        }
        if (restore) sigaction(SIGPIPE, &old, NULL);
        struct stat sb;
        if (!rc && (stat(opts->output, &sb) || sb.st_size == 0))
            rc = l2d_seterr(err, L2D_EIO, "%s: gnuplot wrote nothing", opts->output);
    }
    free(cmd);
    if (msgs) fclose(msgs);
    free_plot(&p);
    return rc;
}
