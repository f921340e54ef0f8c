/* Cells on demand and their identity (config_cells.c): the key of each cell
 * computed incrementally equals the key of its configuration built whole;
 * what is bookkeeping or notation leaves it alone; a setting or a plugin
 * version changes it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cfg.h"
#include "tap.h"

static const char *version = "1.0";
static const char *ver(void *self, enum l2d_kind kind, const char *name)
{
    (void)self;
    (void)kind;
    return !strcmp(name, "smooth-adv") ? version : "0.3";
}

/* smooth-adv's rho defaults to 1 */
static const struct l2d_param_spec smooth_params[] = {
    {"nu", L2D_PARAM_DOUBLE, "1", 0, -1, NULL, ""}, {"rho", L2D_PARAM_DOUBLE, "1", 0, -1, NULL, ""}, L2D_PARAMS_END};
static const struct l2d_param_spec ce_params[] = {{"nu", L2D_PARAM_DOUBLE, "1", 0, -1, NULL, ""}, L2D_PARAMS_END};
static const struct l2d_param_spec none[] = {L2D_PARAMS_END};
static const struct l2d_param_spec *schema(void *self, enum l2d_kind kind, const char *name)
{
    (void)self;
    (void)kind;
    return !strcmp(name, "smooth-adv") ? smooth_params : !strcmp(name, "ce") ? ce_params : none;
}

static char dir[256];

static struct l2d_cfg *load_text(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    struct l2d_cfg *cfg = NULL;
    struct l2d_error err = {0};
    if (l2d_cfg_load(path, &cfg, &err)) tap_diag("%s: %s", name, err.msg);
    return cfg;
}

static const char base[] =
    "[experiment]\nname = x\nseeds = 0, 1\n\n"
    "[dataset]\nplugin = synthetic\nn = 300\n\n"
    "[agent.model]\nplugin = network\nhidden = 8\n\n"
    "[agent.expert]\nplugin = oracle\nquery_cost = 0.1\n\n"
    "[cost]\nlambda_cla = 1\nbeta_scale = 0.50\n\n"
    "[train]\nepochs = 4\nlr = 0.01\nnu = 1\n\n"
    "[sweep]\ntrain.nu = 0.5, 1, 2\nrejector.hidden = 8 | 16, 16\n\n"
    "[method.base]\ntrain.surrogate = ce\n\n"
    "[method.sard]\ntrain.surrogate = smooth-adv\nattack.eps = 0.1\n";

/* The key of cell i, from its whole configuration. */
static void whole_key(const struct l2d_cellset *cs, size_t i, char key[33], char setting[33])
{
    struct l2d_cell cell;
    struct l2d_error err = {0};
    key[0] = setting[0] = 0;
    if (l2d_cellset_cell(cs, i, &cell, &err)) return;
    l2d_cfg_identity(cell.cfg, cell.seed, ver, schema, NULL, key, setting);
    l2d_cell_clear(&cell);
}

static void key_of(const char *text, size_t i, char key[33])
{
    struct l2d_cfg *cfg = load_text("k.ini", text);
    struct l2d_cellset *cs = NULL;
    struct l2d_error err = {0};
    key[0] = 0;
    if (cfg && !l2d_cellset_make(cfg, ver, schema, NULL, &cs, &err)) l2d_cellset_key(cs, i, key, NULL);
    l2d_cellset_free(cs);
    l2d_cfg_free(cfg);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at) return strdup(s);
    char *out = malloc(strlen(s) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/l2d-cells.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) tap_skip_all("no temporary directory");
    tap_plan(18);
    struct l2d_cfg *cfg = load_text("a.ini", base);
    struct l2d_cellset *cs = NULL;
    struct l2d_error err = {0};
    tap_ok(cfg && !l2d_cellset_make(cfg, ver, schema, NULL, &cs, &err), "cell set of 2 methods x 3 nu x 2 hidden x 2 seeds: %s",
           err.msg);
    if (!cs) tap_skip_all("no cell set");
    tap_ok(l2d_cellset_count(cs) == 24, "24 cells");
    size_t same = 0, distinct = 0;
    char keys[24][33];
    for (size_t i = 0; i < 24; i++) {
        char k[33], s[33], w[33], ws[33];
        l2d_cellset_key(cs, i, k, s);
        whole_key(cs, i, w, ws);
        same += !strcmp(k, w) && !strcmp(s, ws) && strlen(k) == 32;
        memcpy(keys[i], k, 33);
        size_t j = 0;
        while (j < i && strcmp(keys[j], k)) j++;
        distinct += j == i;
    }
    tap_ok(same == 24, "each cell's key, computed incrementally, equals its whole configuration's (%zu of 24)", same);
    tap_ok(distinct == 24, "24 distinct keys (%zu)", distinct);
    char s0[33], s1[33], k0[33], k1[33];
    l2d_cellset_key(cs, 0, k0, s0);
    l2d_cellset_key(cs, 1, k1, s1);
    tap_ok(!strcmp(s0, s1) && strcmp(k0, k1), "two seeds of a setting: one setting key, two cell keys");
    char *id = l2d_cellset_id(cs, 23);
    struct l2d_cell c23;
    tap_ok(id && !l2d_cellset_cell(cs, 23, &c23, &err) && !strcmp(id, c23.id) &&
               !strcmp(id, "method=sard;train.nu=2;rejector.hidden=16, 16;seed=1"),
           "cell 23's id: %s", id ? id : "(null)");
    l2d_cell_clear(&c23);
    free(id);
    l2d_cellset_free(cs);
    l2d_cfg_free(cfg);

    /* notation and bookkeeping: the same key */
    char a[33], b[33];
    key_of(base, 5, a);
    char *t1 = replace(base, "beta_scale = 0.50", "beta_scale = 5e-1");
    char *t2 = replace(t1, "name = x\nseeds = 0, 1", "name = y\nseeds = 1, 0\nthreads = 4\ndescription = moved ; comment");
    char *t3 = replace(t2, "[train]\nepochs = 4\nlr = 0.01\n", "[train]\nlr = 0.010\nepochs = 4\n");
    char *t4 = replace(t3, "train.nu = 0.5, 1, 2", "train.nu = 0.5, 1, 2");
    key_of(t4, 4, b); /* seeds reversed: cell 4 there is cell 5 here (seed 1) */
    char c[33];
    key_of(t4, 5, c);
    tap_ok(!strcmp(a, b), "0.50 = 5e-1, 0.010 = 0.01, keys reordered, name, seed order, threads, description: same key");
    tap_ok(strcmp(b, c) != 0, "the other seed: another key");
    char *t5 = replace(base, "lr = 0.01", "lr = 0.02");
    key_of(t5, 5, b);
    tap_ok(strcmp(a, b) != 0, "a setting changed (train.lr): another key");
    char *t6 = replace(base, "[sweep]\ntrain.nu = 0.5, 1, 2", "[sweep]\ntrain.nu = 2, 1, 0.5, 3");
    key_of(t6, 1, b); /* method base, nu 2 (first now), hidden 8, seed 1 */
    char d[33];
    key_of(base, 2 * 2 * 2 + 1, d); /* method base, nu 2, hidden 8, seed 1 */
    tap_ok(!strcmp(b, d), "a sweep list reordered and extended: the same cells keep their keys");
    char *t7 = replace(base, "[agent.model]\nplugin = network\nhidden = 8\n\n[agent.expert]\nplugin = oracle\nquery_cost = 0.1\n",
                       "[agent.expert]\nplugin = oracle\nquery_cost = 0.1\n\n[agent.model]\nplugin = network\nhidden = 8\n");
    key_of(t7, 0, b);
    key_of(base, 0, d);
    tap_ok(strcmp(b, d) != 0, "agents in another order (another model): another key");
    /* a plugin's version is part of the settings (cell 12 on is sard, smooth-adv) */
    key_of(base, 12, b);
    version = "1.1";
    key_of(base, 12, d);
    tap_ok(strcmp(b, d) != 0, "another smooth-adv version: sard's cells get another key");
    key_of(base, 0, b);
    version = "1.0";
    key_of(base, 0, d);
    tap_ok(!strcmp(b, d), "and base's cells (ce) keep theirs");
    char *t8 = replace(base, "[dataset]\nplugin = synthetic\n", "[dataset]\n");
    key_of(t8, 0, b);
    tap_ok(!strcmp(b, d), "a section's default plugin written out or left implicit: same key");
    /* defaults: a key written at its default value is the same setting */
    char *t9 = replace(base, "[train]\n", "[rejector]\narch = mlp\n\n[eval]\nattacks = clean\n\n[train]\noptimizer = adam\n");
    key_of(t9, 0, b);
    tap_ok(!strcmp(b, d), "framework keys written at their defaults (arch, attacks, optimizer): same key");
    key_of(base, 12, b);
    char *t10 = replace(base, "train.surrogate = smooth-adv\n", "train.surrogate = smooth-adv\ntrain.rho = 1.0\n");
    key_of(t10, 12, c);
    tap_ok(!strcmp(b, c), "a plugin's key written at its default (smooth-adv's rho = 1.0): same key");
    char *t11 = replace(base, "train.surrogate = smooth-adv\n", "train.surrogate = smooth-adv\ntrain.rho = 2\n");
    key_of(t11, 12, c);
    tap_ok(strcmp(b, c) != 0, "and at another value (rho = 2): another key");
    /* a swept plugin: each value's own defaults, incrementally as whole */
    char *t12 = replace(base, "[sweep]\n", "[sweep]\ntrain.surrogate = ce, smooth-adv\n");
    char *t13 = replace(t12, "[method.base]\ntrain.surrogate = ce\n\n[method.sard]\ntrain.surrogate = smooth-adv\nattack.eps = 0.1\n", "");
    struct l2d_cfg *sw = load_text("sw.ini", t13);
    struct l2d_cellset *scs = NULL;
    size_t agree = 0, nsw = 0;
    if (sw && !l2d_cellset_make(sw, ver, schema, NULL, &scs, &err)) {
        nsw = l2d_cellset_count(scs);
        for (size_t i = 0; i < nsw; i++) {
            char k[33], w[33], ws[33];
            l2d_cellset_key(scs, i, k, NULL);
            whole_key(scs, i, w, ws);
            agree += !strcmp(k, w);
        }
    }
    tap_ok(nsw == 24 && agree == nsw, "the surrogate swept: each cell's key, incrementally, equals its whole "
                                      "configuration's (%zu of %zu)", agree, nsw);
    l2d_cellset_free(scs);
    l2d_cfg_free(sw);
    free(t9), free(t10), free(t11), free(t12), free(t13);
    free(t1), free(t2), free(t3), free(t4), free(t5), free(t6), free(t7), free(t8);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) tap_diag("could not remove %s", dir);
    return tap_done();
}
