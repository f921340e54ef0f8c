#!/bin/sh
# The l2d command's own behaviour: help, version, usage errors.
. "$top_srcdir/t/lib.sh"
plan 6
out=$("$L2D" --help); ok $? "--help exits 0"
like "$out" "^usage: l2d" "--help prints usage"
out=$("$L2D" --version); like "$out" "^l2d [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 1\.[0-9]+\)" "--version"
"$L2D" frobnicate 2>/dev/null; [ $? -eq 2 ]; ok $? "unknown command exits 2"
out=$("$L2D" plugins --bogus 2>&1); like "$out" "unknown option '--bogus'" "unknown option is named"
"$L2D" plugins --kind 2>/dev/null; [ $? -eq 2 ]; ok $? "option without value exits 2"
done_testing
