#!/bin/sh
# bench/pack.sh [DIR]: gather what bench/run.sh needs on a machine that has
# no l2d build dependencies (OpenBLAS, iniparser, SQLite): the benchmark
# binary, libl2d, the pgd and smooth-adv plugins and every shared library
# they need beyond the C library, into DIR (default bench/bundle). Then, on
# that machine: L2D_BENCH_BUNDLE=DIR bench/run.sh (the CPU benchmark) or
# L2D_BENCH_BUNDLE=DIR bench/run_gpu.sh (the GPU one).
#
# The CUDA libraries (driver, runtime, cuBLAS, cuDNN and the rest of the
# toolkit's) are never packed: they are hundreds of megabytes and must match
# the GPU machine's driver, which has them (run_gpu.sh looks in
# /usr/local/cuda/lib64 and /usr/lib/x86_64-linux-gnu). DIR/CUDA-LIBS lists
# the ones the bundle needs from there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
dir=${1:-$here/bundle}
bin=$top/bench/.libs/sard_epoch
[ -x "$bin" ] || bin=$top/bench/sard_epoch
[ -x "$bin" ] || { echo "pack.sh: build first (make)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/plugins"
: >"$dir/CUDA-LIBS"
cp "$bin" "$dir/sard_epoch"
cp "$top/plugins/.libs/pgd.so" "$top/plugins/.libs/smooth-adv.so" "$dir/plugins/"
LD_LIBRARY_PATH=$top/framework/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    ldd "$dir/sard_epoch" "$dir"/plugins/*.so |
    awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u |
    while read -r name path; do
        case $name in
        libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
        libcuda.so* | libcudart* | libcublas* | libcudnn* | libnvidia-* | libnvrtc* | \
            libnvJitLink* | libcurand* | libcusparse* | libcufft* | libcusolver* | libnccl*)
            echo "$name" >>"$dir/CUDA-LIBS" ;;
        *) cp -L "$path" "$dir/lib/$name" ;;
        esac
    done
if [ -s "$dir/CUDA-LIBS" ]; then
    echo "pack.sh: not packed, the GPU machine's own: $(tr '\n' ' ' <"$dir/CUDA-LIBS")"
else
    rm -f "$dir/CUDA-LIBS"
fi
ls -l "$dir" "$dir/lib" "$dir/plugins"
du -sh "$dir"
