#!/bin/sh
# [method.NAME] sections: one row of the experiment each, crossed with the
# sweep. A method is only its overrides: two methods with the same
# overrides are the same cells (a cell is its settings): trained once,
# listed under both, and a method's numbers are those of a plain run with
# its overrides set directly.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 10
cfg=$E2E/sweep.ini
db=$T_TMP/a.db
one="--set experiment.seeds=0 --set sweep.train.nu=1"

"$L2D" run -q "$cfg" --db "$db" $one --set method.slow.train.lr=0.01 \
    --set method.fast.train.lr=0.05 --set method.slow2.train.lr=0.01
ok $? "3 methods x 2 beta_scale x 1 seed"
"$L2D" run -q "$cfg" --db "$T_TMP/plain.db" $one --set train.lr=0.05
ok $? "the same sweep without methods, lr 0.05"
if ! have_sql; then
    skip 8 "no sqlite3 shell"
    done_testing
fi
is "$(sql "$db" "SELECT cell_id FROM experiment_runs ORDER BY rowid" | tr '\n' ' ')" \
    "method=slow;cost.beta_scale=0;train.nu=1;seed=0 method=slow;cost.beta_scale=2;train.nu=1;seed=0 method=fast;cost.beta_scale=0;train.nu=1;seed=0 method=fast;cost.beta_scale=2;train.nu=1;seed=0 method=slow2;cost.beta_scale=0;train.nu=1;seed=0 method=slow2;cost.beta_scale=2;train.nu=1;seed=0 " \
    "cells: methods in file order, then the sweep"
is "$(sql "$db" "SELECT count(*) FROM experiment_runs WHERE cell_id = 'method=' || method || ';' || params || ';seed=0' AND params NOT LIKE '%method%'")" "6" \
    "experiment_runs.method holds the method, params leaves it out"
is "$(sql "$db" "SELECT group_concat(method) FROM (SELECT DISTINCT method FROM runs ORDER BY id)")" "slow,fast" \
    "slow2 has slow's settings: its cells were not trained again"
is "$(sql "$db" "SELECT count(*) FROM run_params p JOIN runs r ON r.id = p.run_id WHERE p.key = 'method' AND p.value = r.method AND p.value_num IS NULL")" "4" \
    "run_params has the method as a text parameter"
is "$(sql "$db" "SELECT method || ':' || count(DISTINCT params) || ':' || min(n) FROM v_summary GROUP BY method ORDER BY method" | tr '\n' ' ')" \
    "fast:2:1 slow:2:1 slow2:2:1 " "v_summary: one group per method and setting"
msel() { sql "$1" "SELECT params, split, metric, quote(value) FROM v_metrics WHERE method = '$2' ORDER BY 1, 2, 3"; }
is "$(msel "$db" slow2)" "$(msel "$db" slow)" "two methods with the same overrides: the same numbers, listed under both"
ok "$([ "$(msel "$db" fast)" != "$(msel "$db" slow)" ]; echo $?)" "a different learning rate: different numbers"
is "$(msel "$db" fast)" "$(msel "$T_TMP/plain.db" default)" "method fast = a plain run with lr 0.05, bit for bit"
done_testing
