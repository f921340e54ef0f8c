/* `l2d report`: the columns of each layout, in order, and the check that a
 * metric asked for by name exists. */
#include "config.h"

#include "host/report_impl.h"

#include <limits.h>

int l2d_report_add_col(struct table *t, size_t *cap, const char *label, const char *attack,
                       const char *metric, double scale, int decimals)
{
    if (grow(&t->cols, t->ncols, cap, sizeof *t->cols)) return -1;
    struct col *c = &t->cols[t->ncols++];
    c->label = dupstr(label);
    c->attack = dupstr(attack);
    c->metric = dupstr(metric);
    c->scale = scale;
    c->decimals = decimals;
    return c->label && c->attack && c->metric ? 0 : -1;
}

/* attack NULL: under any attack */
static int has_metric(const struct table *t, const char *attack, const char *metric)
{
    for (size_t k = 0; k < t->nents; k++)
        if (!strcmp(t->ents[k].metric, metric) && (!attack || !strcmp(t->ents[k].attack, attack))) return 1;
    return 0;
}

/* J of "PREFIXJ" (J all digits), or -1 */
static long suffix_index(const char *s, const char *prefix)
{
    size_t n = strlen(prefix), d = strlen(s) - (strncmp(s, prefix, n) ? 0 : n);
    if (strncmp(s, prefix, n) || d == 0 || d > 6 || strspn(s + n, "0123456789") != d) return -1;
    return strtol(s + n, NULL, 10);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the distinct J of the alloc_J metrics under attack, ascending */
static int alloc_indices(const struct table *t, const char *attack, long **out, size_t *n)
{
    *n = 0;
    *out = malloc((t->nents + 1) * sizeof **out);
    if (!*out) return -1;
    for (size_t k = 0; k < t->nents; k++) {
        long j = suffix_index(t->ents[k].metric, "alloc_");
        if (j < 0 || strcmp(t->ents[k].attack, attack)) continue;
        size_t m = 0;
        while (m < *n && (*out)[m] != j) m++;
        if (m == *n) (*out)[(*n)++] = j;
    }
    qsort(*out, *n, sizeof **out, cmp_long);
    return 0;
}

/* the index of agent `name` in t, or -1 */
static long agent_index(const struct table *t, const char *name)
{
    for (size_t j = 0; j < t->nagents; j++)
        if (t->agents[j] && !strcmp(t->agents[j], name)) return (long)j;
    return -1;
}

/* clean, untargeted, then the targeted attacks by agent index (the model
 * first): "targeted:NAME" by the agent's index, "targeted:J" by J */
long l2d_report_attack_rank(const struct table *t, const char *a)
{
    if (!strcmp(a, "clean")) return 0;
    if (!strcmp(a, "untargeted")) return 1;
    if (strncmp(a, "targeted:", 9)) return LONG_MAX;
    long j = agent_index(t, a + 9);
    if (j < 0) j = suffix_index(a, "targeted:");
    return j >= 0 ? 2 + j : LONG_MAX - 1;
}

/* sort the attack labels atk[0..n) by rank, then by name; n is small */
static void sort_attacks(const struct table *t, const char **atk, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const char *x = atk[i];
        long rx = l2d_report_attack_rank(t, x);
        size_t k = i;
        for (; k > 0; k--) {
            long ry = l2d_report_attack_rank(t, atk[k - 1]);
            if (ry < rx || (ry == rx && strcmp(atk[k - 1], x) <= 0)) break;
            atk[k] = atk[k - 1];
        }
        atk[k] = x;
    }
}

static int robustness_cols(struct report *r, struct table *t)
{
    size_t cap = 0;
    const char *m = r->o->nmetrics ? r->o->metrics[0] : "rmse";
    int pct = !strcmp(m, "accuracy") || !strcmp(m, "oracle_accuracy");
    const char **atk = malloc((t->nents + 1) * sizeof *atk);
    if (!atk) return -1;
    size_t na = 0;
    for (size_t k = 0; k < t->nents; k++) {
        if (strcmp(t->ents[k].metric, m)) continue;
        size_t a = 0;
        while (a < na && strcmp(atk[a], t->ents[k].attack)) a++;
        if (a == na) atk[na++] = t->ents[k].attack;
    }
    sort_attacks(t, atk, na);
    int rc = 0;
    for (size_t a = 0; a < na && !rc; a++) rc = l2d_report_add_col(t, &cap, atk[a], atk[a], m, pct ? 100 : 1, pct ? 1 : 4);
    free(atk);
    return rc;
}

int l2d_report_make_cols(struct report *r, struct table *t)
{
    const struct l2d_report_opts *o = r->o;
    if (o->layout == L2D_REPORT_ROBUSTNESS) return robustness_cols(r, t);
    size_t cap = 0;
    int mt = o->layout == L2D_REPORT_MT_TABLE1;
    if (mt) {
        /* MT Table 1: Acc in %, one decimal; sL1 and allocations, two */
        if (l2d_report_add_col(t, &cap, "Acc", r->attack, "accuracy", 100, 1) ||
            l2d_report_add_col(t, &cap, "sL1", r->attack, "smooth_l1", 1, 2))
            return -1;
    } else if (o->nmetrics) {
        for (size_t k = 0; k < o->nmetrics; k++) {
            /* alloc_NAME asks for the allocation to the agent named NAME */
            const char *m = o->metrics[k];
            char metric[32];
            long j = strncmp(m, "alloc_", 6) ? -1 : agent_index(t, m + 6);
            if (j >= 0) snprintf(metric, sizeof metric, "alloc_%ld", j);
            if (l2d_report_add_col(t, &cap, m, r->attack, j >= 0 ? metric : m, 1, 4)) return -1;
        }
        return 0;
    } else {
        static const char *const first[] = {"risk", "accuracy", "rmse"};
        for (size_t k = 0; k < 3; k++)
            if (has_metric(t, r->attack, first[k]) && l2d_report_add_col(t, &cap, first[k], r->attack, first[k], 1, 4))
                return -1;
    }
    long *js;
    size_t nj;
    if (alloc_indices(t, r->attack, &js, &nj)) return -1;
    int rc = 0;
    for (size_t k = 0; k < nj && !rc; k++) {
        char metric[32];
        snprintf(metric, sizeof metric, "alloc_%ld", js[k]);
        /* named by agent where the name is known: MT's table by the bare
         * name, the default layout as alloc_NAME (alloc_model, alloc_expert1) */
        const char *name = (size_t)js[k] < t->nagents ? t->agents[js[k]] : NULL;
        char label[96];
        if (name) snprintf(label, sizeof label, mt ? "%s" : "alloc_%s", name);
        rc = l2d_report_add_col(t, &cap, name ? label : metric, r->attack, metric, 1, mt ? 2 : 4);
    }
    free(js);
    return rc;
}

/* "a, b, c": the distinct metric names under attack (NULL: any), sorted */
static void metric_names(const struct report *r, const char *attack, char *buf, size_t len)
{
    size_t total = 0, n = 0, used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < r->nt; k++) total += r->t[k].nents;
    const char **names = malloc((total + 1) * sizeof *names);
    if (!names) return;
    for (size_t k = 0; k < r->nt; k++)
        for (size_t e = 0; e < r->t[k].nents; e++)
            if (!attack || !strcmp(r->t[k].ents[e].attack, attack)) names[n++] = r->t[k].ents[e].metric;
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t k = 0; k < n; k++) {
        if (k && !strcmp(names[k], names[k - 1])) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[k]);
        if (w < 0 || (size_t)w >= len - used) {
            /* cut: say so rather than end on half a name */
            if (len >= 4) memcpy(buf + len - 4, "...", 4);
            break;
        }
        used += (size_t)w;
    }
    free(names);
}

/* "test, val" from a query returning one text column (finished runs' splits
 * or attacks, distinct, sorted); "?" when the query fails. */
static void distinct_list(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *s = NULL;
    size_t used = 0;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(buf, len, "?");
        return;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && used + 1 < len) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v ? v : "NULL");
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) snprintf(buf, len, "?");
    sqlite3_finalize(s);
}

/* A metric asked for by name must exist somewhere: else it is most likely a typo. */
int l2d_report_check_requested(struct report *r, struct l2d_error *err)
{
    const struct l2d_report_opts *o = r->o;
    size_t nrows = 0, nents = 0;
    for (size_t k = 0; k < r->nt; k++) nrows += r->t[k].nrows, nents += r->t[k].nents;
    if (!nrows) return 0; /* nothing finished yet: the tables say so */
    const char *atk = o->layout == L2D_REPORT_ROBUSTNESS ? NULL : r->attack;
    char where[160];
    if (atk) snprintf(where, sizeof where, "split '%s', attack '%s'", r->split, atk);
    else snprintf(where, sizeof where, "split '%s'", r->split);
    if (!nents) {
        /* a split or attack that matches nothing: say which there are */
        char splits[200], attacks[300];
        distinct_list(r->db, "SELECT DISTINCT split FROM v_metrics ORDER BY 1", splits, sizeof splits);
        distinct_list(r->db, "SELECT DISTINCT attack FROM v_metrics ORDER BY 1", attacks, sizeof attacks);
        return l2d_seterr(err, L2D_EINVAL, "%s: no metrics on %s (there are splits: %s; attacks: %s)",
                          r->path, where, splits, attacks);
    }
    /* robustness always names its metric: rmse unless told */
    static const char *const rmse[] = {"rmse"};
    const char *const *names = o->nmetrics ? o->metrics : rmse;
    size_t want = o->layout == L2D_REPORT_ROBUSTNESS ? 1 : o->layout == L2D_REPORT_DEFAULT ? o->nmetrics : 0;
    for (size_t m = 0; m < want; m++) {
        int found = 0;
        for (size_t k = 0; k < r->nt && !found; k++) {
            long j = strncmp(names[m], "alloc_", 6) ? -1 : agent_index(&r->t[k], names[m] + 6);
            char metric[32];
            if (j >= 0) snprintf(metric, sizeof metric, "alloc_%ld", j);
            found = has_metric(&r->t[k], atk, j >= 0 ? metric : names[m]);
        }
        if (found) continue;
        char have[400];
        metric_names(r, atk, have, sizeof have);
        return l2d_seterr(err, L2D_EINVAL, "%s: no metric '%s' on %s (there are: %s)", r->path, names[m], where,
                          have);
    }
    return 0;
}
