#!/bin/sh
# A run whose training blows up (t/data/e2e/blowup.ini: nu = 0 with lr 1000
# overflows exp() in epoch 1) is recorded as failed, with the epoch and
# batch; the runs around it finish; a rerun retries only the failed cell.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 17
cfg=$E2E/blowup.ini
db=$T_TMP/a.db

"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err"
is "$?" "1" "a failed run makes the exit status 1"
like "$(grep 'train.lr=1000;' "$T_TMP/err")" \
    '^\[run 2/3\] train\.lr=1000;seed=0: FAILED: epoch 1, batch [0-9]+: ce: non-finite loss' \
    "progress names the failed cell, its epoch and batch"
is "$(grep -c ': done (' "$T_TMP/err")" "2" "the two other cells finish"
like "$(tail -n 1 "$T_TMP/err")" \
    '^l2d run: 1 of 3 runs failed; first: train\.lr=1000;seed=0: epoch 1, batch [0-9]+: ' \
    "the closing line says which run failed and why"

if ! have_sql; then
    skip 13 "no sqlite3 shell"
    done_testing
fi
is "$(sql "$db" "SELECT cell_id || ':' || status FROM runs ORDER BY id" | tr '\n' ' ')" \
    "train.lr=0.01;seed=0:done train.lr=1000;seed=0:failed train.lr=0.02;seed=0:done " \
    "runs: done, failed, done"
like "$(sql "$db" "SELECT error FROM runs WHERE status = 'failed'")" \
    '^epoch 1, batch [0-9]+: ce: non-finite loss at sample [0-9]+ \(nu = 0\)' \
    "the failed run's error names the epoch, the batch and the cause"
is "$(sql "$db" "SELECT quote(best_epoch), quote(rejector_passes), finished_at >= started_at FROM runs WHERE status = 'failed'")" \
    "NULL|NULL|1" "failed run: no kept epoch, no pass count, times recorded"
is "$(sql "$db" "SELECT (SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.status = 'failed'),
                        (SELECT count(*) FROM agent_metrics m JOIN runs r ON r.id = m.run_id WHERE r.status = 'failed'),
                        (SELECT count(*) FROM epochs m JOIN runs r ON r.id = m.run_id WHERE r.status = 'failed')")" \
    "0|0|0" "failed run: no metrics, no agent metrics, no complete epoch"
n_metrics=$(sql "$db" "SELECT count(*) FROM metrics WHERE run_id = 1")
is "$(sql "$db" "SELECT count(*) FROM runs r WHERE status = 'done'
                  AND (SELECT count(*) FROM metrics WHERE run_id = r.id) = $n_metrics
                  AND (SELECT count(*) FROM agent_metrics WHERE run_id = r.id) = 18
                  AND (SELECT count(*) FROM epochs WHERE run_id = r.id) = 3
                  AND best_epoch BETWEEN 1 AND 3 AND rejector_passes = 3 * 210")" "2" \
    "the done runs are complete: metrics, 18 agent metrics (3 agents x 6), 3 epochs"
ok "$([ "$n_metrics" -ge 30 ]; echo $?)" "done runs have their metrics ($n_metrics)"
is "$(sql "$db" "SELECT count(*) FROM v_summary WHERE params = 'train.lr=1000'")" "0" \
    "summaries leave the failed run out"

# rerun: the done cells are skipped, the failed one is tried again (and
# fails again: it is deterministic), replacing its record
sql "$db" "SELECT id || ':' || quote(started_at) FROM runs ORDER BY id" >"$T_TMP/t0"
dump_metrics "$db" | grep -v 'lr=1000' >"$T_TMP/m0"
t_failed=$(sql "$db" "SELECT quote(started_at) FROM runs WHERE status = 'failed'")
"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err"
is "$?" "1" "rerun: exit status 1 again"
is "$(grep -c ': already done, skipped$' "$T_TMP/err")|$(grep -c ': FAILED: ' "$T_TMP/err")" "2|1" \
    "rerun skips the 2 done cells and retries the failed one"
is "$(sql "$db" "SELECT count(*), sum(status = 'failed') FROM runs")" "3|1" \
    "still 3 runs: the failed record was replaced, not added"
sql "$db" "SELECT id || ':' || quote(started_at) FROM runs ORDER BY id" >"$T_TMP/t1"
is "$(grep -c -x -F -f "$T_TMP/t0" "$T_TMP/t1")" "2" "the done runs keep their records (id, start time)"
is "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'failed' AND started_at > $t_failed")" \
    "1" "the failed cell ran again (a later start time)"
dump_metrics "$db" | grep -v 'lr=1000' >"$T_TMP/m1"
cmp -s "$T_TMP/m0" "$T_TMP/m1"
ok $? "the done runs' numbers are untouched"
done_testing
