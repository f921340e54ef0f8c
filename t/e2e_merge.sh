#!/bin/sh
# --shard i/N and l2d merge: every cell in exactly one shard for any N;
# shards merged equal a single-process run value for value; merging again
# changes nothing; a finished run wins over a failed one, in either order;
# databases of different experiments stay apart (each under its name); a
# merge that fails half way leaves OUT as it was (one transaction).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
plan 18
mk_tmp
have_sql || skip_all "no sqlite3 shell"
cfg=$E2E/sweep.ini
q="--set agent.model.epochs=1 --set train.epochs=2 --set experiment.seeds=0,1,2"
ids() { "$L2D" run "$cfg" $q --db "$T_TMP/none.db" --dry-run "$@" 2>&1 | sed -n 's/^\[cell [0-9]*\/[0-9]*\] \(.*\): to run$/\1/p'; }
ids | sort >"$T_TMP/all"
is "$(wc -l <"$T_TMP/all" | tr -d ' ')" "12" "12 cells"
bad=""
for n in 1 2 3 5 7 12 13; do
    : >"$T_TMP/union"
    i=0
    while [ "$i" -lt "$n" ]; do
        ids --shard "$i/$n" >>"$T_TMP/union"
        i=$((i + 1))
    done
    sort "$T_TMP/union" | cmp -s - "$T_TMP/all" || bad="$bad $n"
done
is "$bad" "" "for N in 1 2 3 5 7 12 13: the N shards hold every cell exactly once"

"$L2D" run -q "$cfg" $q --db "$T_TMP/one.db"
ok $? "one process: 12 cells"
for i in 0 1 2; do "$L2D" run -q "$cfg" $q --shard "$i/3" --db "$T_TMP/s$i.db" || echo "shard $i failed"; done
is "$(for i in 0 1 2; do sql "$T_TMP/s$i.db" "SELECT count(*) FROM runs"; done | tr '\n' ' ')" "4 4 4 " "3 shards of 4"
"$L2D" merge "$T_TMP/m.db" "$T_TMP/s0.db" "$T_TMP/s1.db" "$T_TMP/s2.db" 2>"$T_TMP/err"
ok $? "l2d merge of the 3 shards"
like "$(cat "$T_TMP/err")" "12 runs copied, 0 already there" "12 runs copied"
dump_metrics "$T_TMP/one.db" >"$T_TMP/d1"
dump_metrics "$T_TMP/m.db" >"$T_TMP/dm"
cmp -s "$T_TMP/d1" "$T_TMP/dm"
ok $? "merged metrics, curves and runs equal the single-process run's, value for value"
summ() { sql "$1" "SELECT method, params, split, attack, metric, n, quote(mean), quote(var) FROM v_summary ORDER BY 1, 2, 3, 4, 5"; }
is "$(summ "$T_TMP/m.db")" "$(summ "$T_TMP/one.db")" "v_summary of the merge equals the single run's (n = 3 seeds each)"
everything() {
    sql "$1" "SELECT * FROM experiments ORDER BY id; SELECT * FROM experiment_plugins ORDER BY 1, 2, 3;
              SELECT * FROM runs ORDER BY id; SELECT * FROM experiment_runs ORDER BY 1, 3;
              SELECT count(*), sum(value) FROM metrics; SELECT count(*) FROM epochs; SELECT count(*) FROM run_params"
}
everything "$T_TMP/m.db" >"$T_TMP/before"
"$L2D" merge "$T_TMP/m.db" "$T_TMP/s2.db" "$T_TMP/s0.db" "$T_TMP/s1.db" "$T_TMP/one.db" 2>"$T_TMP/err"
like "$(cat "$T_TMP/err")" "0 runs copied, 24 already there" "merging again (and the single run too): nothing copied"
everything "$T_TMP/m.db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "merging again changes nothing"

# a failed run and a done one of the same cell: the done one wins, in either order
cp "$T_TMP/s0.db" "$T_TMP/f.db"
sql "$T_TMP/f.db" "PRAGMA foreign_keys = ON; UPDATE runs SET status = 'failed', error = 'boom' WHERE id = 1;
                   DELETE FROM metrics WHERE run_id = 1" >/dev/null
"$L2D" merge -q "$T_TMP/fd.db" "$T_TMP/f.db" "$T_TMP/s0.db"
"$L2D" merge -q "$T_TMP/df.db" "$T_TMP/s0.db" "$T_TMP/f.db"
is "$(sql "$T_TMP/fd.db" "SELECT count(*), sum(status = 'done') FROM runs")|$(sql "$T_TMP/df.db" "SELECT count(*), sum(status = 'done') FROM runs")" \
    "4|4|4|4" "failed then done, done then failed: 4 runs, all done"
dump_metrics "$T_TMP/s0.db" >"$T_TMP/ds0"
dump_metrics "$T_TMP/fd.db" >"$T_TMP/dfd"
cmp -s "$T_TMP/ds0" "$T_TMP/dfd"
ok $? "and the done run's values are the ones kept"
"$L2D" merge -q "$T_TMP/ff.db" "$T_TMP/f.db"
is "$(sql "$T_TMP/ff.db" "SELECT status || ':' || error FROM runs WHERE status = 'failed'")" "failed:boom" \
    "a failed run is copied where there is nothing else"

# different experiments stay apart
"$L2D" run -q "$cfg" $q --set experiment.name=other --shard 0/3 --db "$T_TMP/o.db"
"$L2D" merge -q "$T_TMP/m.db" "$T_TMP/o.db"
is "$(sql "$T_TMP/m.db" "SELECT e.name || ':' || count(*) FROM runs r JOIN experiments e ON e.id = r.experiment_id
                          GROUP BY e.name ORDER BY e.name" | tr '\n' ' ')" "e2e-sweep:12 other:4 " \
    "another experiment's runs (same settings) stay under its own name"

# one transaction: a merge that fails half way leaves OUT as it was
everything "$T_TMP/m.db" >"$T_TMP/before"
echo "not a database" >"$T_TMP/junk.db"
cp "$T_TMP/s0.db" "$T_TMP/t.db"
sql "$T_TMP/t.db" "UPDATE experiments SET config_hash = 'ffffffffffffffff'" >/dev/null
"$L2D" merge "$T_TMP/m.db" "$T_TMP/t.db" "$T_TMP/junk.db" 2>"$T_TMP/err"
is "$?" "1" "a merge with a bad input fails"
like "$(cat "$T_TMP/err")" "junk.db" "naming the input"
everything "$T_TMP/m.db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "OUT is as it was (the good input's new experiment is not there either)"
"$L2D" merge "$T_TMP/m.db" 2>/dev/null
is "$?" "2" "l2d merge OUT alone: usage error"
done_testing
