#!/bin/sh
# A results database of schema version 2 with runs (t/data/migrate/results_v2_sweep.sql,
# made by the l2d of schema 2): l2d run upgrades it to version 3 and computes
# the old runs' identity from their experiment's stored configuration, so the
# same sweep with another seed list runs only the new seed's cells; every old
# row stays as it was; the summary counts each setting's seeds once.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
plan 10
have_sql || skip_all "no sqlite3 shell"
mk_tmp
db=$T_TMP/v2.db
"$SQLITE3" -batch "$db" <"$top_srcdir/t/data/migrate/results_v2_sweep.sql"
ok $? "the version-2 fixture loads"
is "$(sql "$db" 'PRAGMA user_version')|$(sql "$db" 'SELECT count(*) FROM runs')" "2|4" "version 2, 4 runs"
old_rows() {
    sql "$1" "SELECT id, name, config_text, config_hash, code_version, created_at FROM experiments WHERE id = 1;
              SELECT * FROM experiment_plugins WHERE experiment_id = 1;
              SELECT id, experiment_id, cell_id, params, method, seed, status, quote(error), device,
                     quote(started_at), quote(finished_at), quote(seconds), best_epoch, rejector_passes,
                     device_name FROM runs WHERE id <= 4 ORDER BY id;
              SELECT run_id, split, attack, name, quote(value) FROM metrics WHERE run_id <= 4 ORDER BY 1, 2, 3, 4;
              SELECT run_id, epoch, quote(train_loss), quote(val_risk) FROM epochs WHERE run_id <= 4 ORDER BY 1, 2"
}
old_rows "$db" >"$T_TMP/before"
q="--set agent.model.epochs=1 --set train.epochs=2"
"$L2D" run "$E2E/sweep.ini" --db "$db" $q --set experiment.seeds=0 --dry-run 2>"$T_TMP/err"
like "$(tail -n 1 "$T_TMP/err")" "4 cells in this shard: 4 done, 0 failed, 0 to run" \
    "--dry-run upgrades it and finds its 4 cells done"
is "$(sql "$db" 'PRAGMA user_version')|$(sql "$db" "SELECT count(*) FROM runs WHERE length(cell_key) = 32")" "4|4" \
    "version 4; the old runs have their identity"
"$L2D" run "$E2E/sweep.ini" --db "$db" $q --set experiment.seeds=1,0 2>"$T_TMP/err"
ok $? "the sweep with a seed added"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 4 ran, 4 already done;" "only the new seed's 4 cells ran"
old_rows "$db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "every old row intact"
exp=$(sql "$db" "SELECT max(id) FROM experiments")
is "$(sql "$db" "SELECT group_concat(n) FROM v_summary WHERE experiment_id = $exp AND split = 'test'
                 AND attack = 'clean' AND metric = 'risk'")" "2,2,2,2" "the new experiment's summary: 2 seeds per setting"
is "$(sql "$db" "SELECT count(*) FROM experiment_runs WHERE experiment_id = $exp")" "8" \
    "its 8 cells: 4 old runs and 4 new ones"
"$L2D" report "$db" >/dev/null 2>"$T_TMP/err"
ok $? "l2d report reads it"
done_testing
