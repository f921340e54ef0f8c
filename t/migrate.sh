#!/bin/sh
# A results database of schema version 1 (t/data/migrate/results_v1.sql,
# made by make_results_v1.sh) in the hands of this l2d: l2d report refuses
# it until it is upgraded and leaves it alone; l2d run upgrades it, finds
# its experiment again (same config hash: cells 1 and 3 are done, cell 2
# runs) and records the new run's device; the quickstart then appends its
# runs, with their device; every old row stays as it was.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
have_sql || skip_all "no sqlite3 shell"
mk_tmp
plan 23
db=$T_TMP/v1.db
"$SQLITE3" -batch "$db" <"$top_srcdir/t/data/migrate/results_v1.sql"
ok $? "the version-1 fixture loads"
is "$(sql "$db" 'PRAGMA user_version')" 1 "user_version 1"
old="1, 2, 100, 101" # the fixture's runs; experiments 1 and 2
# every version-1 column of every old row, exactly (quote() round-trips a REAL)
old_rows() {
    sql "$1" "SELECT 'e', id, name, quote(config_text), config_hash, code_version, created_at
              FROM experiments WHERE id IN (1, 2) ORDER BY id;
              SELECT 'p', experiment_id, kind, name, version, quote(path) FROM experiment_plugins
                     WHERE experiment_id IN (1, 2) ORDER BY rowid;
              SELECT 'r', id, experiment_id, cell_id, params, method, seed, status, quote(error), device,
                     quote(started_at), quote(finished_at), quote(seconds), quote(best_epoch),
                     quote(rejector_passes) FROM runs WHERE id IN ($old) ORDER BY id;
              SELECT 'k', run_id, key, value, quote(value_num) FROM run_params WHERE run_id IN ($old)
                     ORDER BY run_id, key;
              SELECT 'h', run_id, epoch, quote(train_loss), quote(train_risk), quote(val_loss),
                     quote(val_risk), quote(seconds) FROM epochs WHERE run_id IN ($old) ORDER BY 2, 3;
              SELECT 'm', run_id, split, attack, name, quote(value) FROM metrics WHERE run_id IN ($old)
                     ORDER BY 2, 3, 4, 5;
              SELECT 'a', run_id, agent_index, agent_name, split, name, quote(value) FROM agent_metrics
                     WHERE run_id IN ($old) ORDER BY 2, 3, 5, 6;"
}
old_rows "$db" >"$T_TMP/before"
is "$(grep -c '^[rm]|' "$T_TMP/before")" 84 "the fixture: 4 runs, 80 metrics"
cp "$db" "$T_TMP/v1-copy.db"

# read-only: refused, and nothing changed
"$L2D" report "$db" >/dev/null 2>"$T_TMP/err"
is "$?" 1 "l2d report on version 1: exit 1"
like "$(cat "$T_TMP/err")" "results schema version 1 is older than this l2d's \(4\): open it once for writing" \
    "l2d report says how to upgrade"
cmp -s "$db" "$T_TMP/v1-copy.db"
ok $? "l2d report left the file as it was"

# l2d run: upgrade, resume
"$L2D" run "$top_srcdir/t/data/migrate/legacy.ini" --db "$db" 2>"$T_TMP/err"
ok $? "l2d run of the fixture's experiment on it"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 1 ran, 2 already done;" "upgraded and resumed: cell 2 ran, 1 and 3 skipped"
is "$(sql "$db" 'PRAGMA user_version')" 4 "user_version 4"
is "$(sql "$db" "SELECT count(*) FROM runs WHERE cell_key GLOB '[0-9a-f]*' AND length(cell_key) = 32
                 AND experiment_id = 1")" 3 "the old runs of 'legacy' got their identity from its stored configuration"
old_rows "$db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "every old row intact"
is "$(sql "$db" "SELECT count(*) FROM pragma_table_info('runs') WHERE name IN ('device_name', 'cuda_driver',
                 'cuda_runtime', 'cudnn')")" 4 "runs has the new columns"
is "$(sql "$db" "SELECT count(*) FROM runs WHERE id IN ($old) AND device_name IS NULL AND cuda_driver IS NULL
                 AND cuda_runtime IS NULL AND cudnn IS NULL")" 4 "old runs: NULL there"
cpu_name=$("$L2D" devices | sed -n '/^cpu /{s/^cpu *//; s/  ([^()]*)$//; p}')
is "$(sql "$db" "SELECT experiment_id || '|' || cell_id || '|' || status || '|' || device || '|' || device_name
                 || '|' || quote(cuda_driver) || '|' || quote(cuda_runtime) || '|' || quote(cudnn)
                 FROM runs WHERE id NOT IN ($old)")" \
    "1|cost.beta_scale=1;seed=0|done|cpu|$cpu_name|NULL|NULL|NULL" \
    "the new run: experiment 1, cell 2, its device recorded"

# the quickstart, on the upgraded database: a new experiment, appended
"$L2D" run "$top_srcdir/experiments/quickstart.ini" --db "$db" --set experiment.seeds=0 \
    --unset sweep.train.nu --set sweep.cost.beta_scale=0,1 --set train.epochs=2 --set agent.model.epochs=2 \
    2>"$T_TMP/err"
ok $? "the quickstart (2 cells) on the upgraded database"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 2 ran, 0 already done;" "its 2 cells ran"
is "$(sql "$db" "SELECT e.name || '|' || count(r.id) || '|' || sum(r.device = 'cpu' AND r.device_name IS '$cpu_name'
                 AND r.cuda_runtime IS NULL) FROM experiments e JOIN runs r ON r.experiment_id = e.id
                 GROUP BY e.id ORDER BY e.id" | tr '\n' ' ')" \
    "legacy|3|1 old|2|0 quickstart|2|2 " "appended: the quickstart's 2 runs record their device"
old_rows "$db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "every old row still intact"
is "$(sql "$db" "SELECT group_concat(DISTINCT coalesce(devices, 'NULL')) FROM v_summary")" "cpu" \
    "v_summary: every setting on cpu (old runs' device kept)"
"$L2D" report "$db" >"$T_TMP/report" 2>"$T_TMP/err"
ok $? "l2d report reads the upgraded database"
like "$(cat "$T_TMP/report")" "quickstart" "and reports the quickstart"

# a cell is its settings: the old runs, keyed from their stored configuration,
# count as done under a configuration with another seed list
"$L2D" run "$top_srcdir/t/data/migrate/legacy.ini" --db "$db" --set experiment.seeds=1,0 2>"$T_TMP/err"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 3 ran, 3 already done;" "another seed: its 3 cells ran, seed 0's did not"
is "$(sql "$db" "SELECT group_concat(n) FROM v_summary WHERE experiment_id = (SELECT max(id) FROM experiments)
                 AND metric = 'risk' AND split = 'test' AND attack = 'clean'")" "2,2,2" \
    "the new experiment's summary: 2 seeds per setting, old runs included, none twice"
done_testing
