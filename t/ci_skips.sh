#!/bin/sh
# .ci/check-skips: CI fails when a test skips that should run there; only
# the reasons of .ci/allowed-skips (no GPU, no Slurm) pass.
. "$top_srcdir/t/lib.sh"
plan 6
mk_tmp
C=$top_srcdir/.ci/check-skips
mkdir -p "$T_TMP/b/t"
printf '1..2\nok 1 - fine\nok 2 # SKIP no CUDA device\n' >"$T_TMP/b/t/gpu.log"
printf '1..0 # SKIP no CUDA device\n' >"$T_TMP/b/t/all.log"
"$C" "$T_TMP/b" 2>"$T_TMP/err"
ok $? "GPU skips only: passes"
printf '1..2\nok 1 # SKIP no sqlite3 shell\nok 2 - x\n' >"$T_TMP/b/t/sql.log"
"$C" "$T_TMP/b" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "a skip that is not allowed: fails"
like "$(cat "$T_TMP/err")" "t/sql.log: SKIP no sqlite3 shell" "it names the log and the reason"
rm "$T_TMP/b/t/sql.log"
printf '1..0 # SKIP no C compiler (cc)\n' >"$T_TMP/b/t/cc.log"
"$C" "$T_TMP/b" 2>"$T_TMP/err"; rc=$?
is "$rc" 1 "a whole test skipped for a reason not allowed: fails"
printf 'no CUDA device\nno C compiler\n' >"$T_TMP/allow"
"$C" "$T_TMP/b" "$T_TMP/allow" 2>"$T_TMP/err"
ok $? "an allow-list given on the command line is used"
"$C" "$T_TMP/nowhere" 2>/dev/null; rc=$?
is "$rc" 2 "no logs at all: an error"
done_testing
