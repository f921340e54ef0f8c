#!/bin/sh
# l2d run's options: --dry-run lists the cells and writes nothing; --shard
# I/N splits the cells into disjoint sets whose union is the sweep, with
# the same numbers as one whole run; --help; usage errors exit 2.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 43
cfg=$E2E/sweep.ini
cells="cost.beta_scale=0;train.nu=0.5;seed=0
cost.beta_scale=0;train.nu=0.5;seed=1
cost.beta_scale=0;train.nu=1;seed=0
cost.beta_scale=0;train.nu=1;seed=1
cost.beta_scale=2;train.nu=0.5;seed=0
cost.beta_scale=2;train.nu=0.5;seed=1
cost.beta_scale=2;train.nu=1;seed=0
cost.beta_scale=2;train.nu=1;seed=1"

# --dry-run, from a scratch directory so that the default database
# (results/e2e-sweep.db) would show up there
(cd "$T_TMP" && "$L2D" run "$cfg" --dry-run 2>"$T_TMP/err")
ok $? "--dry-run exits 0"
is "$(head -n 1 "$T_TMP/err")" "l2d run: 8 cells, 8 in this shard" "--dry-run: the plan"
is "$(sed -n 's/^\[cell \([0-9]*\)\/8\] \(.*\): to run$/\1 \2/p' "$T_TMP/err")" "$(echo "$cells" | awk '{print NR " " $0}')" \
    "--dry-run lists the 8 cells in order, each to run"
ok "$(ls -A "$T_TMP" | grep -cv '^err$')" "--dry-run writes no database (nor results/)"
"$L2D" run "$cfg" --dry-run --db "$T_TMP/d.db" --shard 1/2 2>"$T_TMP/err"
is "$(head -n 1 "$T_TMP/err")|$(grep -c '^\[cell [0-9]/4\] .*seed=1: to run$' "$T_TMP/err")" "l2d run: 8 cells, 4 in this shard|4" \
    "--dry-run --shard 1/2: cells 1, 3, 5, 7 (here: the seed 1 cells)"
ok "$([ -e "$T_TMP/d.db" ]; [ $? -ne 0 ]; echo $?)" "--dry-run --db: no database"
# on a terminal too, every cell gets its own line (util-linux script(1)
# gives the command a pseudo-terminal)
if script --version 2>/dev/null | grep -q util-linux; then
    is "$(script -qec "'$L2D' run '$cfg' --dry-run" /dev/null </dev/null | tr -d '\r' | grep -c '^\[cell [1-8]/8\] ')" "8" \
        "--dry-run on a terminal: 8 lines, one per cell"
else
    skip 1 "no util-linux script(1) to make a terminal"
fi

# shards
"$L2D" run "$cfg" --db "$T_TMP/s0.db" --shard 0/2 2>"$T_TMP/e0"
ok $? "--shard 0/2 runs"
"$L2D" run "$cfg" --db "$T_TMP/s1.db" --shard 1/2 2>"$T_TMP/e1"
ok $? "--shard 1/2 runs"
sed -n 's/^\[run [0-9]*\/4\] \(.*\): done (.*/\1/p' "$T_TMP/e0" | sort >"$T_TMP/c0"
sed -n 's/^\[run [0-9]*\/4\] \(.*\): done (.*/\1/p' "$T_TMP/e1" | sort >"$T_TMP/c1"
is "$(wc -l <"$T_TMP/c0" | tr -d ' ')|$(wc -l <"$T_TMP/c1" | tr -d ' ')" "4|4" "4 cells in each shard"
is "$(comm -12 "$T_TMP/c0" "$T_TMP/c1" | wc -l | tr -d ' ')" "0" "the shards are disjoint"
is "$(sort "$T_TMP/c0" "$T_TMP/c1")" "$(echo "$cells" | sort)" "their union is the whole sweep"
is "$(echo "$cells" | awk 'NR % 2 == 1' | sort)" "$(cat "$T_TMP/c0")" "shard 0/2 has cells 0, 2, 4, 6"
if have_sql; then
    is "$(sql "$T_TMP/s0.db" "SELECT cell_id FROM runs ORDER BY cell_id")" "$(cat "$T_TMP/c0")" \
        "shard 0's database holds its 4 cells"
    "$L2D" run -q "$cfg" --db "$T_TMP/all.db"
    dump_metrics "$T_TMP/all.db" | sort >"$T_TMP/m_all"
    { dump_metrics "$T_TMP/s0.db"; dump_metrics "$T_TMP/s1.db"; } | sort >"$T_TMP/m_sh"
    cmp -s "$T_TMP/m_all" "$T_TMP/m_sh"
    ok $? "the shards' numbers are bit-identical to one whole run's ($(wc -l <"$T_TMP/m_all") rows)"
    is "$(sql "$T_TMP/s0.db" "SELECT config_hash FROM experiments")" \
        "$(sql "$T_TMP/all.db" "SELECT config_hash FROM experiments")" "the same experiment (config hash)"
else
    skip 3 "no sqlite3 shell"
fi
# both shards at once into one database (WAL, BEGIN IMMEDIATE): one
# experiment, all 8 runs
"$L2D" run -q "$cfg" --db "$T_TMP/both.db" --shard 0/2 &
pid=$!
"$L2D" run -q "$cfg" --db "$T_TMP/both.db" --shard 1/2
r1=$?
wait "$pid"
is "$?|$r1" "0|0" "two shards writing one database at once both succeed"
if have_sql; then
    is "$(sql "$T_TMP/both.db" "SELECT (SELECT count(*) FROM experiments), count(*), sum(status = 'done') FROM runs")" \
        "1|8|8" "one experiment, 8 done runs"
else
    skip 1 "no sqlite3 shell"
fi
# a shard rerun into a database that holds the other shard too
"$L2D" run "$cfg" --db "$T_TMP/s0.db" --shard 0/2 2>"$T_TMP/err"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 0 ran, 4 already done;" "shard rerun: nothing to do"

# --help and usage errors
out=$("$L2D" run --help)
ok $? "run --help exits 0"
like "$out" "^usage: l2d run CONFIG" "run --help prints the usage on stdout"
like "$out" "--shard I/N" "run --help lists --shard"
usage() { # usage DESCRIPTION REGEX ARGS...: exit 2 and a message matching REGEX
    d=$1 re=$2
    shift 2
    "$L2D" run "$@" 2>"$T_TMP/err" >/dev/null
    is "$?" "2" "$d: exit status 2"
    like "$(cat "$T_TMP/err")" "$re" "$d: message"
}
usage "no config" "which configuration file" 
usage "two configs" "one configuration file at a time" "$cfg" "$cfg"
usage "--shard 2/2" "--shard takes I/N with 0 <= I < N, not '2/2'" "$cfg" --shard 2/2
usage "--shard 0/0" "--shard takes I/N" "$cfg" --shard 0/0
usage "--shard x" "--shard takes I/N" "$cfg" --shard x
usage "--shard 1/2x" "--shard takes I/N" "$cfg" --shard 1/2x
usage "--shard without value" "--shard needs a value" "$cfg" --shard
usage "--db without value" "--db needs a value" "$cfg" --db
usage "--set without value" "--set needs SECTION.KEY=VALUE" "$cfg" --set
usage "unknown option" "unknown option '--frob'" "$cfg" --frob
ok "$(ls "$T_TMP"/*.db | grep -cv '/s0.db$\|/s1.db$\|/all.db$\|/both.db$')" "usage errors write no database"
done_testing
