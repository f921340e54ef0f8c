#!/bin/sh
# t/gpu/libs.sh DIR FILE...: copy into DIR every shared library that the
# FILEs (programs, libraries, plugins) load, as ldd finds them from this
# build tree, except those every machine has (the C library, its loader,
# the C++ runtime) and CUDA's own (libcuda, cudart, cuBLAS, cuDNN, ...): those are
# hundreds of MiB and a GPU machine has its own, matching its driver.
# Used by t/gpu/pack.sh (the GPU tests); bench/pack.sh applies the same
# rule to the benchmark.
set -eu
[ $# -ge 2 ] || { echo "usage: libs.sh DIR FILE..." >&2; exit 2; }
dir=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
LD_LIBRARY_PATH=$top/framework/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$@" |
    awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u |
    while read -r name path; do
        case $name in
        libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
        # the compiler's runtime: CUDA's libraries on the GPU machine need
        # its own (newer) one, which an older copy placed first would shadow
        libstdc++.so.* | libgcc_s.so.*) ;;
        libcuda.so* | libcudart* | libcublas* | libcudnn* | libnvidia-* | libnvrtc* | \
            libnvJitLink* | libcurand* | libcusparse* | libcufft* | libcusolver* | libnccl*) ;;
        libl2d.so*) ;; # from the build tree, copied by the caller
        *) cp -L "$path" "$dir/$name" ;;
        esac
    done
