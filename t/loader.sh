#!/bin/sh
# The loader refuses broken plugins with a message naming the file, and
# plugin-check catches a wrong gradient.
. "$top_srcdir/t/lib.sh"
P=$top_builddir/t/plugins/.libs
plan 14

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

# the scan lists good plugins and reports refused files without failing
out=$("$L2D" plugins --plugin-path "$P" --kind surrogate 2>&1)
like "$out" "surrogate +fake-good" "l2d plugins lists a plugin from --plugin-path"
like "$out" "refused: .*fake-magic.so" "l2d plugins reports a refused file"
done_testing
