#!/bin/sh
# The unit tests of the code with more than one CPU path, once per forced
# path (L2D_CPU_PATH, engine.h): a plain `make check` runs them on auto
# only, so on an AVX2 machine it never runs the scalar PGD step, and a
# small model's backward never takes GEMM. One TAP line per path and
# binary; a failing binary's failures follow as comments. Also: the l2d
# command refuses a bad L2D_CPU_PATH in one line.
. "$top_srcdir/t/lib.sh"

paths="scalar avx2 gemm small"
bins="test_mlp test_mlp_threads test_train test_metrics test_pgd test_objectives test_smooth_adv test_network"
nb=$(echo $bins | wc -w)
np=$(echo $paths | wc -w)
plan $((np * nb + 5))
mk_tmp

# What the CPU runs, asked of the library itself: l2d refuses a path this
# CPU cannot take, saying what it lacks; any other refusal is a failure
# below, not a skip.
lacks() { L2D_CPU_PATH=$1 "$L2D" plugins 2>&1 >/dev/null | grep -q 'which this CPU lacks'; }

for p in $paths; do
    why=
    if lacks "$p"; then
        case $p in small) why="no AVX2 and FMA" ;; *) why="no AVX2" ;; esac
    fi
    for b in $bins; do
        T_N=$((T_N + 1))
        if [ -n "$why" ]; then
            echo "ok $T_N # SKIP $why (L2D_CPU_PATH=$p t/$b)"
            continue
        fi
        out=$T_TMP/$p-$b.out
        L2D_CPU_PATH=$p "$top_builddir/t/$b" >"$out" 2>&1
        rc=$?
        planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out" | head -n 1)
        ran=$(grep -c -E '^(not )?ok ' "$out")
        failed=$(grep -c '^not ok ' "$out")
        skipped=$(grep -c -E '^ok [0-9]+ # SKIP' "$out")
        if [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ -n "$planned" ] && [ "$ran" -eq "$planned" ]; then
            echo "ok $T_N - L2D_CPU_PATH=$p t/$b: $ran tests, $skipped skipped"
        else
            echo "not ok $T_N - L2D_CPU_PATH=$p t/$b: exit $rc, $failed of $ran failed (plan ${planned:-none})"
            grep -E '^not ok |^# ' "$out" | head -n 20 | sed 's/^/#   /'
            T_FAIL=$((T_FAIL + 1))
        fi
    done
done

err=$(L2D_CPU_PATH=bogus "$L2D" plugins 2>&1 >/dev/null); rc=$?
is "$rc" 2 "l2d refuses L2D_CPU_PATH=bogus (exit 2)"
like "$err" "^l2d: L2D_CPU_PATH 'bogus' is not one of auto, scalar, avx2, gemm, small$" \
    "in one line naming the variable, the value and the choices"
is "$(printf '%s\n' "$err" | wc -l)" 1 "one line only"
L2D_CPU_PATH= "$L2D" plugins >/dev/null 2>&1
ok $? "an empty L2D_CPU_PATH is auto"
L2D_CPU_PATH=scalar "$L2D" plugins >/dev/null 2>&1
ok $? "L2D_CPU_PATH=scalar is taken"
done_testing
