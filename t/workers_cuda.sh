#!/bin/sh
# `l2d run --jobs/--devices` forks its workers: CUDA initialised in the
# parent before the fork is unusable in every child ("initialization
# error", seen on a 2-GPU machine before device names were checked without
# asking the runtime). A spy preloaded in front of libcudart logs which
# processes ask CUDA anything: the parent must not be one of them.
. "$top_srcdir/t/lib.sh"
spy=$top_builddir/t/plugins/.libs/cuda-spy.so
[ -f "$spy" ] || skip_all "no CUDA backend (the spy needs libcudart)"
plan 3
mk_tmp
log=$T_TMP/spy.log
# the libtool wrapper execs the real l2d: $! is its pid
L2D_SPY_LOG=$log LD_PRELOAD=$spy ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$L2D" run "$top_srcdir/experiments/quickstart.ini" --db "$T_TMP/w.db" --devices 0,1 --quiet \
    --set train.epochs=1 --set agent.model.epochs=1 >"$T_TMP/out" 2>&1 &
pid=$!
wait $pid
[ -s "$log" ]; ok $? "the workers asked CUDA about their devices (the spy works)"
is "$(awk -v p="$pid" '$1 == p' "$log" | head -n 3)" "" "the parent (pid $pid) asked CUDA nothing before forking"
is "$(cut -d' ' -f1 "$log" | sort -u | wc -l | tr -d ' ')" 2 "two workers, each asking for itself"
done_testing
