#!/bin/sh
# The loader refuses broken plugins with a message naming the file, and
# plugin-check catches a wrong gradient.
. "$top_srcdir/t/lib.sh"
P=$top_builddir/t/plugins/.libs
plan 29

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
