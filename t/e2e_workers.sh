#!/bin/sh
# Several processes on one database (claims): three `l2d run` of one
# configuration at once train each cell once and all exit 0; a worker killed
# with SIGKILL in the middle of a cell leaves a claim that the next run takes
# over (its process is gone); a live claim of another host is waited for
# until it lapses; --jobs K starts K workers; --devices gives worker k device
# k % n.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
plan 24
mk_tmp
cfg=$E2E/long.ini
q="--set train.epochs=15"
have_sql || skip_all "no sqlite3 shell"

# three at once
db=$T_TMP/a.db
for k in 0 1 2; do
    "$L2D" run "$cfg" --db "$db" $q 2>"$T_TMP/err$k" &
    eval "p$k=\$!"
done
rcs=""
for k in 0 1 2; do
    eval "wait \$p$k"
    rcs="$rcs$?"
done
is "$rcs" "000" "three workers at once: each exits 0"
ran=0
for k in 0 1 2; do
    n=$(sed -n 's/^l2d run: \([0-9]*\) ran, .*/\1/p' "$T_TMP/err$k")
    ran=$((ran + ${n:-100}))
done
is "$ran" "6" "together they trained 6 cells, each once"
is "$(sql "$db" "SELECT count(*), count(DISTINCT cell_key), sum(status = 'done') FROM runs")" "6|6|6" \
    "6 runs, 6 identities, all done"
is "$(sql "$db" "SELECT count(*) FROM claims")" "0" "no claim left"
dump_metrics "$db" >"$T_TMP/three"

# one process, for comparison: the same numbers
"$L2D" run -q "$cfg" --db "$T_TMP/one.db" $q
dump_metrics "$T_TMP/one.db" >"$T_TMP/one"
cmp -s "$T_TMP/three" "$T_TMP/one"
ok $? "three workers' metrics equal one process's, value for value"

# SIGKILL in the middle of a cell
db=$T_TMP/k.db
slow="--set train.epochs=150" # cells of about half a second: time to kill one mid-cell
"$L2D" run "$cfg" --db "$db" $slow 2>"$T_TMP/errk" &
pid=$!
i=0
while [ "$(sql "$db" "SELECT count(*) FROM runs" 2>/dev/null)" != "1" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 3000 ]; do
    sleep 0.02
    i=$((i + 1))
done
# the second cell has just been claimed
i=0
while [ "$(sql "$db" "SELECT count(*) FROM claims" 2>/dev/null)" != "1" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 3000 ]; do
    sleep 0.02
    i=$((i + 1))
done
kill -KILL "$pid"
ok $? "SIGKILL while a cell trains"
wait "$pid" 2>/dev/null
ndone=$(sql "$db" "SELECT count(*) FROM runs")
is "$(sql "$db" "SELECT count(*) FROM claims")" "1" "the killed worker's claim is left behind ($ndone runs done)"
"$L2D" run "$cfg" --db "$db" $slow 2>"$T_TMP/errk2"
ok $? "a rerun exits 0"
like "$(tail -n 1 "$T_TMP/errk2")" "^l2d run: $((6 - ndone)) ran, $ndone already done;" \
    "it took over the dead claim and ran the rest"
is "$(sql "$db" "SELECT count(*), count(DISTINCT cell_key), sum(status = 'done') FROM runs")|$(sql "$db" "SELECT count(*) FROM claims")" \
    "6|6|6|0" "6 cells, each done once; no claim left"

# a live claim of another host is waited for until it lapses
db=$T_TMP/l.db
"$L2D" run -q "$cfg" --db "$db" $q --set experiment.seeds=0 --set sweep.train.nu=0.5
key=$(sql "$db" "SELECT cell_key FROM runs")
sql "$db" "PRAGMA foreign_keys = ON; DELETE FROM runs"
now=$(date +%s)
sql "$db" "INSERT INTO claims VALUES ('e2e-long', '$key', 'elsewhere:1:1', 'elsewhere', 1, $now, $now + 2)"
start=$(date +%s)
"$L2D" run "$cfg" --db "$db" $q --set experiment.seeds=0 --set sweep.train.nu=0.5,1 2>"$T_TMP/errl"
ok $? "a cell claimed elsewhere: the run still exits 0"
took=$(( $(date +%s) - start ))
ok "$([ "$took" -ge 1 ]; echo $?)" "it waited for the claim to lapse (${took}s)"
like "$(cat "$T_TMP/errl")" "waiting for 1 cells other workers train" "and said so"
is "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'done'")|$(sql "$db" "SELECT count(*) FROM claims")" "2|0" \
    "then trained it: 2 runs, no claim"

# --jobs
db=$T_TMP/j.db
"$L2D" run "$cfg" --db "$db" $q --jobs 2 2>"$T_TMP/errj"
ok $? "--jobs 2 exits 0"
is "$(grep -c '^\[w[01]\] l2d run: [0-9]* ran' "$T_TMP/errj")" "2" "two workers reported"
is "$(sql "$db" "SELECT count(*), count(DISTINCT cell_key) FROM runs")" "6|6" "6 cells, each once"
dump_metrics "$db" >"$T_TMP/jobs"
cmp -s "$T_TMP/jobs" "$T_TMP/one"
ok $? "--jobs 2's metrics equal one process's, value for value"

# --devices: worker k gets device k % n (plumbing: a dry run, no GPU needed)
"$L2D" run "$cfg" --db "$db" --jobs 3 --devices 0,1 --dry-run 2>"$T_TMP/errd"
ok $? "--jobs 3 --devices 0,1 --dry-run"
is "$(grep '^l2d run: worker' "$T_TMP/errd")" "l2d run: worker 0: --device cuda:0
l2d run: worker 1: --device cuda:1
l2d run: worker 2: --device cuda:0" "worker k gets device list[k % n]"
"$L2D" run "$cfg" --db "$db" --devices cuda:2,cpu --dry-run 2>"$T_TMP/errd"
is "$(grep -c '^l2d run: worker' "$T_TMP/errd")" "2" "--devices alone: one worker per device"
"$L2D" run "$cfg" --db "$db" --devices 0,gpu --dry-run 2>"$T_TMP/errd"
is "$?" "2" "--devices with a bad name: usage error"
"$L2D" run "$cfg" --db "$db" --jobs 3 --set train.lr=-1 2>"$T_TMP/errd"
is "$?|$(grep -c 'train.lr' "$T_TMP/errd")" "2|1" "--jobs 3 with a bad value: refused once, before any worker (exit 2)"
"$L2D" run "$cfg" --db "$db" --jobs 0 --dry-run 2>"$T_TMP/errd"
is "$?" "2" "--jobs 0: usage error"
done_testing
