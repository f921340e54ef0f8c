#!/bin/sh
# Adversarial pieces through the l2d command: smooth-adv reduces to ce,
# SARD's pass count is stored, and bad attack settings are refused before
# any work.
. "$top_srcdir/t/lib.sh"
mk_tmp
plan 23
Q=$top_srcdir/experiments/quickstart.ini
small="--set experiment.seeds=0 --unset sweep.cost.beta_scale --set sweep.train.nu=0.5,2 --set train.epochs=3"

# 1. the loss op: smooth-adv with rho = 1 is ce's comp-sum loss, bit for bit
rows='3  0.1 -0.4 1.2  1 0 0.5
2  5 -5  0.3 0.9
4  0 0 0 0  1 1 1 1
3  -2 1 0.5  0 2 0.25'
for nu in 0.5 1 2; do
    a=$(printf '%s\n' "$rows" | "$L2D" surrogate eval --plugin ce --set nu=$nu 2>&1)
    b=$(printf '%s\n' "$rows" | "$L2D" surrogate eval --plugin smooth-adv --set nu=$nu --set rho=1 --set adv_weight=0 2>&1)
    is "$b" "$a" "smooth-adv (rho 1) loss and gradient equal ce's at nu=$nu"
done

# 2. training: smooth-adv with adv_weight = 0, rho = 1 gives ce's numbers
"$L2D" run "$Q" $small --db "$T_TMP/ce.db" --quiet; ok $? "run with ce"
"$L2D" run "$Q" $small --db "$T_TMP/sa.db" --quiet --set train.surrogate=smooth-adv \
    --set train.adv_weight=0 --set train.rho=1; ok $? "run with smooth-adv, adv_weight 0"
a=$("$L2D" report "$T_TMP/ce.db" --format csv --metrics risk,accuracy,rmse,surrogate,alloc_0)
b=$("$L2D" report "$T_TMP/sa.db" --format csv --metrics risk,accuracy,rmse,surrogate,alloc_0)
is "$b" "$a" "same test metrics, to the last digit printed"

# 3. SARD's rejector passes: n (1 + A (T + 1)) per epoch (the outer pass at
# each x'_j counted; see README)
"$L2D" run "$Q" $small --db "$T_TMP/sard.db" --quiet --set train.surrogate=smooth-adv \
    --set train.adv_weight=0.05 --set attack.clamp=false --set attack.steps=4 --unset sweep.train.nu
ok $? "SARD run"
if [ -n "${SQLITE3:-}" ]; then
    # 6000 rows, 70% training = 4200; 3 agents; 4 steps; 3 epochs
    is "$("$SQLITE3" "$T_TMP/sard.db" 'select rejector_passes from runs')" $((3 * 4200 * (1 + 3 * (4 + 1)))) \
        "passes = epochs * n * (1 + A (T + 1))"
else
    echo "ok $((T_N += 1)) # SKIP no sqlite3"
fi

# 4. ADV's checkpoint rule for SARD: the epoch with the lowest validation
# risk under the untargeted attack, a different epoch than the clean rule's
one() { "$L2D" run "$Q" $small --db "$T_TMP/$1.db" --quiet --set train.epochs=12 --set attack.eps=0.5 \
    --unset sweep.train.nu --set train.select=$2; }
one sel_clean val_risk && one sel_adv val_adv_risk; ok $? "select = val_adv_risk runs"
if [ -n "${SQLITE3:-}" ]; then
    a=$("$SQLITE3" "$T_TMP/sel_clean.db" 'select group_concat(best_epoch) from runs')
    b=$("$SQLITE3" "$T_TMP/sel_adv.db" 'select group_concat(best_epoch) from runs')
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; ok $? "it keeps another epoch ($b) than the clean rule ($a)"
else
    echo "ok $((T_N += 1)) # SKIP no sqlite3"
fi

# 5. evaluation under attack: every label recorded; at eps 0 the attacked
# system is the clean one, metric for metric
"$L2D" run "$Q" $small --db "$T_TMP/ev0.db" --quiet --unset sweep.train.nu \
    --set "eval.attacks=clean, untargeted, targeted:*" --set attack.eps=0 --set attack.steps=2
ok $? "run with eval.attacks = clean, untargeted, targeted:*"
out=$("$L2D" report "$T_TMP/ev0.db" --layout robustness --metric risk --format csv)
is "$(printf '%s\n' "$out" | head -1)" \
    "experiment,method,params,n,clean_mean,clean_std,clean_n,untargeted_mean,untargeted_std,untargeted_n,targeted:model_mean,targeted:model_std,targeted:model_n,targeted:expert1_mean,targeted:expert1_std,targeted:expert1_n,targeted:expert2_mean,targeted:expert2_std,targeted:expert2_n" \
    "targeted:* expands to every agent, in agent order"
if [ -n "${SQLITE3:-}" ]; then
    n=$("$SQLITE3" "$T_TMP/ev0.db" "select count(*) from metrics a join metrics c on c.run_id = a.run_id
        and c.split = a.split and c.name = a.name and c.attack = 'clean'
        where a.attack != 'clean' and a.value != c.value")
    is "$n" 0 "eps 0: every attacked metric equals the clean one"
    n=$("$SQLITE3" "$T_TMP/ev0.db" "select count(distinct attack) from metrics where split = 'test'")
    is "$n" 5 "clean, untargeted and 3 targeted labels on the test split"
    n=$("$SQLITE3" "$T_TMP/ev0.db" "select count(distinct attack || ':' || name) from metrics
        where split = 'test' and name in ('defer_rate', 'risk_noquery')")
    is "$n" 10 "defer_rate and risk_noquery under every attack label"
else
    echo "ok $((T_N += 1)) # SKIP no sqlite3"; echo "ok $((T_N += 1)) # SKIP no sqlite3"
    echo "ok $((T_N += 1)) # SKIP no sqlite3"
fi

# 6. bad attack settings: refused before work, naming the key; no database
bad() { # bad DESCRIPTION PATTERN ARGS...
    d=$1; p=$2; shift 2
    out=$("$L2D" run "$Q" --db "$T_TMP/bad.db" --set eval.attacks=clean,untargeted "$@" 2>&1); rc=$?
    like "$out" "$p" "$d"
    [ $rc -ne 0 ] && [ ! -e "$T_TMP/bad.db" ]; ok $? "$d: non-zero exit, no database"
}
bad "unknown norm" "attack.norm: '3' is not one of inf\|2" --set attack.norm=3 --set attack.clamp=false
bad "negative radius" "attack.eps: -0.1 is out of range \[0, " --set attack.eps=-0.1 --set attack.clamp=false
bad "targeted at a missing agent" "eval.attacks: 'targeted:nobody': no agent named 'nobody'" \
    --set eval.attacks=clean,targeted:nobody --set attack.clamp=false
bad "clamping on a data set without a range" \
    "attack.clamp: clamp = true, but data set 'synthetic' has no valid input range" --set attack.clamp=true
done_testing
