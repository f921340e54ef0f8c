#!/bin/sh
# devices.sh (in a bundle made by t/gpu/pack.sh, on a machine with 2 or
# more GPUs): one sweep run twice into fresh databases, first by one worker
# on cuda:0, then with --devices 0,1 (one worker per GPU); prints both wall
# times and, as TAP, that every cell ran once, that the two GPUs shared the
# cells, and that the metrics agree with the one-GPU run within
# compare_dbs.py's tolerance (different GPUs: same model, same bits are
# likely but not promised). Databases go to $OUT/devices (or /tmp).
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
LD_LIBRARY_PATH=$here/lib:/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
L2D_PLUGIN_PATH=$here/plugins
export LD_LIBRARY_PATH L2D_PLUGIN_PATH
out=${OUT:-/tmp}/devices
mkdir -p "$out"
rm -f "$out"/*.db*
cfg=experiments/quickstart.ini
set -- --set train.epochs=${EPOCHS:-300} --quiet
t0=$(date +%s.%N)
"$here/l2d" run "$cfg" --db "$out/one.db" --device cuda:0 "$@" >"$out/one.log" 2>&1
r1=$?
t1=$(date +%s.%N)
"$here/l2d" run "$cfg" --db "$out/two.db" --devices 0,1 "$@" >"$out/two.log" 2>&1
r2=$?
t2=$(date +%s.%N)
python3 - "$out" "$r1" "$r2" "$t0" "$t1" "$t2" <<'PY'
import sqlite3, sys
out, r1, r2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0, t1, t2 = map(float, sys.argv[4:7])
one = sqlite3.connect(out + "/one.db")
two = sqlite3.connect(out + "/two.db")
n1 = one.execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()[0]
n2 = two.execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()[0]
cells = two.execute("SELECT count(DISTINCT cell_key) FROM runs").fetchone()[0]
dev = dict(two.execute("SELECT device, count(*) FROM runs GROUP BY device").fetchall())
print("1..4")
print("%sok 1 - both runs exit 0 (one GPU: %d, two: %d)" % ("" if r1 == 0 and r2 == 0 else "not ", r1, r2))
print("%sok 2 - every cell once: %d runs on one GPU, %d on two, %d distinct cells" %
      ("" if n1 == n2 == cells and n1 > 0 else "not ", n1, n2, cells))
print("%sok 3 - the two GPUs shared the cells: %s" %
      ("" if len(dev) == 2 and all(v > 0 for v in dev.values()) else "not ", dev))
print("# wall: one GPU %.1f s, --devices 0,1 %.1f s: %.2fx" % (t1 - t0, t2 - t1, (t1 - t0) / (t2 - t1)))
PY
python3 "$here/compare_dbs.py" "$out/one.db" "$out/two.db" --label "one GPU vs two: " | tail -n +2 |
    awk '/^not ok/ { bad = 1 } END { print (bad ? "not ok" : "ok") " 4 - the metrics of the two runs agree within compare_dbs.py tolerance" }'
