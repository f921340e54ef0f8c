#!/bin/sh
# l2d plugin-check on the attack plugins and the rho-margin and smooth-adv surrogates
. "$top_srcdir/t/lib.sh"
plan 10
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
out=$("$L2D" plugin-check "$so/smooth-adv.so" --set rho=0.5 --set nu=0.5 2>&1); rc=$?
ok $rc "plugin-check smooth-adv.so --set rho=0.5 --set nu=0.5"
like "$out" "surrogate smooth-adv" "it names the surrogate"
"$L2D" plugin-check "$so/smooth-adv.so" --set adv_weight=-1 >/dev/null 2>&1
ok $(( $? == 0 )) "plugin-check refuses adv_weight=-1"
done_testing
