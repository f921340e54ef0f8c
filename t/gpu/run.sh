#!/bin/sh
# run.sh (as packed by t/gpu/pack.sh): run every GPU test of the bundle on
# this machine, each test's TAP into LOGDIR (default: $OUT where the device
# tool sets it, else /tmp/l2d-gpu), and print one line per test and the
# totals last. Exit status 1 when any test failed.
here=$(cd "$(dirname "$0")" && pwd)
logs=${LOGDIR:-${OUT:-/tmp/l2d-gpu}}
mkdir -p "$logs"
# the bundle's libraries first; CUDA's from the machine
LD_LIBRARY_PATH=$here/lib:/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
L2D_PLUGIN_PATH=$here/plugins
L2D_TEST_PLUGIN_DIR=$here/plugins
export L2D_TEST_PLUGIN_DIR
export LD_LIBRARY_PATH L2D_PLUGIN_PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/# GPU: /'
pass=0 fail=0 skip=0 bad=0
for t in "$here"/bin/*; do
    name=$(basename "$t")
    "$t" >"$logs/$name.tap" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$logs/$name.tap")
    f=$(grep -c '^not ok ' "$logs/$name.tap")
    plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$logs/$name.tap" | head -n 1)
    if grep -q '^1\.\.0 # SKIP' "$logs/$name.tap"; then
        skip=$((skip + 1))
        echo "SKIP $name: $(sed -n 's/^1\.\.0 # SKIP //p' "$logs/$name.tap")"
        continue
    fi
    grep '^not ok ' "$logs/$name.tap" | head -n 20
    if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ] || [ "${plan:-x}" != "$((p + f))" ]; then
        bad=$((bad + 1))
        echo "FAIL $name: $p ok, $f not ok, plan ${plan:-none}, exit $rc"
        tail -n 5 "$logs/$name.tap"
    else
        echo "PASS $name: $p ok"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
done
echo "# GPU tests: $pass ok, $fail not ok, $skip skipped programs, $bad failed programs"
[ "$bad" -eq 0 ]
