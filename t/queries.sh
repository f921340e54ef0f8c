#!/bin/sh
# The example queries in results/queries, run with the sqlite3 shell on a
# small database made here from results/schema.sql (hand-picked numbers,
# exact in binary, so that means print exactly).
. "$top_srcdir/t/lib.sh"
[ -n "${SQLITE3:-}" ] || skip_all "no sqlite3"
mk_tmp
db=$T_TMP/q.db
Q=$top_srcdir/results/queries
sq() { "$SQLITE3" -batch -noheader -separator '|' "$db" "$@"; }

plan $((19 + $(ls "$Q"/*.sql | wc -l)))  # one check per example query file at the end

# one done run: id nu beta seed risk alloc_0 (alloc_1 = 1 - alloc_0)
run() {
    cat <<SQL
INSERT INTO runs (id, experiment_id, cell_id, params, method, seed, status, best_epoch)
  VALUES ($1, 1, 'method=sard;train.nu=$2;cost.beta_scale=$3;seed=$4', 'train.nu=$2;cost.beta_scale=$3', 'sard', $4, 'done', 1);
INSERT INTO run_params VALUES ($1, 'train.nu', '$2', $2), ($1, 'cost.beta_scale', '$3', $3), ($1, 'seed', '$4', $4);
INSERT INTO metrics VALUES ($1, 'test', 'clean', 'risk', $5), ($1, 'val', 'clean', 'risk', 9),
  ($1, 'test', 'untargeted', 'risk', 9),
  ($1, 'test', 'clean', 'alloc_0', $6), ($1, 'test', 'clean', 'alloc_1', 1 - $6);
INSERT INTO agent_metrics VALUES ($1, 0, 'model', 'test', 'accuracy', 0.5), ($1, 1, 'expert1', 'test', 'accuracy', 0.75);
SQL
}
{
    cat "$top_srcdir/results/schema.sql"
    echo "INSERT INTO experiments (id, name, config_text, config_hash, code_version)
          VALUES (1, 'sweep', '', '0000000000000001', 't'), (2, 'other', '', '0000000000000002', 't');"
    #   id  nu  beta seed risk    alloc_0
    run 1   0.5 0.5  0    0.25    0.25
    run 2   0.5 0.5  1    0.375   0.5
    run 3   0.5 1    0    0.125   0.75
    run 4   0.5 1    1    0.25    0.75
    run 5   1   0.5  0    0.0625  0.25
    run 6   1   0.5  1    0.125   0.5
    run 7   1   1    0    0.5     0.75
    run 8   1   1    1    0.5     0.75
    # a failed run with the best risk of all: must not count
    echo "INSERT INTO runs (id, experiment_id, cell_id, params, method, seed, status, error)
          VALUES (9, 1, 'method=sard;train.nu=1;cost.beta_scale=1;seed=2', 'train.nu=1;cost.beta_scale=1', 'sard', 2, 'failed', 'x');
          INSERT INTO run_params VALUES (9, 'train.nu', '1', 1), (9, 'cost.beta_scale', '1', 1);
          INSERT INTO metrics VALUES (9, 'test', 'clean', 'risk', 0), (9, 'test', 'clean', 'alloc_0', 0);"
    # run 3's training curve; its kept epoch is 1
    echo "INSERT INTO epochs VALUES (3, 0, 2.5, 0.5, 3, 0.625, 0.25, NULL), (3, 1, 1.5, 0.25, 2, 0.375, 0.25, NULL),
          (3, 2, 1.25, 0.125, NULL, 0.5, 0.5, NULL);"
    # another experiment, created later, with one run
    echo "INSERT INTO runs (id, experiment_id, cell_id, params, method, seed, status)
          VALUES (10, 2, 'method=mt;seed=0', '', 'mt', 0, 'done');
          INSERT INTO metrics VALUES (10, 'test', 'clean', 'risk', 0.75);
          INSERT INTO epochs VALUES (10, 0, 0.5, 0.25, 0.5, 0.125, 1, NULL);"
} > "$T_TMP/fixture.sql"
sq < "$T_TMP/fixture.sql"
ok $? "fixture database"

out=$(sq < "$Q/best_beta_per_nu.sql")
is "$out" "sweep|sard|0.5|1|0.1875|2|
sweep|sard|1|0.5|0.09375|2|" "best_beta_per_nu: beta 1 for nu 0.5, beta 0.5 for nu 1 (nothing else swept)"

out=$(sq < "$Q/allocation_vs_beta.sql")
is "$out" "sweep|sard|train.nu=0.5|0.5|0|model|0.375||2
sweep|sard|train.nu=0.5|0.5|1|expert1|0.625||2
sweep|sard|train.nu=0.5|1|0|model|0.75||2
sweep|sard|train.nu=0.5|1|1|expert1|0.25||2
sweep|sard|train.nu=1|0.5|0|model|0.375||2
sweep|sard|train.nu=1|0.5|1|expert1|0.625||2
sweep|sard|train.nu=1|1|0|model|0.75||2
sweep|sard|train.nu=1|1|1|expert1|0.25||2" \
    "allocation_vs_beta: per agent (by name) and beta, for each nu apart (n 2, not pooled over nu)"
out=$(sq "SELECT run_id, agent_index, agent, alloc, quote(oracle_alloc) FROM v_allocation
          WHERE run_id = 3 AND split = 'test' AND attack = 'clean' ORDER BY agent_index")
is "$out" "3|0|model|0.75|NULL
3|1|expert1|0.25|NULL" "v_allocation: agent names next to allocations"
out=$(sq < "$Q/params_wide.sql" | grep '|test|clean|risk|' | head -n 2)
is "$out" "sweep|sard|0.5|0.5|test|clean|risk|2|0.3125|0.0078125|train.nu=0.5;cost.beta_scale=0.5
sweep|sard|0.5|1.0|test|clean|risk|2|0.1875|0.0078125|train.nu=0.5;cost.beta_scale=1" \
    "params_wide: one column per swept parameter"

out=$(sq ".param set :run_id 3" ".read $Q/learning_curve.sql")
is "$out" "3|0|2.5|0.5|3.0|0.625|0.25|
3|1|1.5|0.25|2.0|0.375|0.25|*
3|2|1.25|0.125||0.5|0.5|" "learning_curve of run 3, best epoch marked"
out=$(sq ".read $Q/learning_curve.sql")
is "$out" "10|0|0.5|0.25|0.5|0.125|1.0|" "learning_curve without :run_id: the latest done run"
out=$(sq ".param set :run_id 1" ".read $Q/learning_curve.sql")
is "$out" "" "learning_curve of a run without epochs: empty"

# v_summary's std needs sqrt(): Debian's sqlite3 has it, a bare build may not
skip() { for k in $(seq "$1"); do T_N=$((T_N + 1)); echo "ok $T_N # SKIP $2"; done; }
if ! sq "SELECT sqrt(4)" >/dev/null 2>&1; then
    skip 6 "this sqlite3 has no sqrt()"
else
# summary of 'sweep': 4 settings x (test/clean risk, alloc_0, alloc_1, test/untargeted risk, val risk)
out=$(sq ".param set :experiment sweep" ".read $Q/summary.sql" 2>&1)
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 20 "summary: 20 rows"
line=$(printf '%s\n' "$out" | grep '^sweep|sard|train.nu=0.5;cost.beta_scale=0.5|test|clean|risk|')
is "$(echo "$line" | cut -d'|' -f7,8)" "2|0.3125" "summary: n and mean of risk, nu 0.5, beta 0.5"
# risks 0.25, 0.375: sample std = 0.125 / sqrt(2)
close "$(echo "$line" | cut -d'|' -f9)" 0.0883883476483184 1e-12 "summary: std"
line=$(printf '%s\n' "$out" | grep '^sweep|sard|train.nu=1;cost.beta_scale=1|test|clean|risk|')
is "$(echo "$line" | cut -d'|' -f7-9)" "2|0.5|0.0" "summary: failed run left out (n 2, std 0)"
is "$(printf '%s\n' "$out" | head -n 1 | cut -d'|' -f3)" "train.nu=0.5;cost.beta_scale=0.5" "summary: sweep order"
out=$(sq ".read $Q/summary.sql" 2>&1)
is "$out" "other|mt||test|clean|risk|1|0.75|" "summary without :experiment: the latest experiment, std NULL for n 1"
fi

# per-parameter filtering through v_run_metrics
out=$(sq "SELECT count(DISTINCT run_id), avg(value) FROM v_run_metrics WHERE key = 'train.nu' AND value_num = 1
          AND split = 'test' AND attack = 'clean' AND metric = 'risk'")
is "$out" "4|0.296875" "v_run_metrics: WHERE key = 'train.nu' AND value_num = 1"

# devices: runs 1-3 on the CPU, 4-9 on a GPU (9 failed there), 10 unknown
# (as a run recorded before schema version 2)
sq "UPDATE runs SET device = 'cpu', device_name = 'AMD EPYC 9654', seconds = 2 WHERE id <= 3;
    UPDATE runs SET device = 'cuda:0', device_name = 'NVIDIA H200', cuda_driver = '12.8',
        cuda_runtime = '13.0', cudnn = '9.19.0', seconds = 0.5 WHERE id BETWEEN 4 AND 9;"
out=$(sq < "$Q/runs_by_device.sql")
is "$out" "sweep|sard|cpu|AMD EPYC 9654||||3|0|2.0
sweep|sard|cuda:0|NVIDIA H200|12.8|13.0|9.19.0|5|1|0.5
other|mt||||||1|0|" "runs_by_device: runs done and failed, and mean seconds, per device"
out=$(sq "SELECT DISTINCT devices FROM v_summary WHERE experiment = 'sweep' AND params LIKE 'train.nu=1;%'")
is "$out" "cuda:0" "v_summary: devices of settings run on the GPU only"
out=$(sq "SELECT devices IN ('cpu,cuda:0', 'cuda:0,cpu') FROM v_summary WHERE experiment = 'sweep'
          AND params = 'train.nu=0.5;cost.beta_scale=1' AND split = 'test' AND attack = 'clean' AND metric = 'risk'")
is "$out" "1" "v_summary: a mean over runs on two devices lists both"
out=$(sq "SELECT device || '|' || device_name FROM v_metrics WHERE run_id = 1 AND metric = 'risk' AND split = 'test'
          AND attack = 'clean'")
is "$out" "cpu|AMD EPYC 9654" "v_metrics: the run's device"

# every query file states its question and runs without error on an empty database
"$SQLITE3" -batch "$T_TMP/empty.db" < "$top_srcdir/results/schema.sql"
for f in "$Q"/*.sql; do
    head -n 1 "$f" | grep -q '^-- Question: ' && "$SQLITE3" -batch "$T_TMP/empty.db" < "$f" >/dev/null
    ok $? "$(basename "$f"): header and runs on an empty database"
done
done_testing
