#!/bin/sh
# The loader refuses broken plugins with a message naming the file, and
# plugin-check catches a wrong gradient.
. "$top_srcdir/t/lib.sh"
P=$top_builddir/t/plugins/.libs
plan 45

out=$("$L2D" plugin-check "$P/fake-good.so" 2>&1); rc=$?
ok $rc "a good surrogate passes plugin-check"
like "$out" "fake-good.*descriptor ok" "plugin-check names the plugin"

out=$("$L2D" plugin-check "$P/fake-badgrad.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "a wrong gradient fails plugin-check (exit 1)"
like "$out" "fake-badgrad.*gradient" "the failure says it is the gradient"

out=$("$L2D" plugin-check "$P/fake-magic.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "wrong magic is refused"
like "$out" "fake-magic.so.*bad magic" "the message names the file and the magic"

out=$("$L2D" plugin-check "$P/fake-abi.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "another ABI major is refused"
like "$out" "fake-abi.so.*ABI 3\.0" "the message names the file and its ABI"

out=$("$L2D" plugin-check "$P/fake-noentry.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "a missing entry point is refused"
like "$out" "fake-noentry.so.*no 'l2d_plugin_entry' entry point" "the message names the file and the symbol"

out=$("$L2D" plugin-check "$P/fake-dup.so" 2>&1); rc=$?
like "$out" "fake-dup.so.*'scale' is declared twice" "a schema declaring a key twice is refused ($rc)"

out=$("$L2D" plugin-check "$P/fake-default.so" 2>&1); rc=$?
like "$out" "fake-default.so.*invalid default.*out of range" "a default outside its range is refused ($rc)"

# right gradients, wrong surrogates: plugin-check says what is wrong
out=$("$L2D" plugin-check "$P/fake-wrongsign.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "a surrogate minimised by the dearest agent fails plugin-check"
like "$out" "fake-wrongsign: not consistent, 2 agents \(20 of 20 cost vectors\): minimising the loss over the scores sends the query to agent [0-9] \(cost [0-9.]+\), not to the cheapest agent" \
    "it says the minimiser sends queries away from the cheapest agent"
like "$out" "fake-wrongsign: wrong direction, .*raising the score of the cheapest agent [0-9] by [0-9.e-]+ raises the loss" \
    "and that raising the cheapest agent's score raises the loss"
like "$out" "fake-wrongsign: gradient vs finite differences, 2 agents, 20 trials: .*: ok" "its gradient is right"
out=$("$L2D" plugin-check "$P/fake-infabove.so" 2>&1); rc=$?
[ $rc -eq 1 ]; ok $? "an infimum above the loss fails plugin-check"
like "$out" "fake-infabove: wrong infimum, 2 agents \(20 of 20 cost vectors\): the infimum [0-9.]+ is above the loss [0-9.]+ at scores" \
    "it says the infimum is above the loss, where"
out=$("$L2D" plugin-check "$P/fake-good.so" 2>&1)
like "$out" "fake-good: infimum, 5 agents: never above the loss, the minimised loss within [0-9.e-]+ of it: ok" \
    "a right infimum passes, approached by the minimised loss"
# the shipped surrogates pass, over their range of parameters (comp-sum
# members are flat or non-convex for large nu; rho-margin has kinks)
S=$top_builddir/plugins/.libs
for nu in 0 0.5 1 2 3 10; do
    out=$("$L2D" plugin-check "$S/ce.so" --set nu=$nu 2>&1); rc=$?
    ok $rc "ce, nu = $nu: passes every check"
done
out=$("$L2D" plugin-check "$S/ce.so" 2>&1)
like "$out" "ce: consistency, 5 agents, 20 cost vectors: minimising the loss makes the cheapest agent's score the largest: ok" \
    "ce: the consistency line"
"$L2D" plugin-check "$S/rho-margin.so" >/dev/null 2>&1 && "$L2D" plugin-check "$S/rho-margin.so" --set rho=0.5 --set nu=2 >/dev/null 2>&1
ok $? "rho-margin (rho 1, nu 1; rho 0.5, nu 2): passes"
"$L2D" plugin-check "$S/smooth-adv.so" >/dev/null 2>&1 && "$L2D" plugin-check "$S/smooth-adv.so" --set rho=0.5 --set nu=2 >/dev/null 2>&1
ok $? "smooth-adv (defaults; rho 0.5, nu 2): passes"

# every other refusal, each named in words
refused() { # refused FILE REGEX DESCRIPTION
    out=$("$L2D" plugin-check "$P/$1" 2>&1); rc=$?
    [ $rc -eq 1 ]; ok $? "$3: refused (exit 1)"
    like "$out" "$1.*$2" "$3: the message names the file and says why"
}
refused fake-minor.so "needs ABI 2\.99, newer than this l2d's 2\." "a newer ABI minor"
refused fake-shortops.so "ops table struct_size 8 is smaller than" "a short ops struct_size"
refused fake-kind.so "unknown kind 9" "an unknown kind"
refused fake-noloss.so "surrogate plugin lacks the 'loss' op" "a missing op"
refused fake-twins.so "descriptors 0 and 1 are both the surrogate plugin 'fake-twins'" "one name twice in a file"

# one kind and name in two files of one directory: an error naming both
S=$top_builddir/t/plugins/same/.libs
out=$("$L2D" plugins --plugin-path "$S" 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "two files of one directory defining one name: an error (exit $rc)"
like "$out" "$S/dup-a.so and $S/dup-b.so both define the surrogate plugin 'fake-same'" "it names both files"
# across the search path: the first wins, with a warning naming both
L=$top_builddir/t/plugins/later/.libs
out=$("$L2D" plugins --plugin-path "$L:$P" --kind surrogate 2>&1); rc=$?
ok $rc "a name defined again later in the search path: not an error"
like "$out" "warning: surrogate plugin 'fake-good': $L/dup-c.so is used, $P/fake-good.so \(later in the search path\) is ignored" \
    "a warning names both files, the one used first"
out=$(echo "2  0.5 0.5  1 0" | "$L2D" surrogate eval --plugin fake-good --plugin-path "$L:$P" 2>&1)
like "$out" "warning: surrogate plugin 'fake-good': $L/dup-c.so is used" "every command that loads plugins warns"

# the scan lists good plugins and reports refused files without failing
out=$("$L2D" plugins --plugin-path "$P" --kind surrogate 2>&1)
like "$out" "surrogate +fake-good" "l2d plugins lists a plugin from --plugin-path"
like "$out" "refused: .*fake-magic.so" "l2d plugins reports a refused file"
done_testing
