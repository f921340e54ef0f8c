#!/bin/sh
# l2d run --jobs 1 against --jobs 2 on a sweep of 24 cells (bench/jobs.ini),
# each into a fresh database; prints both wall times and their ratio, and
# checks the two databases hold the same numbers. On 2 free cores the
# ratio should be at least 1.6 (cores shared with other work give less).
# usage: bench/jobs.sh [L2D] [REPEATS]
set -eu
L2D=${1:-./l2d}
reps=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
secs() {
    rm -f "$tmp/$1.db"*
    t0=$(date +%s.%N)
    "$L2D" run -q "$here/jobs.ini" --db "$tmp/$1.db" --jobs "$1"
    t1=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $t1 - $t0 }"
}
r=1
while [ "$r" -le "$reps" ]; do
    t1=$(secs 1)
    t2=$(secs 2)
    echo "jobs 1: $t1 s   jobs 2: $t2 s   speed-up: $(awk "BEGIN { printf \"%.2f\", $t1 / $t2 }")"
    r=$((r + 1))
done
q="SELECT r.cell_id, m.split, m.attack, m.name, quote(m.value) FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4"
if command -v sqlite3 >/dev/null; then
    [ "$(sqlite3 "$tmp/1.db" "$q")" = "$(sqlite3 "$tmp/2.db" "$q")" ] && echo "same metrics, value for value" ||
        { echo "the two databases differ" >&2; exit 1; }
fi
