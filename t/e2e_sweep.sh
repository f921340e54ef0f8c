#!/bin/sh
# l2d run end to end: a 2 (beta_scale) x 2 (nu) x 2 seeds sweep on tiny
# synthetic data (t/data/e2e/sweep.ini), what it writes, and that a second
# run of the same config gives bit-identical numbers.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 35
cfg=$E2E/sweep.ini
db=$T_TMP/a.db

"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err"
ok $? "the sweep runs (exit 0)"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 8 ran, 0 already done; results in $db\$" "8 cells ran"

# the data set is loaded and the agents fitted once per seed, not per cell
# (a terminal shows those steps: util-linux script(1) gives one)
if script --version 2>/dev/null | grep -q util-linux; then
    script -qec "'$L2D' run '$cfg' --db '$T_TMP/tty.db'" /dev/null </dev/null | tr '\r' '\n' >"$T_TMP/tty"
    is "$(grep -c "loading data set 'synthetic'\$" "$T_TMP/tty")|$(grep -c "fitting agent 1/3 'model'\$" "$T_TMP/tty")" \
        "2|2" "data built and agents fitted once per seed (2), not once per cell (8)"
else
    skip 1 "no util-linux script(1) to make a terminal"
fi

if ! have_sql; then
    skip 28 "no sqlite3 shell"
    done_testing
fi

is "$(sql "$db" "SELECT count(*), min(name), max(name) FROM experiments")" "1|e2e-sweep|e2e-sweep" \
    "one experiment, named from the config"
is "$(sql "$db" "SELECT count(*), sum(status = 'done'), count(error) FROM runs")" "8|8|0" \
    "8 runs, all done, no error"
is "$(sql "$db" "SELECT cell_id FROM runs ORDER BY id" | tr '\n' ' ')" \
    "cost.beta_scale=0;train.nu=0.5;seed=0 cost.beta_scale=0;train.nu=0.5;seed=1 cost.beta_scale=0;train.nu=1;seed=0 cost.beta_scale=0;train.nu=1;seed=1 cost.beta_scale=2;train.nu=0.5;seed=0 cost.beta_scale=2;train.nu=0.5;seed=1 cost.beta_scale=2;train.nu=1;seed=0 cost.beta_scale=2;train.nu=1;seed=1 " \
    "cells in sweep order, the last key and the seed fastest"
is "$(sql "$db" "SELECT params || ':' || count(*) || ':' || group_concat(seed) FROM (SELECT * FROM runs ORDER BY seed) GROUP BY params ORDER BY params" | tr '\n' ' ')" \
    "cost.beta_scale=0;train.nu=0.5:2:0,1 cost.beta_scale=0;train.nu=1:2:0,1 cost.beta_scale=2;train.nu=0.5:2:0,1 cost.beta_scale=2;train.nu=1:2:0,1 " \
    "4 settings of 2 seeds each, method default"
is "$(sql "$db" "SELECT count(*), count(DISTINCT run_id) FROM run_params")" "16|8" "2 run_params rows per run"
is "$(sql "$db" "SELECT count(*) FROM run_params p JOIN runs r ON r.id = p.run_id
                  WHERE p.key NOT IN ('cost.beta_scale', 'train.nu')
                     OR instr(r.cell_id, p.key || '=' || p.value || ';') = 0
                     OR p.value_num IS NULL OR p.value_num <> CAST(p.value AS REAL)
                     OR r.method <> 'default'")" "0" \
    "run_params: the swept keys, with the cell's values, as text and number"
is "$(sql "$db" "SELECT group_concat(value_num) FROM (SELECT DISTINCT value_num FROM run_params WHERE key = 'cost.beta_scale' ORDER BY 1)")" \
    "0.0,2.0" "beta_scale values 0 and 2"

# training curves: 4 epochs each, numbered 1..4, every quantity measured
is "$(sql "$db" "SELECT count(*) FROM (SELECT run_id, count(*) AS n, min(epoch) AS lo, max(epoch) AS hi,
                  count(train_loss) + count(train_risk) + count(val_loss) + count(val_risk) AS m
                  FROM epochs GROUP BY run_id) WHERE n = 4 AND lo = 1 AND hi = 4 AND m = 16")" "8" \
    "4 epochs per run (train.epochs), all losses and risks present"
is "$(sql "$db" "SELECT count(*) FROM runs WHERE rejector_passes = 4 * 210")" "8" \
    "rejector passes = epochs x 210 training rows (300 - 30 val - 60 test)"
# the kept epoch: lowest validation risk, earliest on ties; the val risk
# measured afterwards with the kept parameters is the one of that epoch
is "$(sql "$db" "SELECT count(*) FROM runs r JOIN epochs e ON e.run_id = r.id AND e.epoch = r.best_epoch
                  WHERE e.val_risk = (SELECT min(val_risk) FROM epochs WHERE run_id = r.id)
                    AND NOT EXISTS (SELECT 1 FROM epochs WHERE run_id = r.id AND epoch < r.best_epoch
                                    AND val_risk = e.val_risk)")" "8" \
    "best_epoch is the (1-based) epoch of lowest validation risk"
is "$(sql "$db" "SELECT count(*) FROM runs r JOIN epochs e ON e.run_id = r.id AND e.epoch = r.best_epoch
                  JOIN metrics m ON m.run_id = r.id AND m.split = 'val' AND m.attack = 'clean' AND m.name = 'risk'
                  WHERE abs(m.value - e.val_risk) <= 1e-12")" "8" \
    "val risk metric = val risk of the kept epoch"

# system metrics
is "$(sql "$db" "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM metrics m WHERE m.run_id = r.id
                  AND m.split = 'test' AND m.attack = 'clean' AND m.name IN
                  ('risk', 'accuracy', 'rmse', 'oracle_risk', 'alloc_0', 'alloc_1', 'alloc_2')) = 7")" "8" \
    "test risk, accuracy, rmse, oracle_risk, alloc_0..2 for every run"
is "$(sql "$db" "SELECT count(*) FROM metrics WHERE name LIKE 'alloc_%' AND name NOT IN ('alloc_0', 'alloc_1', 'alloc_2')")" "0" \
    "one alloc_j per agent, no more"
is "$(sql "$db" "SELECT split, count(*) FROM (SELECT run_id, split, sum(value) AS s FROM metrics
                  WHERE name LIKE 'alloc\\_%' ESCAPE '\\' GROUP BY run_id, split) WHERE abs(s - 1) <= 1e-9 GROUP BY split" | tr '\n' ' ')" \
    "test|8 val|8 " "alloc_j sum to 1 (1e-9) on test and val of every run"
is "$(sql "$db" "SELECT count(*) FROM metrics WHERE name LIKE 'alloc\\_%' ESCAPE '\\'
                  AND abs(value * (CASE split WHEN 'test' THEN 60 ELSE 30 END)
                          - round(value * (CASE split WHEN 'test' THEN 60 ELSE 30 END))) > 1e-9")" "0" \
    "alloc_j x rows is a whole number (60 test, 30 val rows)"
is "$(sql "$db" "SELECT count(*) FROM metrics r JOIN metrics o ON o.run_id = r.run_id AND o.split = r.split
                  AND o.attack = r.attack AND o.name = 'oracle_risk' WHERE r.name = 'risk' AND o.value <= r.value")" "16" \
    "oracle_risk <= risk, exactly, on test and val of every run"
is "$(sql "$db" "SELECT count(*) FROM agent_metrics a JOIN metrics o ON o.run_id = a.run_id AND o.split = a.split
                  AND o.name = 'oracle_risk' WHERE a.name = 'risk' AND o.value <= a.value")" "24" \
    "oracle_risk <= every agent's own risk, exactly"
is "$(sql "$db" "SELECT count(*) FROM metrics WHERE (name LIKE '%accuracy' OR name LIKE '%alloc\\_%' ESCAPE '\\')
                  AND NOT (value >= 0 AND value <= 1)
                  OR (name LIKE '%risk' OR name LIKE '%rmse' OR name LIKE '%mae') AND NOT (value >= 0)")" "0" \
    "accuracies and fractions in [0, 1], risks and errors >= 0"
is "$(sql "$db" "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM metrics WHERE run_id = r.id) <>
                  (SELECT count(*) FROM metrics WHERE run_id = 1)")" "0" "every run has the same metrics"

# each agent's own metrics
is "$(sql "$db" "SELECT agent_index || ':' || agent_name || ':' || group_concat(name) FROM
                  (SELECT DISTINCT agent_index, agent_name, name FROM agent_metrics WHERE split = 'test' ORDER BY 1, 3)
                  GROUP BY agent_index ORDER BY agent_index" | tr '\n' ' ')" \
    "0:model:accuracy,mae,risk,risk_noquery,rmse,smooth_l1 1:expert1:accuracy,mae,risk,risk_noquery,rmse,smooth_l1 2:expert2:accuracy,mae,risk,risk_noquery,rmse,smooth_l1 " \
    "agent_metrics: every agent, in config order, with its metrics"
is "$(sql "$db" "SELECT count(*), count(DISTINCT run_id) FROM agent_metrics")" "144|8" "18 agent metrics per run"
# beta_scale multiplies every query_cost: an agent's risk at beta 2 is its
# risk at beta 0 plus 2 x query_cost (0, 0.1, 0.2), all else equal
is "$(sql "$db" "SELECT group_concat(d) FROM (SELECT DISTINCT a0.agent_index,
                  printf('%.12f', a2.value - a0.value) AS d FROM agent_metrics a0
                  JOIN runs r0 ON r0.id = a0.run_id JOIN runs r2 ON r2.seed = r0.seed
                  JOIN run_params p0 ON p0.run_id = r0.id AND p0.key = 'train.nu'
                  JOIN run_params p2 ON p2.run_id = r2.id AND p2.key = 'train.nu' AND p2.value = p0.value
                  JOIN agent_metrics a2 ON a2.run_id = r2.id AND a2.agent_index = a0.agent_index AND a2.name = 'risk'
                  WHERE a0.name = 'risk' AND r0.params LIKE 'cost.beta_scale=0;%' AND r2.params LIKE 'cost.beta_scale=2;%'
                  ORDER BY 1)")" "0.000000000000,0.200000000000,0.400000000000" \
    "agent risk at beta_scale 2 - at 0 = 2 x query_cost"
is "$(sql "$db" "SELECT count(*) FROM agent_metrics a JOIN runs r ON r.id = a.run_id
                  JOIN runs r1 ON r1.seed = r.seed AND substr(r1.params, 1, 17) = substr(r.params, 1, 17)
                  JOIN agent_metrics b ON b.run_id = r1.id AND b.agent_index = a.agent_index AND b.name = a.name
                  WHERE a.value = b.value")" "288" \
    "agents' metrics do not depend on nu: identical for both nu of a (beta, seed)"
# the risk without query costs: at beta_scale 0 it is the risk; at 2 the
# risk less 2 x query_cost (0, 0.1, 0.2) of the agents chosen, for the
# rejector and the oracle on every split measured, and for each agent alone
is "$(sql "$db" "SELECT count(*), sum(q.value = r.value) FROM metrics q
                  JOIN metrics r ON r.run_id = q.run_id AND r.split = q.split AND r.attack = q.attack
                   AND r.name = replace(q.name, 'risk_noquery', 'risk')
                  JOIN runs u ON u.id = q.run_id
                  WHERE q.name LIKE '%risk_noquery' AND u.params LIKE 'cost.beta_scale=0;%'")" "16|16" \
    "beta_scale 0: risk_noquery = risk (rejector and oracle, val and test)"
is "$(sql "$db" "SELECT count(*), sum(abs(r.value - q.value - 2 * (0.1 * a1.value + 0.2 * a2.value)) < 1e-12)
                  FROM metrics q JOIN runs u ON u.id = q.run_id
                  JOIN metrics r ON r.run_id = q.run_id AND r.split = q.split AND r.attack = q.attack
                   AND r.name = replace(q.name, 'risk_noquery', 'risk')
                  JOIN metrics a1 ON a1.run_id = q.run_id AND a1.split = q.split AND a1.attack = q.attack
                   AND a1.name = replace(q.name, 'risk_noquery', 'alloc_1')
                  JOIN metrics a2 ON a2.run_id = q.run_id AND a2.split = q.split AND a2.attack = q.attack
                   AND a2.name = replace(q.name, 'risk_noquery', 'alloc_2')
                  WHERE q.name LIKE '%risk_noquery' AND u.params LIKE 'cost.beta_scale=2;%'
                   AND r.value > q.value")" "16|16" \
    "beta_scale 2: risk - risk_noquery = 2 (0.1 alloc_1 + 0.2 alloc_2), and > 0"
is "$(sql "$db" "SELECT group_concat(d) FROM (SELECT DISTINCT a.agent_index, printf('%.12f', a.value - q.value) AS d
                  FROM agent_metrics a JOIN agent_metrics q ON q.run_id = a.run_id
                   AND q.agent_index = a.agent_index AND q.name = 'risk_noquery'
                  JOIN runs u ON u.id = a.run_id
                  WHERE a.name = 'risk' AND u.params LIKE 'cost.beta_scale=2;%' ORDER BY 1)")" \
    "0.000000000000,0.200000000000,0.400000000000" "agent alone at beta_scale 2: risk - risk_noquery = 2 x query_cost"
is "$(sql "$db" "SELECT count(*), sum(abs(d.value - (1 - a.value)) < 1e-12), sum(d.value > 0)
                  FROM metrics d JOIN metrics a ON a.run_id = d.run_id AND a.split = d.split
                   AND a.attack = d.attack AND a.name = replace(d.name, 'defer_rate', 'alloc_0')
                  WHERE d.name LIKE '%defer_rate'")" "32|32|32" \
    "defer_rate = 1 - alloc_0 (> 0: experts are used) for the rejector and oracle, val and test, every run"
# summaries over seeds
n_per_run=$(sql "$db" "SELECT count(*) FROM metrics WHERE run_id = 1")
is "$(sql "$db" "SELECT count(*), min(n), max(n), count(var) FROM v_summary")" \
    "$((4 * n_per_run))|2|2|$((4 * n_per_run))" "v_summary: one row per setting and metric, n = 2 seeds"
is "$(sql "$db" "SELECT count(*), min(n), max(n) FROM v_agent_summary")" "72|2|2" \
    "v_agent_summary: 4 settings x 3 agents x 6 metrics, n = 2"

# repeatability: the same config into a second database
"$L2D" run -q "$cfg" --db "$T_TMP/b.db"
ok $? "second run into a new database"
# where a run's time went: data set and agents (fitted in the first cell of
# each seed, reused by the others), the rejector, the rest evaluation
is "$(sql "$db" "SELECT count(*) || '|' || sum(agents_seconds >= 0) || '|' || sum(train_seconds > 0) || '|' ||
                 sum(agents_seconds + train_seconds <= seconds) FROM runs")" "8|8|8|8" \
    "every run records agents_seconds >= 0 and train_seconds > 0, both within its seconds"

dump_metrics "$db" >"$T_TMP/a.txt"
dump_metrics "$T_TMP/b.db" >"$T_TMP/b.txt"
cmp -s "$T_TMP/a.txt" "$T_TMP/b.txt"
ok $? "bit-identical metrics, agent metrics, curves and run records ($(wc -l <"$T_TMP/a.txt") rows)"
done_testing
