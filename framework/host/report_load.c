/* `l2d report`: reading the results database (experiments, their finished
 * runs, v_summary, agent names and the agents' own metrics). */
#include "config.h"

#include "host/report_impl.h"

#include <math.h>

/* the status of a load loop: SQLITE_DONE is success */
static int load_status(struct report *r, int rc, struct l2d_error *err)
{
    if (rc == SQLITE_DONE || rc == SQLITE_OK) return 0;
    if (rc == SQLITE_NOMEM) return nomem(r, err);
    return l2d_seterr(err, L2D_EIO, "%s: report: %s", r->path, sqlite3_errmsg(r->db));
}

static const char *col_text(sqlite3_stmt *s, int k)
{
    const char *t = (const char *)sqlite3_column_text(s, k);
    return t ? t : "";
}

int l2d_report_load_experiments(struct report *r, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT id, name, config_hash, (SELECT count(*) FROM experiments f "
                                "WHERE f.name = e.name), config_text FROM experiments e WHERE ?1 IS NULL OR name = ?1 ORDER BY id",
                                -1, &s, NULL);
    if (rc == SQLITE_OK && r->o->experiment)
        rc = sqlite3_bind_text(s, 1, r->o->experiment, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (grow(&r->t, r->nt, &cap, sizeof *r->t)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct table *t = &r->t[r->nt++];
        memset(t, 0, sizeof *t);
        t->id = sqlite3_column_int64(s, 0);
        /* a name repeats when its config changed: tell them apart by hash */
        t->title = sqlite3_column_int64(s, 3) > 1 ? fmt_alloc("%s [config %s]", col_text(s, 1), col_text(s, 2))
                                                   : dupstr(col_text(s, 1));
        t->config = dupstr(col_text(s, 4));
        if (!t->title || !t->config) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    if (ret) return ret;
    if (r->nt == 0 && r->o->experiment)
        return l2d_seterr(err, L2D_EINVAL, "%s: no experiment named '%s'", r->path, r->o->experiment);
    if (r->nt == 0) return l2d_seterr(err, L2D_EINVAL, "%s: no experiments in this results database", r->path);
    return 0;
}

int l2d_report_load_rows(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                /* the runs that answer the experiment's cells
                                 * (experiment_runs): its own, and done runs of
                                 * the same settings another configuration ran */
                                "SELECT l.method, l.params, count(*) FROM experiment_runs l "
                                "JOIN runs r ON r.id = l.run_id WHERE l.experiment_id = ? AND "
                                "r.status = 'done' GROUP BY l.method, l.params ORDER BY min(l.rowid)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (grow(&t->rows, t->nrows, &cap, sizeof *t->rows)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct row *w = &t->rows[t->nrows++];
        memset(w, 0, sizeof *w);
        w->method = dupstr(col_text(s, 0));
        w->params = dupstr(col_text(s, 1));
        w->n = sqlite3_column_int64(s, 2);
        if (!w->method || !w->params) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}

int l2d_report_load_entries(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT method, params, attack, metric, n, mean, var FROM v_summary "
                                "WHERE experiment_id = ?1 AND split = ?2 AND (?3 IS NULL OR attack = ?3)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, r->split, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && r->o->layout != L2D_REPORT_ROBUSTNESS)
        rc = sqlite3_bind_text(s, 3, r->attack, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        size_t row = 0;
        while (row < t->nrows && (strcmp(t->rows[row].method, col_text(s, 0)) ||
                                  strcmp(t->rows[row].params, col_text(s, 1))))
            row++;
        if (row == t->nrows) continue; /* both come from the done runs: cannot happen */
        if (grow(&t->ents, t->nents, &cap, sizeof *t->ents)) {
            rc = SQLITE_NOMEM;
            break;
        }
        struct entry *e = &t->ents[t->nents++];
        e->row = row;
        e->attack = dupstr(col_text(s, 2));
        e->metric = dupstr(col_text(s, 3));
        e->n = sqlite3_column_int64(s, 4);
        e->mean = sqlite3_column_double(s, 5);
        e->var = sqlite3_column_type(s, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 6);
        if (!e->attack || !e->metric) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}

/* Runs without agent metrics: the agents are the config's [agent.NAME]
 * sections, in order (the order the runner fits and indexes them). */
static int agents_from_config(struct table *t)
{
    size_t cap = 0;
    for (const char *p = t->config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "[agent.", 7)) continue;
        size_t len = strcspn(p + 7, "]\n");
        if (p[7 + len] != ']' || !len) continue;
        if (grow(&t->agents, t->nagents, &cap, sizeof *t->agents)) return -1;
        if (!(t->agents[t->nagents] = strndup(p + 7, len))) return -1;
        t->nagents++;
    }
    return 0;
}

int l2d_report_load_agents(struct report *r, struct table *t, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT am.agent_index, max(am.agent_name) FROM agent_metrics am "
                                "JOIN experiment_runs l ON l.run_id = am.run_id WHERE l.experiment_id = ? "
                                "AND am.agent_index < 10000 GROUP BY am.agent_index",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, t->id);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        size_t j = (size_t)sqlite3_column_int64(s, 0);
        if (j >= t->nagents) {
            char **a = realloc(t->agents, (j + 1) * sizeof *a);
            if (!a) {
                rc = SQLITE_NOMEM;
                break;
            }
            for (size_t k = t->nagents; k <= j; k++) a[k] = NULL;
            t->agents = a;
            t->nagents = j + 1;
        }
        if (!(t->agents[j] = dupstr(col_text(s, 1)))) rc = SQLITE_NOMEM;
    }
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    if (!ret && !t->nagents && agents_from_config(t)) ret = nomem(r, err);
    return ret;
}

/* One value per seed (the mean over that seed's runs: the agents are the
 * same for every method of a seed), then mean and sample variance over the
 * seeds, per agent. */
int l2d_report_load_agent_metric(struct report *r, const struct table *parent, struct table *t,
                                 const char *metric, struct l2d_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db,
                                /* identical values stay exact: no rounding in the average */
                                "SELECT am.agent_index, ru.seed, CASE WHEN min(am.value) = max(am.value) "
                                "THEN min(am.value) ELSE avg(am.value) END FROM agent_metrics am "
                                "JOIN runs ru ON ru.id = am.run_id JOIN experiment_runs l ON l.run_id = ru.id "
                                "WHERE l.experiment_id = ?1 AND "
                                "ru.status = 'done' AND am.split = ?2 AND am.name = ?3 "
                                "GROUP BY am.agent_index, ru.seed ORDER BY am.agent_index, ru.seed",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 1, parent->id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, r->split, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 3, metric, -1, SQLITE_STATIC);
    double *v = NULL;
    size_t nv = 0, cap = 0, ecap = 0;
    long cur = -1;
    for (int done = 0; rc == SQLITE_OK && !done;) {
        rc = sqlite3_step(s);
        done = rc == SQLITE_DONE;
        if (!done && rc != SQLITE_ROW) break;
        rc = SQLITE_OK;
        long j = done ? -2 : (long)sqlite3_column_int64(s, 0);
        if (cur >= 0 && j != cur && nv) {
            /* agent `cur` is complete: its row is the index-th of t */
            size_t row = 0;
            while (row < t->nrows && t->rows[row].n != (int64_t)cur) row++;
            if (row < t->nrows && !grow(&t->ents, t->nents, &ecap, sizeof *t->ents)) {
                double mean = 0, ss = 0;
                for (size_t k = 0; k < nv; k++) mean += v[k];
                mean /= (double)nv;
                for (size_t k = 0; k < nv; k++) ss += (v[k] - mean) * (v[k] - mean);
                struct entry *e = &t->ents[t->nents++];
                *e = (struct entry){row, dupstr("agent"), dupstr(metric), (int64_t)nv, mean,
                                    nv > 1 ? ss / (double)(nv - 1) : NAN};
                if (!e->attack || !e->metric) rc = SQLITE_NOMEM;
            } else if (row < t->nrows) {
                rc = SQLITE_NOMEM;
            }
            nv = 0;
        }
        if (done || rc != SQLITE_OK) break;
        cur = j;
        if (grow(&v, nv, &cap, sizeof *v)) rc = SQLITE_NOMEM;
        else v[nv++] = sqlite3_column_double(s, 2);
    }
    free(v);
    int ret = load_status(r, rc, err);
    sqlite3_finalize(s);
    return ret;
}
