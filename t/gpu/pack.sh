#!/bin/sh
# t/gpu/pack.sh [DIR]: gather the built GPU tests (t/test_cuda_*), libl2d,
# the plugins and the shared libraries a GPU machine may lack (not CUDA's:
# see libs.sh) into DIR (default .gpu/cuda, which git ignores), with
# run.sh beside them. Then, on the GPU machine:
#   DIR/run.sh          runs every GPU test and prints the TAP summary
# From the device tool here: build, `t/gpu/pack.sh /work/main/.gpu/cuda`,
# then run `.gpu/cuda/run.sh` with carry = [".gpu/cuda"].
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=${1:-$top/.gpu/cuda}
tests=
for src in "$top"/t/test_cuda_*.c "$top"/t/test_cell_device.c; do
    b=$(basename "$src" .c)
    bin=$top/t/.libs/$b
    [ -x "$bin" ] || bin=$top/t/$b
    [ -x "$bin" ] || { echo "pack.sh: no t/$b: build first (make check TESTS=)" >&2; exit 1; }
    tests="$tests $bin"
done
rm -rf "$dir"
mkdir -p "$dir/bin" "$dir/lib" "$dir/plugins"
for t in $tests; do cp "$t" "$dir/bin/"; done
cp -P "$top"/framework/.libs/libl2d.so* "$dir/lib/"
cp "$top"/plugins/.libs/*.so "$dir/plugins/"
"$here/libs.sh" "$dir/lib" "$dir"/bin/* "$top"/framework/.libs/libl2d.so "$dir"/plugins/*.so
cp "$here/run.sh" "$here/same_answers.sh" "$here/devices.sh" "$here/compare_dbs.py" "$dir/"
# the command and what its experiments read, for same_answers.sh
l2d=$top/.libs/l2d
[ -x "$l2d" ] || l2d=$top/l2d
cp "$l2d" "$dir/l2d"
"$here/libs.sh" "$dir/lib" "$dir/l2d"
cp -r "$top/experiments" "$top/data" "$dir/"
# the benchmark, laid out as bench/run_gpu.sh's L2D_BENCH_BUNDLE expects
for f in "$top/bench/.libs/sard_epoch" "$top/bench/sard_epoch"; do
    [ -x "$f" ] && { cp "$f" "$dir/sard_epoch"; break; }
done
cp "$top/bench/sard_epoch.py" "$top/bench/run_gpu.sh" "$dir/"
cp "$top/bench/run.sh" "$dir/bench_cpu.sh"
du -sh "$dir"
