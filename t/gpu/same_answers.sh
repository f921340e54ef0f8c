#!/bin/sh
# same_answers.sh [CONFIG...] (in a bundle made by t/gpu/pack.sh, on a GPU
# machine): each experiment run on the CPU and twice on cuda:0 into three
# databases; the GPU's metrics must match the CPU's within compare_dbs.py's
# stated tolerance, and the two GPU runs must match bit for bit (fixed-order
# reductions, no atomics in sums). TAP, one block per config; wall times as
# diagnostics. Databases go to $OUT/same (or /tmp/l2d-same).
# CONFIG: names under experiments/ (default: quickstart mt_table1_housing).
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
LD_LIBRARY_PATH=$here/lib:/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
L2D_PLUGIN_PATH=$here/plugins
export LD_LIBRARY_PATH L2D_PLUGIN_PATH
out=${OUT:-/tmp/l2d-same}/same
mkdir -p "$out"
cfgs=${*:-quickstart mt_table1_housing}
status=0
for cfg in $cfgs; do
    for dev in cpu cuda cuda2; do
        d=$dev
        [ "$dev" = cuda2 ] && d=cuda
        rm -f "$out/$cfg-$dev.db"*
        t0=$(date +%s.%N)
        "$here/l2d" run "experiments/$cfg.ini" --db "$out/$cfg-$dev.db" --device "$d" --quiet \
            >"$out/$cfg-$dev.log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        echo "# $cfg on $dev: exit $rc, $(echo "$t1 - $t0" | bc 2>/dev/null || python3 -c "print($t1 - $t0)") s"
        [ $rc -eq 0 ] || { tail -n 3 "$out/$cfg-$dev.log" | sed 's/^/#   /'; status=1; }
    done
    python3 "$here/compare_dbs.py" "$out/$cfg-cpu.db" "$out/$cfg-cuda.db" --label "$cfg cpu vs cuda: " || status=1
    python3 "$here/compare_dbs.py" "$out/$cfg-cuda.db" "$out/$cfg-cuda2.db" --exact --label "$cfg cuda twice: " || status=1
done
exit $status
