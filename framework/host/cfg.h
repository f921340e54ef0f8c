/* The experiment configuration: an INI file (plus --set overrides) held as
 * an ordered list of (section, key, value) entries, each remembering where
 * it was written, so every error can name file:line, section and key.
 *
 * (Named cfg.h, not config.h: sources include autoconf's "config.h", and a
 * quoted include looks in the including file's own directory first.)
 *
 * Sections (framework keys in config_schema.c; plugin keys come from the
 * plugin named by the section):
 *   [experiment]  name seeds db device threads description   (no plugin)
 *   [dataset]     plugin (dataset plugin) + its parameters
 *   [agent.NAME]  plugin (agent plugin, required), query_cost + its parameters;
 *                 one per agent, in file order: the first is agent 0, the model
 *   [cost]        lambda_cla lambda_reg reg beta_scale clip
 *   [rejector]    arch hidden
 *   [train]       surrogate (surrogate plugin) epochs batch lr optimizer
 *                 weight_decay schedule warmup select + the surrogate's parameters
 *   [attack]      plugin (attack plugin) + its parameters; checked only when present
 *   [eval]        attacks split
 *   [sweep]       section.key = v1, v2, ...   (values split on '|' instead of ','
 *                 when the list holds a '|', so list values can be swept:
 *                 rejector.hidden = 64 | 64,64)
 *   [method.NAME] section.key = value: one row of the experiment each
 *                 (e.g. baseline vs sard); none = one method named "default".
 * Names are lowercased (iniparser does so); section and key names are
 * [a-z0-9_.-]+. [sweep] and [method.*] may not touch [experiment].
 *
 * Life cycle: l2d_cfg_load, any l2d_cfg_set, then l2d_cfg_validate (which
 * checks every cell of the sweep), then l2d_cfg_expand.
 * All functions return 0 or an L2D_E* status with *err filled (one line). */
#ifndef L2D_HOST_CFG_H
#define L2D_HOST_CFG_H
#include <stddef.h>
#include <stdint.h>

#include "l2d/plugin.h"

struct l2d_cfg; /* opaque */

/* Longest accepted line (after joining '\' continuations). iniparser
 * refuses lines of more than 1024 characters; we stop well before. */
#define L2D_CFG_LINE_MAX 1000

/* Read an INI file. Errors (with file:line): unreadable file, line too long,
 * a line that is neither [section], key = value nor a comment, a key outside
 * any section, a bad section or key name, a section appearing twice, a key
 * appearing twice in one section, text after a closing quote. */
int l2d_cfg_load(const char *path, struct l2d_cfg **out, struct l2d_error *err);

/* Apply "section.key=value" (--set). The LAST dot separates the key
 * (agent.expert1.query_cost=0.1), except that for sweep.* and method.NAME.*
 * the key is everything after the section (sweep.train.nu=0.5,1). Replaces
 * an existing value or adds the key (and the section, at the end). The
 * origin becomes "--set section.key". A key the [sweep] sweeps or a
 * [method.*] overrides is taken out of them: every cell then runs with the
 * value given (validated like any value). */
int l2d_cfg_set(struct l2d_cfg *cfg, const char *assignment, struct l2d_error *err);

/* Remove a key (--unset section.key, same splitting as l2d_cfg_set), e.g.
 * to drop a parameter the next surrogate does not take. Removing a key
 * that is not there is an error (a typo would otherwise pass silently). */
int l2d_cfg_unset(struct l2d_cfg *cfg, const char *target, struct l2d_error *err);

/* The value as written (quotes removed, blanks trimmed), or NULL if absent. */
const char *l2d_cfg_get(const struct l2d_cfg *cfg, const char *section, const char *key);

/* Where a value comes from, for messages: "exp.ini:12: [train] nu",
 * "--set train.nu", "exp.ini:20: [sweep] train.nu" (a swept value in a
 * cell), "exp.ini:7: [agent.m] plugin" (absent key: the section's line),
 * "exp.ini: [dataset] plugin" (absent section). Always returns buf. */
const char *l2d_cfg_where(const struct l2d_cfg *cfg, const char *section, const char *key,
                          char *buf, size_t n);

/* Sections in file order (then --set additions); keys of one section in
 * file order. l2d_cfg_nkeys is 0 for an absent section. */
size_t l2d_cfg_nsections(const struct l2d_cfg *cfg);
const char *l2d_cfg_section(const struct l2d_cfg *cfg, size_t i);
int l2d_cfg_has_section(const struct l2d_cfg *cfg, const char *section);
size_t l2d_cfg_nkeys(const struct l2d_cfg *cfg, const char *section);
const char *l2d_cfg_key(const struct l2d_cfg *cfg, const char *section, size_t i);

/* Agents: the [agent.NAME] sections in order (i = 0 is the model).
 * l2d_cfg_agent returns the section name "agent.NAME". */
size_t l2d_cfg_nagents(const struct l2d_cfg *cfg);
const char *l2d_cfg_agent(const struct l2d_cfg *cfg, size_t i);

/* The file the configuration was read from, as given to l2d_cfg_load. */
const char *l2d_cfg_path(const struct l2d_cfg *cfg);
/* experiment.name, or the file's base name without ".ini". */
const char *l2d_cfg_name(const struct l2d_cfg *cfg);
/* experiment.db, or "results/<name>.db". */
const char *l2d_cfg_db(const struct l2d_cfg *cfg);
/* experiment.seeds parsed ("0" when absent); *seeds is malloc'ed. */
int l2d_cfg_seeds(const struct l2d_cfg *cfg, int64_t **seeds, size_t *n, struct l2d_error *err);

/* Canonical text of the configuration as resolved (file + --set, or a
 * cell's overrides): sections in order, "key = value" lines in order,
 * values quoted where INI needs it. It reads back to the same entries.
 * Stable while the configuration is not changed; owned by cfg. */
const char *l2d_cfg_text(const struct l2d_cfg *cfg);
/* FNV-1a 64 of l2d_cfg_text. */
uint64_t l2d_cfg_hash(const struct l2d_cfg *cfg);

struct l2d_cfg *l2d_cfg_copy(const struct l2d_cfg *cfg); /* NULL: out of memory */
void l2d_cfg_free(struct l2d_cfg *cfg);

/* ---- schema (config_schema.c) ------------------------------------------- */

/* The framework's own keys of a section ("agent.NAME" gives the agent
 * keys); NULL for a section that takes no keys of its own or is unknown. */
const struct l2d_param_spec *l2d_cfg_schema(const char *section);
/* Is this a section name the framework knows ([sweep] and [method.NAME]
 * included)? */
int l2d_cfg_section_known(const char *section);
/* The plugin kind a section configures and the key that names the plugin
 * ("plugin", or "surrogate" for [train]); 0 when the section has none. */
enum l2d_kind l2d_cfg_section_plugin(const char *section, const char **plugin_key);

/* Validated parameters of one section: keys of the framework schema go to
 * *fw, keys of plugin_schema to *plugin (a key in both goes to both); a
 * key in neither is an "unknown key" error naming file:line. Either output
 * may be NULL (then its keys are still accepted but not built; plugin
 * NULL with plugin_schema NULL: any non-framework key is unknown).
 * Defaults fill absent keys; a missing required key names the section's
 * line. Free with l2d_params_free (params.h). */
int l2d_cfg_params(const struct l2d_cfg *cfg, const char *section,
                   const struct l2d_param_spec *plugin_schema, struct l2d_params *fw,
                   struct l2d_params *plugin, struct l2d_error *err);

/* ---- validation (config_validate.c) ------------------------------------- */

/* The schema of plugin `name` of a kind, or NULL when there is none such
 * (an unknown plugin is then reported with file:line). A plugin with no
 * parameters returns a schema holding only the terminator. */
typedef const struct l2d_param_spec *(*l2d_schema_resolver)(void *self, enum l2d_kind kind,
                                                            const char *plugin_name);

/* Check everything before work starts: unknown sections and keys, types,
 * ranges, enum choices, required keys, unknown plugins, [sweep] and
 * [method.*] targets, and every cell (method x sweep combination) as it
 * will run, so a swept value out of range is caught up front. Also:
 * seeds, experiment name, rejector.hidden, eval.attacks, lr > 0, at least
 * one agent. */
int l2d_cfg_validate(const struct l2d_cfg *cfg, l2d_schema_resolver resolve, void *self,
                     struct l2d_error *err);

/* ---- expansion (config_expand.c) ----------------------------------------- */

struct l2d_cell {
    struct l2d_cfg *cfg; /* resolved copy: no [sweep] nor [method.*]; the method's
                            overrides and the swept values applied (their origin is
                            the [method.NAME]/[sweep] line); experiment.seeds = seed */
    char *method;        /* method name, "default" when there are no methods */
    int64_t seed;
    size_t nparams;      /* "method" first when there are [method.*] sections, then the
                            swept "section.key" in [sweep] order */
    char **keys;
    char **values;
    char *id;            /* "method=sard;cost.beta_scale=0.5;train.nu=1;seed=0": keys,
                            values and seed, the cell as this configuration names it */
    char key[33];        /* identity: its resolved settings and seed (l2d_cellset_key);
                            "" from l2d_cfg_expand */
    char setting[33];    /* the same without the seed */
};

/* cells = methods (file order) x Cartesian product of [sweep] keys (file
 * order, the last key fastest) x seeds (fastest). At most 1e6 cells. */
int l2d_cfg_expand(const struct l2d_cfg *cfg, struct l2d_cell **cells, size_t *n,
                   struct l2d_error *err);
void l2d_cells_free(struct l2d_cell *cells, size_t n);

/* ---- cells on demand, and their identity (config_cells.c) ---------------- */

/* The version of a plugin, for a cell's identity (NULL: unknown, ""). */
typedef const char *(*l2d_version_fn)(void *self, enum l2d_kind kind, const char *name);

/* The identity of a resolved configuration (a cell's, or any without
 * [sweep] and [method.*]) run with seed: 32 hex digits each. The settings
 * are every entry outside [experiment], normalised (numbers by value, list
 * items trimmed), agents by position, plugins with their versions, and the
 * defaults (the framework's; the plugin's, from schema, which may be NULL)
 * of the keys a section leaves out; the order of sections and
 * keys, comments, and [experiment] (name, seeds, db, device, threads,
 * description) do not count. */
void l2d_cfg_identity(const struct l2d_cfg *cfg, int64_t seed, l2d_version_fn ver, l2d_schema_resolver schema,
                      void *self, char cell_key[33], char setting_key[33]);

/* The cells of a configuration, in l2d_cfg_expand's order, without making
 * them: count, identity of cell i in O(swept keys) (equal to
 * l2d_cfg_identity of the cell's configuration), the cell itself on demand
 * (free with l2d_cell_clear). The configuration must have been validated. */
struct l2d_cellset;
int l2d_cellset_make(const struct l2d_cfg *cfg, l2d_version_fn ver, l2d_schema_resolver schema, void *self,
                     struct l2d_cellset **out, struct l2d_error *err);
void l2d_cellset_free(struct l2d_cellset *cs);
size_t l2d_cellset_count(const struct l2d_cellset *cs);
size_t l2d_cellset_nseeds(const struct l2d_cellset *cs);
void l2d_cellset_key(const struct l2d_cellset *cs, size_t i, char cell_key[33], char setting_key[33]);
int l2d_cellset_cell(const struct l2d_cellset *cs, size_t i, struct l2d_cell *cell, struct l2d_error *err);
void l2d_cell_clear(struct l2d_cell *cell);
/* The id of cell i (as l2d_cell.id), malloc'ed; NULL: out of memory. */
char *l2d_cellset_id(const struct l2d_cellset *cs, size_t i);
/* 1 for the first seed of each combination whose swept keys outside
 * relevant(section, key) are at their first value: one cell per distinct
 * value of what relevant selects (preflight: data sets and agents). */
int l2d_cellset_relevant(const struct l2d_cellset *cs, size_t i,
                         int (*relevant)(const char *sec, const char *key));

/* Number of cells l2d_cfg_expand would give (0 with *err set on error). */
size_t l2d_cfg_ncells(const struct l2d_cfg *cfg, struct l2d_error *err);
#endif
