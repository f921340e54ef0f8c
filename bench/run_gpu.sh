#!/bin/sh
# bench/run_gpu.sh: one SARD epoch (and one clean epoch) on the GPU, PyTorch
# in three variants (eager, torch.compile, CUDA graphs with the |A| attacks
# stacked: bench/sard_epoch.py --variant) and l2d (bench/sard_epoch --device
# cuda) when that binary has a --device option (else l2d is skipped with a
# note). For each mode: checks that every variant's first-epoch loss agrees
# with eager's (same data, initial parameters and batch order), and, when
# l2d runs, that l2d and PyTorch agree on one batch of the same numbers;
# prints each median time per epoch, the ratios, peak GPU memory; writes
# the same to bench/results-gpu-<host>.txt (RESULTS=path to change it).
#
#   bench/run_gpu.sh                       from a build tree (after `make`)
#   L2D_BENCH_BUNDLE=bench/bundle bench/run_gpu.sh
#                                          from what bench/pack.sh gathered
# Environment: DEVICE (default cuda; cpu runs the same script flow on the
# CPU, where the graph variant runs its stacked step without graphs: a check
# of the logic, not a benchmark), MODES (default "sard clean"), VARIANTS
# (default "eager graph compile": compile last, its compilation is what can
# run long), EPOCHS (default 22), WARMUP (epochs not
# counted, default 2), PYTHON (default python3), DUMP (data and initial
# parameters for the PyTorch runs, a `sard_epoch --dump` file; default:
# l2d's own when l2d runs, else sard_epoch.py's seeded data), TIMEOUT
# (seconds for one run, default 300), CHECK=0 to skip the l2d check,
# KEEP=dir to keep every run's raw output there.
# Exit status 1 when a check fails or a run fails; what ran is still printed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
DEVICE=${DEVICE:-cuda}
MODES=${MODES:-sard clean}
VARIANTS=${VARIANTS:-eager graph compile}
EPOCHS=${EPOCHS:-22}
WARMUP=${WARMUP:-2}
PYTHON=${PYTHON:-python3}
TIMEOUT=${TIMEOUT:-300}
CHECK=${CHECK:-1}
DUMP=${DUMP:-}
host=$(hostname 2>/dev/null || echo host)
RESULTS=${RESULTS:-$here/results-gpu-$host.txt}
export PYTHONUNBUFFERED=1

# l2d: the bundle, a libtool build tree, or none
bin= plugins=
if [ -n "${L2D_BENCH_BUNDLE:-}" ]; then
    b=$(cd "$L2D_BENCH_BUNDLE" && pwd)
    bin=$b/sard_epoch
    plugins=$b/plugins
    LD_LIBRARY_PATH=$b/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ -x "$top/bench/.libs/sard_epoch" ]; then
    bin=$top/bench/.libs/sard_epoch
    plugins=$top/plugins/.libs
    LD_LIBRARY_PATH=$top/framework/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ -x "$top/bench/sard_epoch" ]; then
    bin=$top/bench/sard_epoch
    plugins=$top/plugins/.libs
fi
# the CUDA libraries are never packed (bench/pack.sh): the GPU machine's own
LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
val() { sed -n "s/^$1 = //p" "$2" | head -n 1; }
loss1() { sed -n 's/^epoch 1: train_loss = \([^,]*\),.*/\1/p' "$1" | head -n 1; }
note() { echo "$*" | tee -a "$tmp/out"; }
status=0

l2d=none l2d_why=
ldev=
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    l2d_why="no sard_epoch binary here (run make, or carry bench/pack.sh's bundle)"
elif [ "$DEVICE" = cpu ]; then
    l2d=yes
    "$bin" --help 2>&1 | grep -q -e '--device' && ldev="--device cpu"
elif ! "$bin" --help 2>&1 | grep -q -e '--device'; then
    l2d_why="$bin has no --device option yet (l2d's CUDA backend has not landed in bench/sard_epoch.c)"
else
    # a binary whose CUDA libraries do not resolve: try the ones PyTorch's
    # wheels bring (nvidia/*/lib) before giving up
    if ldd "$bin" "$plugins"/*.so 2>/dev/null | grep -q 'not found'; then
        extra=$("$PYTHON" - <<'PY' 2>/dev/null || true
import glob, os, site, sys
dirs = []
for s in site.getsitepackages() + [site.getusersitepackages()]:
    dirs += sorted(glob.glob(os.path.join(s, "nvidia", "*", "lib")))
print(":".join(dirs))
PY
)
        [ -n "$extra" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$extra && export LD_LIBRARY_PATH
    fi
    missing=$(ldd "$bin" "$plugins"/*.so 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | sort -u | tr '\n' ' ')
    if [ -n "$missing" ]; then
        l2d_why="$bin needs libraries this machine lacks: $missing"
    else
        l2d=yes ldev="--device $DEVICE"
    fi
fi

{
    echo "# bench/run_gpu.sh on $host, $(date -u '+%Y-%m-%d %H:%M UTC'), device $DEVICE"
    if [ "$DEVICE" != cpu ] && command -v nvidia-smi >/dev/null 2>&1; then
        echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1)"
    fi
    echo "pytorch: $("$PYTHON" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -n 1)"
    grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
    if [ "$l2d" = yes ]; then echo "l2d: $bin $ldev"; else echo "l2d: skipped: $l2d_why"; fi
    echo "epochs: $EPOCHS per run, the first $WARMUP not counted; times are medians of wall seconds per epoch between device synchronisations"
} | tee "$tmp/out"

# l2d's data and initial parameters for the PyTorch runs
if [ "$l2d" = yes ] && [ -z "$DUMP" ]; then
    "$bin" $ldev --plugin-path "$plugins" --epochs 1 --dump "$tmp/full.bin" >/dev/null 2>"$tmp/err" ||
        { note "l2d --dump failed: $(tail -n 3 "$tmp/err")"; l2d=none; status=1; }
    [ -s "$tmp/full.bin" ] && DUMP=$tmp/full.bin
fi
load=
[ -n "$DUMP" ] && load="--load $DUMP"
if [ -n "$DUMP" ]; then note "data and initial parameters: $DUMP"; else note "data and initial parameters: sard_epoch.py's own (seeded)"; fi

same() { # same A B: relative difference at most 1e-4 (float32, a few Adam steps)
    "$PYTHON" -c '
import math, sys
a, b = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-4 * max(abs(a), abs(b)) else 1)' "$1" "$2" 2>/dev/null
}
ms() { "$PYTHON" -c 'import sys; print("%.3f" % (1e3 * float(sys.argv[1])))' "$1"; }
mib() { case $1 in '' | *[!0-9]*) echo "n/a" ;; *) "$PYTHON" -c 'import sys; print("%.1f MiB" % (int(sys.argv[1]) / 2**20))' "$1" ;; esac; }
ratio() { "$PYTHON" -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

for mode in $MODES; do
    case $mode in
    sard) aw= what="SARD epoch: smooth-adv, PGD10 per agent" ;;
    clean) aw="--adv-weight 0" what="clean epoch: the ce surrogate (nu 1), no attack" ;;
    *) echo "run_gpu.sh: unknown mode $mode" >&2; exit 2 ;;
    esac
    note ""
    note "== $mode: $what =="
    if [ "$l2d" = yes ] && [ "$CHECK" != 0 ]; then
        # one batch of the same numbers: the first epoch's loss depends on nothing else
        if "$bin" $ldev --plugin-path "$plugins" --rows 2048 --batch 2048 --epochs 2 $aw \
            --dump "$tmp/check.bin" >"$tmp/check_l2d" 2>"$tmp/err" &&
            timeout "$TIMEOUT" "$PYTHON" "$here/sard_epoch.py" --device "$DEVICE" --mode "$mode" \
                --batch 2048 --epochs 2 --load "$tmp/check.bin" >"$tmp/check_py" 2>>"$tmp/err"; then
            a=$(loss1 "$tmp/check_l2d") p=$(loss1 "$tmp/check_py")
            if same "$a" "$p"; then r=agree; else r=DISAGREE status=1; fi
            note "check l2d against pytorch eager (2048 rows, one batch, same data and init): first-epoch loss l2d $a, pytorch $p: $r"
        else
            note "check l2d against pytorch: a run failed: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
            status=1
        fi
    fi
    tl=
    if [ "$l2d" = yes ]; then
        if "$bin" $ldev --plugin-path "$plugins" --epochs "$EPOCHS" $aw >"$tmp/l2d_$mode" 2>"$tmp/err"; then
            tl=$(val epoch_seconds_median "$tmp/l2d_$mode")
            note "l2d                  median $(ms "$tl") ms per epoch (min $(ms "$(val epoch_seconds_min "$tmp/l2d_$mode")")), peak GPU memory $(mib "$(val peak_gpu_bytes "$tmp/l2d_$mode")"), passes per epoch $(val passes_per_epoch "$tmp/l2d_$mode"), epoch-1 loss $(loss1 "$tmp/l2d_$mode") (its own batch order)"
        else
            note "l2d                  failed: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
            status=1
        fi
    fi
    ref= times=
    for v in $VARIANTS; do
        f=$tmp/py_${mode}_$v
        if timeout "$TIMEOUT" "$PYTHON" "$here/sard_epoch.py" --device "$DEVICE" --variant "$v" \
            --mode "$mode" --epochs "$EPOCHS" --warmup "$WARMUP" $load >"$f" 2>"$tmp/err"; then
            t=$(val epoch_seconds_median "$f")
            l=$(loss1 "$f")
            chk=
            if [ "$v" = eager ]; then
                ref=$l
            elif [ -n "$ref" ]; then
                if same "$ref" "$l"; then chk=", agrees with eager"; else chk=", DISAGREES with eager ($ref)" status=1; fi
            fi
            extra=
            [ "$v" = graph ] && extra=", set-up (warm-up, capture) $(val setup_seconds "$f" | cut -d' ' -f1) s"
            note "$(printf 'pytorch %-12s' "$v")median $(ms "$t") ms per epoch (min $(ms "$(val epoch_seconds_min "$f")")), peak GPU memory $(mib "$(val peak_gpu_bytes "$f")"), epoch-1 loss $l$chk$extra"
            times="$times $v=$t"
        else
            rc=$?
            note "$(printf 'pytorch %-12s' "$v")failed (exit $rc$([ $rc = 124 ] && echo ", over $TIMEOUT s")): $(grep -v '^ *$' "$tmp/err" | tail -n 2 | tr '\n' ' ')"
            status=1
        fi
    done
    # the ratios: l2d against each variant and the fastest; else each against the fastest
    fast= ft=
    for kv in $times; do
        t=${kv#*=}
        if [ -z "$ft" ] || "$PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$t" "$ft"; then
            fast=${kv%%=*} ft=$t
        fi
    done
    if [ -n "$tl" ] && [ -n "$times" ]; then
        line=
        for kv in $times; do line="$line, ${kv%%=*} $(ratio "${kv#*=}" "$tl")"; done
        note "ratio pytorch / l2d (median time per epoch): ${line#, }; fastest pytorch ($fast) / l2d = $(ratio "$ft" "$tl")"
    elif [ -n "$times" ]; then
        line=
        for kv in $times; do line="$line, ${kv%%=*} $(ratio "${kv#*=}" "$ft")"; done
        note "ratio each pytorch variant / the fastest ($fast): ${line#, }"
    fi
done

cp "$tmp/out" "$RESULTS"
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$tmp"/* "$KEEP"/ 2>/dev/null
echo "run_gpu.sh: wrote $RESULTS$([ $status = 0 ] || echo '; a check or a run FAILED')"
exit $status
