#!/bin/sh
# The l2d command's own behaviour: help, version, usage errors.
. "$top_srcdir/t/lib.sh"
plan 15
out=$("$L2D" --help); ok $? "--help exits 0"
like "$out" "^usage: l2d" "--help prints usage"
out=$("$L2D" --version); like "$(echo "$out" | head -n 1)" "^l2d [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 2\.[0-9]+\)$" "--version"
like "$(echo "$out" | sed -n 2p)" "^CUDA backend: (not built in|built in, [0-9]+ devices? visible)" \
    "--version: second line, the CUDA backend (t/devices.sh checks it further)"
commit=$(cd "$top_srcdir" && test -e .git && git describe --always --dirty 2>/dev/null)
like "$(echo "$out" | sed -n 3p)" "^commit: ${commit:-[0-9]+\.[0-9]+\.[0-9]+}$" "--version: the commit it was built from"
like "$(echo "$out" | sed -n 4p)" "^build: configure: .*; CFLAGS: .*; CUDA: (on|off)$" "--version: the build options"
like "$(echo "$out" | sed -n 5p)" "^BLAS: OpenBLAS" "--version: the BLAS"
"$L2D" frobnicate 2>/dev/null; [ $? -eq 2 ]; ok $? "unknown command exits 2"
out=$("$L2D" plugins --bogus 2>&1); like "$out" "unknown option '--bogus'" "unknown option is named"
"$L2D" plugins --kind 2>/dev/null; [ $? -eq 2 ]; ok $? "option without value exits 2"
Q=$top_srcdir/experiments/quickstart.ini
out=$("$L2D" run "$Q" --dry-run --plugin-path "$top_builddir/plugins/.libs" 2>&1)
like "$out" "18 cells" "quickstart: 3 beta x 3 nu x 2 seeds = 18 cells"
out=$("$L2D" run "$Q" --dry-run --unset sweep.train.nu --set experiment.seeds=0 2>&1)
like "$out" "3 cells" "--unset sweep.train.nu drops the nu sweep: 3 cells"
out=$("$L2D" run "$Q" --dry-run --unset train.bogus 2>&1); rc=$?
like "$out" "^l2d run: --unset train.bogus: \[train\] has no key 'bogus'" "--unset of a missing key is an error"
[ $rc -eq 2 ]; ok $? "and exits 2"
out=$("$L2D" run "$Q" --dry-run --set experiment.device=gpu 2>&1)
like "$out" "^l2d run: --set experiment.device: 'gpu' is not a device \(cpu, cuda or cuda:N\)" \
    "a bad device name is refused (t/devices.sh tests devices further)"
done_testing
