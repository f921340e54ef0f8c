#!/bin/sh
# The devices l2d sees: l2d --version's second line (the CUDA backend, and
# how many devices) and l2d devices (the CPU, then each CUDA device or why
# there is none), checked against what the system says. Where a run trains
# is t/device_run.sh.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 15

out=$("$L2D" --version); ok $? "--version exits 0"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 5 "--version: five lines (version, CUDA, commit, build, BLAS)"
like "$(printf '%s\n' "$out" | head -n 1)" "^l2d [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 2\.[0-9]+\)$" \
    "--version: first line as before"
cuda_line=$(printf '%s\n' "$out" | sed -n 2p)
if grep -q '^#define L2D_HAVE_CUDA 1' "$top_builddir/config.h"; then
    like "$cuda_line" "^CUDA backend: built in, ([1-9][0-9]* devices? visible|0 devices visible \(.+\))$" \
        "--version: the backend is built in (configure found CUDA), and how many devices"
else
    is "$cuda_line" "CUDA backend: not built in" "--version: no backend (configure found no CUDA)"
fi
ndev=$(printf '%s\n' "$cuda_line" | sed -n 's/^CUDA backend: built in, \([0-9]*\) devices\{0,1\} visible.*/\1/p')
ndev=${ndev:-0}
diag "CUDA devices visible: $ndev"

"$L2D" devices >"$T_TMP/dev" 2>"$T_TMP/err"; ok $? "l2d devices exits 0"
is "$(cat "$T_TMP/err")" "" "l2d devices: nothing on stderr"
cpu=$(head -n 1 "$T_TMP/dev")
model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cores=$(getconf _NPROCESSORS_ONLN)
like "$cpu" "^cpu +.+  \($cores cores?, [0-9]+\.[0-9] GiB memory\)$" "l2d devices: the CPU first, with $cores cores and its memory"
if [ -n "$model" ]; then
    is "$(printf '%s\n' "$cpu" | sed 's/^cpu *//; s/  ([^()]*)$//')" "$model" "l2d devices: the CPU's model, as /proc/cpuinfo says"
else
    skip 1 "no model name in /proc/cpuinfo"
fi
mem_kib=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/meminfo 2>/dev/null)
if [ -n "$mem_kib" ]; then
    gib=$(printf '%s\n' "$cpu" | sed -n 's/.*, \([0-9.]*\) GiB memory)$/\1/p')
    # glibc's sysconf(_SC_PHYS_PAGES) is sysinfo's totalram, which is MemTotal
    close "$gib" "$(awk -v k="$mem_kib" 'BEGIN{print k / 1048576}')" 0.06 "l2d devices: CPU memory as /proc/meminfo"
else
    skip 1 "no /proc/meminfo"
fi
if [ "$ndev" -eq 0 ]; then
    why=$(printf '%s\n' "$cuda_line" | sed -n 's/^CUDA backend: built in, 0 devices visible (\(.*\))$/\1/p')
    [ -n "$why" ] || why="l2d was built without the CUDA backend"
    is "$(sed -n 2p "$T_TMP/dev")" "cuda     no CUDA device ($why)" "l2d devices: no CUDA device, and why (as --version)"
    is "$(wc -l <"$T_TMP/dev" | tr -d ' ')" 2 "l2d devices: two lines"
else
    is "$(grep -c '^cuda:[0-9]' "$T_TMP/dev")" "$ndev" "l2d devices: one line per CUDA device (as --version)"
    like "$(sed -n 2p "$T_TMP/dev")" \
        "^cuda:0 +.+  \([0-9]+\.[0-9] GiB memory, compute capability [0-9]+\.[0-9]+, [0-9]+ SMs; CUDA driver [0-9]+\.[0-9]+, runtime [0-9]+\.[0-9]+, cuDNN [0-9]+\.[0-9]+\.[0-9]+\)$" \
        "l2d devices: cuda:0 with name, memory, compute capability, versions"
fi
"$L2D" devices --bogus 2>"$T_TMP/err"; is "$?" 2 "l2d devices --bogus: exit 2"
like "$(cat "$T_TMP/err")" "unknown option '--bogus'" "l2d devices --bogus: named"
like "$("$L2D" devices --help)" "^usage: l2d devices" "l2d devices --help"
like "$("$L2D" --help)" "devices +list the CPU and the CUDA devices" "l2d --help lists devices"

done_testing
