/* `l2d report`: writing the tables as Markdown, LaTeX or CSV. */
#include "config.h"

#include "host/report_impl.h"

#include <inttypes.h>
#include <math.h>

const struct entry *l2d_report_find(const struct table *t, size_t row, const struct col *c)
{
    for (size_t k = 0; k < t->nents; k++) {
        const struct entry *e = &t->ents[k];
        if (e->row == row && !strcmp(e->metric, c->metric) && !strcmp(e->attack, c->attack)) return e;
    }
    return NULL;
}

/* display width: UTF-8 continuation bytes take no column */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* The value of key in "k=v;k=v" (malloc'ed), or NULL when absent. */
static char *param_value(const char *params, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = params; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > kl && !strncmp(p, key, kl) && p[kl] == '=') return strndup(p + kl + 1, len - kl - 1);
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* The swept keys of rows[0..n) in order of first appearance, appended to
 * *keys (pointers into a malloc'ed copy each; free with free_keys). */
static int collect_keys(const struct row *rows, size_t n, char ***keys, size_t *nkeys)
{
    for (size_t w = 0; w < n; w++) {
        for (const char *p = rows[w].params; p && *p;) {
            const char *end = strchr(p, ';'), *eq = strchr(p, '=');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (eq && (size_t)(eq - p) < len) {
                size_t kl = (size_t)(eq - p), k = 0;
                while (k < *nkeys && !(strlen((*keys)[k]) == kl && !strncmp((*keys)[k], p, kl))) k++;
                if (k == *nkeys) {
                    char **nk = realloc(*keys, (*nkeys + 1) * sizeof *nk);
                    if (!nk) return -1;
                    *keys = nk;
                    if (!(nk[*nkeys] = strndup(p, kl))) return -1;
                    (*nkeys)++;
                }
            }
            p = end ? end + 1 : NULL;
        }
    }
    return 0;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t k = 0; k < n; k++) free(keys[k]);
    free(keys);
}

static char *latex_escape(const char *s)
{
    char *out = malloc(strlen(s) * 17 + 1), *q = out;
    if (!out) return NULL;
    for (; *s; s++) {
        switch (*s) {
        case '_': case '%': case '$': case '#': case '&': case '{': case '}':
            *q++ = '\\';
            *q++ = *s;
            break;
        case '\\': q += sprintf(q, "\\textbackslash{}"); break;
        case '~': q += sprintf(q, "\\textasciitilde{}"); break;
        case '^': q += sprintf(q, "\\textasciicircum{}"); break;
        default: *q++ = *s;
        }
    }
    *q = '\0';
    return out;
}

static char *text(int tex, const char *s) { return tex ? latex_escape(s) : dupstr(s); }

/* "mean ± std" (Markdown) or "$mean \pm std$" (LaTeX); the mean alone for one seed */
static char *cell_text(int tex, const struct entry *e, const struct col *c)
{
    if (!e) return dupstr(tex ? "--" : "-");
    double m = e->mean * c->scale, sd = sqrt(e->var) * c->scale;
    const char *pm = tex ? " \\pm " : " \xc2\xb1 ", *dollar = tex ? "$" : "";
    if (isnan(sd)) return fmt_alloc("%s%.*f%s", dollar, c->decimals, m, dollar);
    return fmt_alloc("%s%.*f%s%.*f%s", dollar, c->decimals, m, pm, c->decimals, sd, dollar);
}

/* a paper's number, at the paper's precision */
static char *paper_text(int tex, double v, int decimals)
{
    if (isnan(v)) return dupstr(tex ? "--" : "-");
    return tex ? fmt_alloc("$%.*f$", decimals, v) : fmt_alloc("%.*f", decimals, v);
}

static void subtitle(const struct report *r, const struct table *t, char *buf, size_t len)
{
    int n;
    if (t->sub) n = snprintf(buf, len, "%s", t->sub);
    else if (r->o->layout == L2D_REPORT_ROBUSTNESS)
        n = snprintf(buf, len, "%s under attack, split %s", r->o->nmetrics ? r->o->metrics[0] : "rmse", r->split);
    else
        n = snprintf(buf, len, "split %s, attack %s", r->split, r->attack);
    if (!t->sub && t->with_paper && n >= 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, "; paper: %s", r->paper->title);
}

static void write_latex(FILE *out, const char *title, const char *sub, char **g, size_t ncol, size_t nline,
                        size_t ntext, int first)
{
    fprintf(out, "%s%% %s (%s)\n\\begin{tabular}{", first ? "" : "\n", title, sub);
    for (size_t c = 0; c < ncol; c++) fputc(c < ntext ? 'l' : 'r', out);
    fprintf(out, "}\n\\hline\n");
    for (size_t l = 0; l < nline; l++) {
        for (size_t c = 0; c < ncol; c++) fprintf(out, "%s%s", c ? " & " : "", g[l * ncol + c]);
        fprintf(out, " \\\\\n%s", l == 0 || l + 1 == nline ? "\\hline\n" : "");
    }
    fprintf(out, "\\end{tabular}\n");
}

static int write_md(FILE *out, const char *title, const char *sub, char **g, size_t ncol, size_t nline,
                    size_t ntext, int first)
{
    size_t *wd = calloc(ncol, sizeof *wd);
    if (!wd) return -1;
    for (size_t l = 0; l < nline; l++)
        for (size_t c = 0; c < ncol; c++) {
            size_t w = width(g[l * ncol + c]);
            if (w > wd[c]) wd[c] = w;
        }
    fprintf(out, "%s## %s (%s)\n\n", first ? "" : "\n", title, sub);
    for (size_t l = 0; l < nline; l++) {
        for (size_t c = 0; c < ncol; c++) {
            const char *s = g[l * ncol + c];
            int pad = (int)(wd[c] - width(s)), right = c >= ntext && l > 0;
            fprintf(out, "| %*s%s%*s ", right ? pad : 0, "", s, right ? 0 : pad, "");
        }
        fprintf(out, "|\n");
        if (l > 0) continue;
        for (size_t c = 0; c < ncol; c++) {
            fputc('|', out);
            for (size_t i = 0; i < wd[c] + 1; i++) fputc('-', out);
            fputc(c >= ntext ? ':' : '-', out);
        }
        fprintf(out, "|\n");
    }
    if (nline == 1) fprintf(out, "\n(no finished runs)\n");
    free(wd);
    return 0;
}

/* Markdown or LaTeX: one table per experiment, one column per swept
 * parameter (its key as the header; "-" where a row does not sweep it) */
int l2d_report_write_table(const struct report *r, const struct table *t, FILE *out, int first)
{
    int tex = r->o->format == L2D_REPORT_LATEX;
    char **keys = NULL;
    size_t nkeys = 0;
    if (collect_keys(t->rows, t->nrows, &keys, &nkeys)) {
        free_keys(keys, nkeys);
        return -1;
    }
    size_t ntext = 1 + nkeys, ncol = ntext + 1 + t->ncols, nline = t->nrows + 1;
    char **g = calloc(ncol * nline, sizeof *g);
    if (!g) {
        free_keys(keys, nkeys);
        return -1;
    }
    size_t k = 0;
    g[k++] = dupstr(t->head ? t->head : "method");
    for (size_t q = 0; q < nkeys; q++) g[k++] = text(tex, keys[q]);
    g[k++] = dupstr(tex ? "$n$" : "n");
    for (size_t c = 0; c < t->ncols; c++) g[k++] = text(tex, t->cols[c].label);
    for (size_t w = 0; w < t->nrows; w++) {
        const struct row *row = &t->rows[w];
        g[k++] = text(tex, row->method);
        for (size_t q = 0; q < nkeys; q++) {
            char *v = param_value(row->params, keys[q]);
            g[k++] = text(tex, v ? v : row->n < 0 ? "" : "-");
            free(v);
        }
        g[k++] = row->n < 0 ? dupstr("") : fmt_alloc("%" PRId64, row->n);
        for (size_t c = 0; c < t->ncols; c++)
            g[k++] = row->pv ? paper_text(tex, row->pv[c], row->pdec[c])
                             : cell_text(tex, l2d_report_find(t, w, &t->cols[c]), &t->cols[c]);
    }
    free_keys(keys, nkeys);
    char *title = text(tex, t->title);
    int rc = title ? 0 : -1;
    for (k = 0; k < ncol * nline; k++)
        if (!g[k]) rc = -1;
    char sub[256];
    subtitle(r, t, sub, sizeof sub);
    if (!rc && tex) write_latex(out, title, sub, g, ncol, nline, ntext, first);
    else if (!rc) rc = write_md(out, title, sub, g, ncol, nline, ntext, first);
    free(title);
    for (k = 0; k < ncol * nline; k++) free(g[k]);
    free(g);
    return rc;
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* CSV: one table for all experiments, with the union of their columns */
int l2d_report_write_csv(const struct report *r, FILE *out)
{
    size_t nu = 0, total = 0;
    for (size_t k = 0; k < r->nt; k++) total += r->t[k].ncols;
    const char **labels = malloc((total + 1) * sizeof *labels);
    if (!labels) return -1;
    for (size_t k = 0; k < r->nt; k++)
        for (size_t c = 0; c < r->t[k].ncols && !r->t[k].hidden; c++) {
            size_t u = 0;
            while (u < nu && strcmp(labels[u], r->t[k].cols[c].label)) u++;
            if (u == nu) labels[nu++] = r->t[k].cols[c].label;
        }
    /* tidy: a column per swept parameter (beside the params text), and per
     * metric its mean, std and n (seeds behind that mean) */
    char **keys = NULL;
    size_t nkeys = 0;
    for (size_t k = 0; k < r->nt; k++)
        if (!r->t[k].hidden && collect_keys(r->t[k].rows, r->t[k].nrows, &keys, &nkeys)) {
            free_keys(keys, nkeys);
            free(labels);
            return -1;
        }
    fputs("experiment,method,params", out);
    for (size_t q = 0; q < nkeys; q++) {
        fputc(',', out);
        csv_field(out, keys[q]);
    }
    fputs(",n", out);
    for (size_t u = 0; u < nu; u++) {
        static const char *const suffix[] = {"_mean", "_std", "_n"};
        for (int i = 0; i < 3; i++) {
            char h[160];
            snprintf(h, sizeof h, "%s%s", labels[u], suffix[i]);
            fputc(',', out);
            csv_field(out, h);
        }
    }
    fputc('\n', out);
    for (size_t k = 0; k < r->nt; k++) {
        const struct table *t = &r->t[k];
        for (size_t w = 0; w < t->nrows && !t->hidden; w++) {
            csv_field(out, t->title);
            fputc(',', out);
            csv_field(out, t->rows[w].method);
            fputc(',', out);
            csv_field(out, t->rows[w].params);
            for (size_t q = 0; q < nkeys; q++) {
                char *v = param_value(t->rows[w].params, keys[q]);
                fputc(',', out);
                csv_field(out, v ? v : "");
                free(v);
            }
            if (t->rows[w].n >= 0) fprintf(out, ",%" PRId64, t->rows[w].n);
            else fputc(',', out);
            for (size_t u = 0; u < nu; u++) {
                const struct col *c = NULL;
                size_t i = 0;
                for (; i < t->ncols && !c; i++)
                    if (!strcmp(t->cols[i].label, labels[u])) c = &t->cols[i];
                const struct entry *e = c && !t->rows[w].pv ? l2d_report_find(t, w, c) : NULL;
                if (c && t->rows[w].pv && !isnan(t->rows[w].pv[i - 1])) fprintf(out, ",%.10g,,", t->rows[w].pv[i - 1]);
                else if (!e) fputs(",,,", out);
                else if (isnan(e->var)) fprintf(out, ",%.10g,,%" PRId64, e->mean * c->scale, e->n);
                else fprintf(out, ",%.10g,%.10g,%" PRId64, e->mean * c->scale, sqrt(e->var) * c->scale, e->n);
            }
            fputc('\n', out);
        }
    }
    free_keys(keys, nkeys);
    free(labels);
    return 0;
}
