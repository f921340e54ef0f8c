#!/bin/sh
# A cell is its settings (schema version 3): adding a seed or a sweep value,
# reordering a list, editing a comment or writing a number another way
# reruns nothing that is done; changing a setting reruns its cells;
# --dry-run says which cells are done, failed or to run; summaries count
# each setting's seeds once. And --set of a swept key replaces the sweep.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
plan 17
mk_tmp
cfg=$E2E/sweep.ini
db=$T_TMP/a.db
q="--set agent.model.epochs=1 --set train.epochs=2"
last() { tail -n 1 "$T_TMP/err"; }

"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0 2>"$T_TMP/err"
ok $? "seed 0: 4 cells"
like "$(last)" "^l2d run: 4 ran, 0 already done;" "4 ran"
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=1,0 2>"$T_TMP/err"
like "$(last)" "^l2d run: 4 ran, 4 already done;" "a seed added (and the list reordered): only seed 1's 4 cells ran"
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0,1 --set sweep.train.nu=1,0.5,2 --dry-run 2>"$T_TMP/err"
is "$(grep -c ': done$' "$T_TMP/err")|$(grep -c ': to run$' "$T_TMP/err")|$(grep -c ': failed$' "$T_TMP/err")" "8|4|0" \
    "--dry-run with a sweep value added: 8 cells done, 4 to run"
like "$(last)" "12 cells in this shard: 8 done, 0 failed, 4 to run" "--dry-run's count"
# the same settings written otherwise: another file, keys and sections moved, comments, 0.50
sed -e 's/^train.nu = 0.5, 1/train.nu = 1, 0.50   ; reordered/' -e 's/^; e2e.*/; another comment/' \
    -e 's/^lr = 0.01/lr = 1e-2/' "$cfg" | awk '/^\[cost\]/{print "[cost]\nreg = smooth_l1\nlambda_reg = 1\nlambda_cla = 1"; skip=1; next}
        /^\[/{skip=0} !skip' >"$T_TMP/same.ini"
grep -q '^lr = 1e-2' "$T_TMP/same.ini" && grep -q 'reordered' "$T_TMP/same.ini"
ok $? "a copy of the configuration, written otherwise"
"$L2D" run "$T_TMP/same.ini" --db "$db" $q 2>"$T_TMP/err"
like "$(last)" "^l2d run: 0 ran, 8 already done;" "the same settings written otherwise: nothing reran"
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0 --set train.lr=0.02 2>"$T_TMP/err"
like "$(last)" "^l2d run: 4 ran, 0 already done;" "a setting changed (train.lr): every cell reran"
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0 --set experiment.threads=2 --set experiment.name=e2e-sweep \
    --set experiment.description=x 2>"$T_TMP/err"
like "$(last)" "^l2d run: 0 ran, 4 already done;" "bookkeeping keys ([experiment] threads, description) are no setting"
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0 --set experiment.device=cpu --set train.optimizer=adam \
    --set rejector.arch=mlp 2>"$T_TMP/err"
like "$(last)" "^l2d run: 0 ran, 4 already done;" "[experiment] device is no setting; keys written at their defaults change nothing"
if have_sql; then
    is "$(sql "$db" "SELECT count(*), count(DISTINCT cell_key), count(DISTINCT setting_key) FROM runs")" "12|12|8" \
        "12 runs: 12 identities, 8 settings (4 with lr 0.01, 4 with 0.02)"
    # the latest experiment of the first configuration: seeds 0 and 1, each once
    exp=$(sql "$db" "SELECT max(id) FROM experiments WHERE config_text LIKE '%seeds = 0, 1%' AND config_text NOT LIKE '%lr = 0.02%'")
    is "$(sql "$db" "SELECT group_concat(n) FROM v_summary WHERE experiment_id = $exp AND metric = 'risk'
                     AND split = 'test' AND attack = 'clean'")" "2,2,2,2" "its summary: 2 seeds per setting, none twice"
    is "$(sql "$db" "SELECT count(*) FROM claims")" "0" "no claim left behind"
else
    skip 3 "no sqlite3 shell"
fi

# --set of a swept key replaces that sweep dimension, and is checked
"$L2D" run "$cfg" --db "$db" $q --set train.nu=0.75 --set cost.beta_scale=2 --dry-run 2>"$T_TMP/err"
ok $? "--set of two swept keys"
is "$(grep '^\[cell ' "$T_TMP/err" | sed 's/^\[cell [0-9]*\/[0-9]*\] //')" "seed=0: to run
seed=1: to run" "--dry-run: one setting, 2 seeds (the sweep replaced by the values given)"
"$L2D" run "$cfg" --db "$db" $q --set cost.beta_scale=-1 2>"$T_TMP/err"
is "$?" "2" "--set of a swept key to a bad value: refused (exit 2)"
like "$(cat "$T_TMP/err")" "--set cost.beta_scale" "the error names the --set"
done_testing
