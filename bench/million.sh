#!/bin/sh
# Validating and expanding a sweep of 10^6 cells (bench/million.ini: 100
# beta x 100 nu x 10 lr x 10 seeds): `l2d run --dry-run` checks every cell,
# computes each one's identity and looks it up in the database. Prints the
# wall time of three runs; fails when the best is 5 s or more.
# usage: bench/million.sh [L2D]   (default ./l2d, from the build tree)
set -eu
L2D=${1:-./l2d}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
best=""
for k in 1 2 3; do
    t0=$(date +%s.%N)
    "$L2D" run "$here/million.ini" --dry-run --db "$tmp/none.db" 2>"$tmp/err" >/dev/null
    t1=$(date +%s.%N)
    t=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
    echo "run $k: $t s  ($(tail -n 1 "$tmp/err"))"
    if [ -z "$best" ] || [ "$(awk "BEGIN { print ($t < $best) }")" = 1 ]; then best=$t; fi
done
echo "best: $best s for 10^6 cells (listing each one)"
# against a database that holds one of the cells: each cell looked up
"$L2D" run -q "$here/million.ini" --db "$tmp/one.db" --set sweep.cost.beta_scale=0 --set sweep.train.nu=0.5 \
    --set sweep.train.lr=0.001 --set experiment.seeds=0
t0=$(date +%s.%N)
"$L2D" run "$here/million.ini" --dry-run --db "$tmp/one.db" 2>"$tmp/err" >/dev/null
t1=$(date +%s.%N)
echo "with a database: $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s  ($(tail -n 1 "$tmp/err"))"
[ "$(awk "BEGIN { print ($best < 5) }")" = 1 ]
