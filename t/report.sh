#!/bin/sh
# `l2d report` on a fixture database written through the store API by
# t/report_fixture: every format and layout against the expected text, and
# bad inputs. The numbers: sweep/sard/beta 0.5 has risks 0.2 and 0.3, so
# 0.25 ± 0.1/sqrt(2) = 0.0707; alloc_0 0.9 and 0.7 give 0.8 ± 0.1414; mt1's
# mao2023a accuracies 0.712 and 0.714 give 71.3 ± 0.1 (in %); adv/baseline's
# untargeted rmse 0.29 and 0.31 give 0.3 ± 0.0141; one seed: no ± part.
. "$top_srcdir/t/lib.sh"
mk_tmp
db=$T_TMP/r.db
plan 38

"$top_builddir/t/report_fixture" "$db"
ok $? "fixture database"

# check DESCRIPTION ARGS... (expected output on stdin)
check() {
    desc=$1
    shift
    want=$(cat)
    got=$("$L2D" report "$@" "$db" 2>"$T_TMP/err")
    rc=$?
    [ $rc -eq 0 ] && [ ! -s "$T_TMP/err" ] || diag "stderr: $(cat "$T_TMP/err")"
    is "$got
(exit $rc)" "$want
(exit 0)" "$desc"
}

check 'default layout, markdown, every experiment'  <<'EOF'
## sweep (split test, attack clean)

| method | cost.beta_scale | n | risk            | accuracy        | alloc_model     | alloc_expert1   |
|--------|-----------------|--:|----------------:|----------------:|----------------:|----------------:|
| sard   | 0.5             | 2 | 0.2500 ± 0.0707 | 0.7500 ± 0.0707 | 0.5500 ± 0.0707 | 0.4500 ± 0.0707 |
| sard   | 1               | 2 | 0.4000 ± 0.0000 | 0.6000 ± 0.0000 | 0.8000 ± 0.1414 | 0.2000 ± 0.1414 |
| mt     | 0.5             | 1 |          0.3500 |          0.6500 |          1.0000 |          0.0000 |

## mt1 (split test, attack clean)

| method   | n | accuracy        | alloc_model     | alloc_expert 1  | alloc_expert 2  |
|----------|--:|----------------:|----------------:|----------------:|----------------:|
| mao2023a | 2 | 0.7130 ± 0.0014 | 0.6000 ± 0.0000 | 0.0100 ± 0.0000 | 0.3900 ± 0.0000 |
| mao2024e | 2 | 0.5070 ± 0.0000 | 0.3800 ± 0.0000 | 0.3700 ± 0.0000 | 0.2500 ± 0.0000 |
| mt       | 2 | 0.7050 ± 0.0071 | 0.6600 ± 0.0000 | 0.1200 ± 0.0000 | 0.2200 ± 0.0000 |

## adv (split test, attack clean)

| method   | n | accuracy        | rmse            |
|----------|--:|----------------:|----------------:|
| baseline | 2 | 0.5000 ± 0.0000 | 0.1700 ± 0.0000 |
| sard     | 2 | 0.5000 ± 0.0000 | 0.1700 ± 0.0000 |

## empty (split test, attack clean)

| method | n |
|--------|--:|

(no finished runs)
EOF

check 'default layout, csv' --format csv --experiment sweep <<'EOF'
experiment,method,params,cost.beta_scale,n,risk_mean,risk_std,risk_n,accuracy_mean,accuracy_std,accuracy_n,alloc_model_mean,alloc_model_std,alloc_model_n,alloc_expert1_mean,alloc_expert1_std,alloc_expert1_n
sweep,sard,cost.beta_scale=0.5,0.5,2,0.25,0.07071067812,2,0.75,0.07071067812,2,0.55,0.07071067812,2,0.45,0.07071067812,2
sweep,sard,cost.beta_scale=1,1,2,0.4,0,2,0.6,0,2,0.8,0.1414213562,2,0.2,0.1414213562,2
sweep,mt,cost.beta_scale=0.5,0.5,1,0.35,,1,0.65,,1,1,,1,0,,1
EOF

check 'default layout, latex' --format latex --experiment sweep <<'EOF'
% sweep (split test, attack clean)
\begin{tabular}{llrrrrr}
\hline
method & cost.beta\_scale & $n$ & risk & accuracy & alloc\_model & alloc\_expert1 \\
\hline
sard & 0.5 & 2 & $0.2500 \pm 0.0707$ & $0.7500 \pm 0.0707$ & $0.5500 \pm 0.0707$ & $0.4500 \pm 0.0707$ \\
sard & 1 & 2 & $0.4000 \pm 0.0000$ & $0.6000 \pm 0.0000$ & $0.8000 \pm 0.1414$ & $0.2000 \pm 0.1414$ \\
mt & 0.5 & 1 & $0.3500$ & $0.6500$ & $1.0000$ & $0.0000$ \\
\hline
\end{tabular}
EOF

check 'mt-table1, markdown' --layout mt-table1 --experiment mt1 <<'EOF'
## mt1 (split test, attack clean)

| method   | n | Acc        | sL1         | model       | expert 1    | expert 2    |
|----------|--:|-----------:|------------:|------------:|------------:|------------:|
| mao2023a | 2 | 71.3 ± 0.1 | 1.45 ± 0.01 | 0.60 ± 0.00 | 0.01 ± 0.00 | 0.39 ± 0.00 |
| mao2024e | 2 | 50.7 ± 0.0 | 1.18 ± 0.00 | 0.38 ± 0.00 | 0.37 ± 0.00 | 0.25 ± 0.00 |
| mt       | 2 | 70.5 ± 0.7 | 1.29 ± 0.01 | 0.66 ± 0.00 | 0.12 ± 0.00 | 0.22 ± 0.00 |
EOF

check 'mt-table1, csv' --layout mt-table1 --format csv --experiment mt1 <<'EOF'
experiment,method,params,n,Acc_mean,Acc_std,Acc_n,sL1_mean,sL1_std,sL1_n,model_mean,model_std,model_n,expert 1_mean,expert 1_std,expert 1_n,expert 2_mean,expert 2_std,expert 2_n
mt1,mao2023a,,2,71.3,0.1414213562,2,1.45,0.01414213562,2,0.6,0,2,0.01,0,2,0.39,0,2
mt1,mao2024e,,2,50.7,0,2,1.18,0,2,0.38,0,2,0.37,0,2,0.25,0,2
mt1,mt,,2,70.5,0.7071067812,2,1.29,0.01414213562,2,0.66,0,2,0.12,0,2,0.22,0,2
EOF

check 'mt-table1, latex' --layout mt-table1 --format latex --experiment mt1 <<'EOF'
% mt1 (split test, attack clean)
\begin{tabular}{lrrrrrr}
\hline
method & $n$ & Acc & sL1 & model & expert 1 & expert 2 \\
\hline
mao2023a & 2 & $71.3 \pm 0.1$ & $1.45 \pm 0.01$ & $0.60 \pm 0.00$ & $0.01 \pm 0.00$ & $0.39 \pm 0.00$ \\
mao2024e & 2 & $50.7 \pm 0.0$ & $1.18 \pm 0.00$ & $0.38 \pm 0.00$ & $0.37 \pm 0.00$ & $0.25 \pm 0.00$ \\
mt & 2 & $70.5 \pm 0.7$ & $1.29 \pm 0.01$ & $0.66 \pm 0.00$ & $0.12 \pm 0.00$ & $0.22 \pm 0.00$ \\
\hline
\end{tabular}
EOF

check 'robustness (rmse), markdown' --layout robustness --experiment adv <<'EOF'
## adv (rmse under attack, split test)

| method   | n | clean           | untargeted      | targeted:0      | targeted:1      |
|----------|--:|----------------:|----------------:|----------------:|----------------:|
| baseline | 2 | 0.1700 ± 0.0000 | 0.3000 ± 0.0141 | 0.1900 ± 0.0000 | 0.4100 ± 0.0141 |
| sard     | 2 | 0.1700 ± 0.0000 | 0.1750 ± 0.0071 | 0.1700 ± 0.0000 | 0.1800 ± 0.0000 |
EOF

check 'robustness, csv' --layout robustness --format=csv --experiment adv <<'EOF'
experiment,method,params,n,clean_mean,clean_std,clean_n,untargeted_mean,untargeted_std,untargeted_n,targeted:0_mean,targeted:0_std,targeted:0_n,targeted:1_mean,targeted:1_std,targeted:1_n
adv,baseline,,2,0.17,0,2,0.3,0.01414213562,2,0.19,0,2,0.41,0.01414213562,2
adv,sard,,2,0.17,0,2,0.175,0.007071067812,2,0.17,0,2,0.18,0,2
EOF

check 'robustness, latex' --layout robustness --format latex --experiment adv <<'EOF'
% adv (rmse under attack, split test)
\begin{tabular}{lrrrrr}
\hline
method & $n$ & clean & untargeted & targeted:0 & targeted:1 \\
\hline
baseline & 2 & $0.1700 \pm 0.0000$ & $0.3000 \pm 0.0141$ & $0.1900 \pm 0.0000$ & $0.4100 \pm 0.0141$ \\
sard & 2 & $0.1700 \pm 0.0000$ & $0.1750 \pm 0.0071$ & $0.1700 \pm 0.0000$ & $0.1800 \pm 0.0000$ \\
\hline
\end{tabular}
EOF

check 'robustness of another metric, every experiment that has it' --layout robustness --metric risk <<'EOF'
## sweep (risk under attack, split test)

| method | cost.beta_scale | n | clean           | untargeted      |
|--------|-----------------|--:|----------------:|----------------:|
| sard   | 0.5             | 2 | 0.2500 ± 0.0707 | 0.5500 ± 0.0707 |
| sard   | 1               | 2 | 0.4000 ± 0.0000 |               - |
| mt     | 0.5             | 1 |          0.3500 |               - |

## empty (risk under attack, split test)

| method | n |
|--------|--:|

(no finished runs)
EOF

check '--split val' --split val --experiment sweep <<'EOF'
## sweep (split val, attack clean)

| method | cost.beta_scale | n | risk            |
|--------|-----------------|--:|----------------:|
| sard   | 0.5             | 2 | 0.1250 ± 0.0354 |
| sard   | 1               | 2 |               - |
| mt     | 0.5             | 1 |               - |
EOF

check '--attack untargeted' --attack untargeted --experiment adv <<'EOF'
## adv (split test, attack untargeted)

| method   | n | rmse            |
|----------|--:|----------------:|
| baseline | 2 | 0.3000 ± 0.0141 |
| sard     | 2 | 0.1750 ± 0.0071 |
EOF

check '--metrics' --metrics risk,alloc_1 --experiment sweep <<'EOF'
## sweep (split test, attack clean)

| method | cost.beta_scale | n | risk            | alloc_1         |
|--------|-----------------|--:|----------------:|----------------:|
| sard   | 0.5             | 2 | 0.2500 ± 0.0707 | 0.4500 ± 0.0707 |
| sard   | 1               | 2 | 0.4000 ± 0.0000 | 0.2000 ± 0.1414 |
| mt     | 0.5             | 1 |          0.3500 |          0.0000 |
EOF

check 'an experiment without finished runs' --experiment empty <<'EOF'
## empty (split test, attack clean)

| method | n |
|--------|--:|

(no finished runs)
EOF

out=$("$L2D" report --help)
ok $? "--help"
like "$out" "^usage: l2d report" "--help prints the usage"

# fails DESCRIPTION EXIT_STATUS MESSAGE_REGEX ARGS...: one line on stderr, nothing on stdout
fails() {
    desc=$1 want_rc=$2 re=$3
    shift 3
    "$L2D" report "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    rc=$?
    msg=$(cat "$T_TMP/err")
    if [ $rc -eq "$want_rc" ] && [ ! -s "$T_TMP/out" ] && [ "$(wc -l <"$T_TMP/err")" -eq 1 ] &&
        printf '%s\n' "$msg" | grep -Eq -- "$re"; then
        ok 0 "$desc: $msg"
    else
        ok 1 "$desc"
        diag "exit $rc (want $want_rc), stderr: $msg"
    fi
}
printf 'not a database, only some text that is long enough to be read as a header\n' >"$T_TMP/text.db"
: >"$T_TMP/zero.db"
fails "missing database" 1 "^l2d report: .*/absent\.db: no such file$" "$T_TMP/absent.db"
fails "not a SQLite file" 1 "^l2d report: .*/text\.db: .*not a database$" "$T_TMP/text.db"
fails "empty file" 1 "^l2d report: .*/zero\.db: not an l2d results database" "$T_TMP/zero.db"
fails "unknown format" 2 "^l2d report: unknown format 'html' \(md, csv, latex\)" --format html "$db"
fails "unknown layout" 2 "^l2d report: unknown layout 'table9'" --layout table9 "$db"
fails "unknown experiment" 1 "no experiment named 'nope'$" --experiment nope "$db"
out=$("$L2D" report --metrics alloc_expert1 --experiment sweep --format csv "$db" 2>&1)
is "$(printf '%s\n' "$out" | cut -d, -f6-7 | tr '\n' ' ')" "alloc_expert1_mean,alloc_expert1_std 0.45,0.07071067812 0.2,0.1414213562 0, " \
    "--metrics alloc_NAME: the allocation to the agent of that name (alloc_1 here)"
fails "unknown metric" 1 "no metric 'riks' on split 'test', attack 'clean' \(there are: accuracy, alloc_0, " --metrics risk,riks "$db"
fails "split without metrics" 1 "no metrics on split 'tset', attack 'clean' \(there are splits: test, val; attacks: clean, targeted:0, targeted:1, untargeted\)" --split tset "$db"
fails "attack without metrics" 1 "no metrics on split 'test', attack 'untrageted' \(there are splits: [a-z, ]+; attacks: [a-z:0-9, ]+\)" --attack untrageted "$db"
fails "robustness metric not found" 1 "no metric 'mAP' on split 'test' \(there are" --layout robustness --metric mAP "$db"
fails "no database" 2 "which results database" --format csv
fails "option without value" 2 "needs a value" "$db" --experiment
fails "unknown option" 2 "unknown option '--colour'" --colour "$db"
fails "empty metric in the list" 2 "expected names separated by commas" --metrics "risk,,rmse" "$db"
fails "two databases" 2 "one database at a time" "$db" "$db"
fails "--metric with mt-table1" 2 "mt-table1 has fixed columns: no --metric " --layout mt-table1 --metric rmse "$db"
fails "--metrics with mt-table1" 2 "mt-table1 has fixed columns: no --metrics " --layout mt-table1 --metrics rmse "$db"
# the default layout takes --metric as a one-column --metrics: the same
# table, and a name that matches nothing lists the metrics there are
is "$("$L2D" report --metric rmse "$db" 2>&1; echo "rc $?")" "$("$L2D" report --metrics rmse "$db" 2>&1; echo "rc $?")" \
    "--metric NAME in the default layout: the table of --metrics NAME"
is "$("$L2D" report --metric rmse --experiment adv "$db" | sed -n 3p | tr -s ' ')" "| method | n | rmse |" \
    "(a table whose only metric column is rmse)"
fails "--metric matching nothing, default layout" 1 "no metric 'defer' on split 'test', attack 'clean' \(there are: accuracy, alloc_0, alloc_1, alloc_2, risk, rmse, smooth_l1\)\$" --metric defer "$db"
done_testing
