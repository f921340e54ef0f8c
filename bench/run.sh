#!/bin/sh
# bench/run.sh: one SARD epoch on the California Housing shape, l2d against
# PyTorch, both pinned to the same CPUs with the same thread count.
# Prints both medians (seconds per epoch) and the ratio PyTorch / l2d, and
# writes the same to bench/results-<host>.txt (RESULTS=path to change it).
#
#   bench/run.sh                        from a build tree (after `make`)
#   L2D_BENCH_BUNDLE=bench/bundle bench/run.sh
#                                       from what bench/pack.sh gathered
#                                       (a machine without the build deps)
# Environment: CPUS (default 0,1), THREADS (default 2), EPOCHS (default 7),
# PYTHON (default python3), CHECK=0 to skip the same-numbers check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
CPUS=${CPUS:-0,1}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-7}
PYTHON=${PYTHON:-python3}
CHECK=${CHECK:-1}
host=$(hostname 2>/dev/null || echo host)
RESULTS=${RESULTS:-$here/results-$host.txt}

if [ -n "${L2D_BENCH_BUNDLE:-}" ]; then
    b=$(cd "$L2D_BENCH_BUNDLE" && pwd)
    bin=$b/sard_epoch
    plugins=$b/plugins
    LD_LIBRARY_PATH=$b/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ -x "$top/bench/.libs/sard_epoch" ]; then
    bin=$top/bench/.libs/sard_epoch
    plugins=$top/plugins/.libs
    LD_LIBRARY_PATH=$top/framework/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
else
    bin=$top/bench/sard_epoch
    plugins=$top/plugins/.libs
fi
export LD_LIBRARY_PATH
[ -x "$bin" ] || { echo "run.sh: no $bin: run make (or bench/pack.sh) first" >&2; exit 1; }
# one thread count everywhere: OpenBLAS (l2d's GEMMs), OpenMP/MKL (PyTorch)
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin="taskset -c $CPUS"

val() { sed -n "s/^$1 = //p" "$2" | head -n 1; }

{
    echo "# bench/run.sh on $host, $(date -u '+%Y-%m-%d %H:%M UTC'), CPUs $CPUS, $THREADS threads"
    grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
} >"$tmp/head"

if [ "$CHECK" != 0 ]; then
    # same data, same initial parameters, one batch: the first epoch's loss
    # is a function of those alone, so the two must agree
    $pin "$bin" --plugin-path "$plugins" --threads "$THREADS" --rows 2048 --batch 2048 \
        --epochs 2 --dump "$tmp/check.bin" >"$tmp/check_l2d"
    $pin "$PYTHON" "$here/sard_epoch.py" --threads "$THREADS" --batch 2048 --epochs 2 \
        --load "$tmp/check.bin" >"$tmp/check_py"
    a=$(sed -n 's/^epoch 1: train_loss = \([^,]*\),.*/\1/p' "$tmp/check_l2d")
    p=$(sed -n 's/^epoch 1: train_loss = \([^,]*\),.*/\1/p' "$tmp/check_py")
    a2=$(sed -n 's/^epoch 2: train_loss = \([^,]*\),.*/\1/p' "$tmp/check_l2d")
    p2=$(sed -n 's/^epoch 2: train_loss = \([^,]*\),.*/\1/p' "$tmp/check_py")
    echo "check (2048 rows, one batch, same data and init): first-epoch loss l2d $a, pytorch $p;" \
        "after one Adam step l2d $a2, pytorch $p2" >>"$tmp/head"
    "$PYTHON" - "$a" "$p" <<'PY' || { cat "$tmp/head"; echo "run.sh: l2d and PyTorch disagree" >&2; exit 1; }
import sys
a, p = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(a - p) <= 1e-4 * max(abs(a), abs(p)) else 1)
PY
fi

$pin "$bin" --plugin-path "$plugins" --threads "$THREADS" --epochs "$EPOCHS" >"$tmp/l2d"
$pin "$PYTHON" "$here/sard_epoch.py" --threads "$THREADS" --epochs "$EPOCHS" >"$tmp/py"
tl=$(val epoch_seconds_median "$tmp/l2d")
tp=$(val epoch_seconds_median "$tmp/py")
ratio=$("$PYTHON" -c "import sys; print('%.2f' % (float(sys.argv[2]) / float(sys.argv[1])))" "$tl" "$tp")
{
    cat "$tmp/head"
    echo "shape: $(val shape "$tmp/l2d")"
    echo "l2d rejector passes per epoch: $(val passes_per_epoch "$tmp/l2d") (n (1 + A (T + 1)) = $(val passes_expected "$tmp/l2d"))"
    echo "l2d     ($(val impl "$tmp/l2d")): median $tl s per epoch (min $(val epoch_seconds_min "$tmp/l2d"), process CPU $(val epoch_cpu_seconds_median "$tmp/l2d"))"
    echo "pytorch ($(val impl "$tmp/py" | sed 's/^pytorch //')): median $tp s per epoch (min $(val epoch_seconds_min "$tmp/py"), process CPU $(val epoch_cpu_seconds_median "$tmp/py"))"
    echo "ratio pytorch / l2d (median wall seconds per epoch) = $ratio"
} | tee "$RESULTS"
