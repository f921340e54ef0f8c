#!/bin/sh
# bench/pack.sh [DIR]: gather what bench/run.sh needs on a machine that has
# no l2d build dependencies (OpenBLAS, iniparser, SQLite): the benchmark
# binary, libl2d, the pgd and smooth-adv plugins and every shared library
# they need beyond the C library and CUDA's own (t/gpu/libs.sh), into DIR
# (default bench/bundle). Then, on that machine:
# L2D_BENCH_BUNDLE=DIR bench/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
dir=${1:-$here/bundle}
bin=$top/bench/.libs/sard_epoch
[ -x "$bin" ] || bin=$top/bench/sard_epoch
[ -x "$bin" ] || { echo "pack.sh: build first (make)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/plugins"
cp "$bin" "$dir/sard_epoch"
cp "$top/plugins/.libs/pgd.so" "$top/plugins/.libs/smooth-adv.so" "$dir/plugins/"
cp -P "$top"/framework/.libs/libl2d.so* "$dir/lib/"
# the libraries a machine may lack, CUDA's own left to the machine
"$top/t/gpu/libs.sh" "$dir/lib" "$dir/sard_epoch" "$dir"/plugins/*.so
ls -l "$dir" "$dir/lib" "$dir/plugins"
du -sh "$dir"
