#!/bin/sh
# l2d plugin-check on the attack plugins and the rho-margin surrogate
. "$top_srcdir/t/lib.sh"
plan 7
so=$top_builddir/plugins/.libs
out=$("$L2D" plugin-check "$so/rho-margin.so" 2>&1); rc=$?
ok $rc "plugin-check rho-margin.so (defaults)"
like "$out" "surrogate rho-margin" "it names the surrogate"
out=$("$L2D" plugin-check "$so/rho-margin.so" --set rho=0.5 --set nu=2 2>&1); rc=$?
ok $rc "plugin-check rho-margin.so --set rho=0.5 --set nu=2"
"$L2D" plugin-check "$so/rho-margin.so" --set rho=0 >/dev/null 2>&1
ok $(( $? == 0 )) "plugin-check refuses rho=0"
out=$("$L2D" plugin-check "$so/pgd.so" 2>&1); rc=$?
ok $rc "plugin-check pgd.so"
like "$out" "attack pgd" "it names the attack"
"$L2D" plugin-check "$so/fgsm.so" >/dev/null 2>&1
ok $? "plugin-check fgsm.so"
done_testing
