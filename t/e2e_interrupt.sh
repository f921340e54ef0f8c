#!/bin/sh
# SIGINT in the middle of a sweep (t/data/e2e/long.ini: 6 cells of a few
# tenths of a second): the finished runs stay, the interrupted one is
# absent or recorded failed with 'interrupted', the exit status is 130
# (128 + SIGINT), and a rerun finishes the rest. SIGTERM: the same, 143;
# with --jobs, the parent passes the signal on and exits 130 too; a Ctrl-C
# on a terminal (the signal to the whole process group, which the parent
# passes on as well) stops each worker's run cleanly, not at once.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 22
cfg=$E2E/long.ini
db=$T_TMP/a.db

"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err" &
pid=$!
# wait for the first finished run (stderr is not a terminal: one line per
# event, flushed), 60 s at most
i=0
while ! grep -q ': done (' "$T_TMP/err" && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 3000 ]; do
    sleep 0.02
    i=$((i + 1))
done
kill -INT "$pid"
ok $? "SIGINT sent after the first run finished, while l2d was still running"
wait "$pid"
rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "interrupted: exit status not 0 (got $rc)"
is "$rc" "130" "exit status 130 (128 + SIGINT)"
like "$(tail -n 1 "$T_TMP/err")" "interrupted" "the last line says it was interrupted"
ndone=$(grep -c ': done (' "$T_TMP/err")
ok "$([ "$ndone" -ge 1 ] && [ "$ndone" -lt 6 ]; echo $?)" "some but not all cells finished ($ndone of 6)"

if have_sql; then
    is "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'done'")" "$ndone" \
        "the database holds the $ndone finished runs"
    n_metrics=$(sql "$db" "SELECT count(*) FROM metrics WHERE run_id = 1")
    is "$(sql "$db" "SELECT count(*) FROM runs r WHERE status = 'done'
                      AND (SELECT count(*) FROM epochs WHERE run_id = r.id) = 40
                      AND (SELECT count(*) FROM metrics WHERE run_id = r.id) = $n_metrics
                      AND (SELECT count(*) FROM agent_metrics WHERE run_id = r.id) = 18")" "$ndone" \
        "each finished run is complete: 40 epochs, metrics ($n_metrics), agent metrics"
    is "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'failed' AND error NOT LIKE '%interrupted%'")|$(sql "$db" "SELECT count(*) <= 1 FROM runs WHERE status = 'failed'")" \
        "0|1" "the interrupted run is absent or recorded failed with 'interrupted'"
    is "$(sql "$db" "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.status = 'failed'")" "0" \
        "no metrics for the interrupted run"
    # stopped in training ("training interrupted at epoch E, batch B"), it
    # keeps the E - 1 epochs it completed
    is "$(sql "$db" "SELECT count(*) FROM runs r WHERE status = 'failed' AND error LIKE 'training interrupted at epoch %'
                      AND (SELECT count(*) FROM epochs WHERE run_id = r.id)
                          <> CAST(substr(error, 31, instr(error, ',') - 31) AS INTEGER) - 1")" "0" \
        "an interrupted run keeps the curve of its completed epochs"
    is "$(sql "$db" "SELECT group_concat(cell_id, ' ') FROM (SELECT cell_id FROM runs ORDER BY id)")" \
        "$(printf 'train.nu=%s;seed=0\n' 0.5 0.75 1 1.25 1.5 2 | head -n "$(sql "$db" "SELECT count(*) FROM runs")" | paste -s -d ' ' -)" \
        "the runs recorded are the first cells, in order"
else
    skip 6 "no sqlite3 shell"
fi

# stop SIG DB [OPTION...]: l2d run of $cfg into DB, sent SIG once a run has
# finished; sets rc (its exit status) and sent (0: the signal was sent while
# l2d still ran); its stderr in $T_TMP/err.DB's name
stop() {
    _sig=$1 _db=$2
    shift 2
    "$L2D" run "$cfg" --db "$_db" "$@" 2>"$T_TMP/err.${_db##*/}" &
    _pid=$!
    _i=0
    while ! grep -q ': done (' "$T_TMP/err.${_db##*/}" && kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 3000 ]; do
        sleep 0.02
        _i=$((_i + 1))
    done
    kill -"$_sig" "$_pid"
    sent=$?
    wait "$_pid"
    rc=$?
}
stop TERM "$T_TMP/t.db"
is "$sent|$rc" "0|143" "SIGTERM while running: exit status 143 (128 + SIGTERM)"
like "$(tail -n 1 "$T_TMP/err.t.db")" "interrupted" "SIGTERM: the last line says the run was interrupted"
nt=$(grep -c ': done (' "$T_TMP/err.t.db")
ok "$([ "$nt" -ge 1 ] && [ "$nt" -lt 6 ]; echo $?)" "SIGTERM: some but not all cells finished ($nt of 6)"
if have_sql; then
    is "$(sql "$T_TMP/t.db" "SELECT count(*) FROM runs WHERE status = 'done'")|$(sql "$T_TMP/t.db" "SELECT count(*) FROM claims")" \
        "$nt|0" "SIGTERM: the $nt finished runs are recorded, no claim is left"
else
    skip 1 "no sqlite3 shell"
fi
stop INT "$T_TMP/j.db" --jobs 2
is "$sent|$rc" "0|130" "--jobs 2, SIGINT to l2d: passed on to the workers, exit status 130"
like "$(grep -c '^\[w[01]\] l2d run: .*interrupted' "$T_TMP/err.j.db")" "^[12]$" "--jobs 2: a worker says it was interrupted"
stop TERM "$T_TMP/k.db" --jobs 2
is "$sent|$rc" "0|143" "--jobs 2, SIGTERM to l2d: exit status 143"
if command -v setsid >/dev/null 2>&1; then
    # a process group of its own, as a terminal's foreground job
    setsid -w sh -c 'echo $$ >"$1"; exec "$2" run "$3" --db "$4" --jobs 2' sh \
        "$T_TMP/pgid" "$L2D" "$cfg" "$T_TMP/g.db" 2>"$T_TMP/err.g" &
    pid=$!
    i=0
    while ! grep -q ': done (' "$T_TMP/err.g" && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 3000 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    kill -INT "-$(cat "$T_TMP/pgid")"
    wait "$pid"
    rc=$?
    is "$rc|$(grep -c '^\[w[01]\] l2d run: .*interrupted' "$T_TMP/err.g")" "130|2" \
        "--jobs 2, SIGINT to the process group (a terminal's Ctrl-C): each worker stops its run and says so; 130"
else
    skip 1 "no setsid(1)"
fi

# resume: the rest runs, the interrupted cell included
"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err2"
ok $? "rerun after the interrupt exits 0"
is "$(grep -c ': already done, skipped$' "$T_TMP/err2")|$(grep -c ': done (' "$T_TMP/err2")" "$ndone|$((6 - ndone))" \
    "rerun: the finished cells are skipped, the others run"
if have_sql; then
    is "$(sql "$db" "SELECT count(*), sum(status = 'done') FROM runs")" "6|6" "all 6 cells done"
else
    skip 1 "no sqlite3 shell"
fi
done_testing
