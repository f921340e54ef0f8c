#!/bin/sh
# `l2d report --paper` and the order of the targeted columns, on the fixture
# databases of t/report_fixture. The numbers of adv2 (extra fixture): the
# baseline's untargeted rmse 0.28 and 0.30 give 0.29 ± 0.02/sqrt(2) =
# 0.0141; the agents' own rmse is the same for every method of a seed, so
# it counts once per seed (n = 2, not 5 runs): m1 1.20 and 1.26 give 1.23 ±
# 0.0424. The paper's numbers are those of docs/protocols.md, at their precision.
. "$top_srcdir/t/lib.sh"
mk_tmp
db=$T_TMP/r.db
xdb=$T_TMP/x.db
plan 21

"$top_builddir/t/report_fixture" "$db" && "$top_builddir/t/report_fixture" "$xdb" extra
ok $? "fixture databases"

# check DESCRIPTION DB ARGS... (expected output on stdin)
check() {
    desc=$1 d=$2
    shift 2
    want=$(cat)
    got=$("$L2D" report "$@" "$d" 2>"$T_TMP/err")
    rc=$?
    [ $rc -eq 0 ] && [ ! -s "$T_TMP/err" ] || diag "stderr: $(cat "$T_TMP/err")"
    is "$got
(exit $rc)" "$want
(exit 0)" "$desc"
}

check 'targeted columns by agent index (model, m1, m2, m3), by config order without agent metrics' "$xdb" --layout robustness --experiment adv2 <<'EOF'
## adv2 (rmse under attack, split test)

| method   | n | clean           | untargeted      | targeted:model  | targeted:m1     | targeted:m2     | targeted:m3     |
|----------|--:|----------------:|----------------:|----------------:|----------------:|----------------:|----------------:|
| sard     | 2 | 0.1700 ± 0.0000 | 0.1700 ± 0.0000 | 0.1700 ± 0.0000 | 0.1800 ± 0.0000 | 0.1800 ± 0.0000 | 0.1800 ± 0.0000 |
| baseline | 2 | 0.1700 ± 0.0000 | 0.2900 ± 0.0141 | 0.1900 ± 0.0000 | 0.4000 ± 0.0141 | 0.2100 ± 0.0000 | 0.4100 ± 0.0141 |
| plain    | 1 |          0.2000 |          0.5000 |          0.3000 |          0.6000 |          0.4000 |          0.7000 |
EOF

check 'agents from the config when no agent metrics (zeta before alpha)' "$xdb" --layout robustness --experiment cfgagents <<'EOF'
## cfgagents (rmse under attack, split test)

| method | n | clean  | targeted:zeta | targeted:alpha |
|--------|--:|-------:|--------------:|---------------:|
| m      | 1 | 0.1000 |        0.2000 |         0.3000 |
EOF

check 'adv-table2, markdown: paper rows under ours, agents table' "$xdb" --paper adv-table2 --experiment adv2 <<'EOF'
## adv2 (rmse under attack, split test; paper: ADV Table 2)

| method          | n | clean           | untargeted      | targeted:model  | targeted:m1     | targeted:m2     | targeted:m3     |
|-----------------|--:|----------------:|----------------:|----------------:|----------------:|----------------:|----------------:|
| sard            | 2 | 0.1700 ± 0.0000 | 0.1700 ± 0.0000 | 0.1700 ± 0.0000 | 0.1800 ± 0.0000 | 0.1800 ± 0.0000 | 0.1800 ± 0.0000 |
| paper: SARD     |   |            0.17 |            0.17 |            0.17 |            0.18 |            0.18 |            0.18 |
| baseline        | 2 | 0.1700 ± 0.0000 | 0.2900 ± 0.0141 | 0.1900 ± 0.0000 | 0.4000 ± 0.0141 | 0.2100 ± 0.0000 | 0.4100 ± 0.0141 |
| paper: baseline |   |            0.17 |            0.29 |            0.19 |            0.40 |            0.21 |            0.41 |
| plain           | 1 |          0.2000 |          0.5000 |          0.3000 |          0.6000 |          0.4000 |          0.7000 |

## adv2: agents (their own rmse, split test; paper: ADV Table 2)

| agent        | n | rmse            |
|--------------|--:|----------------:|
| model        | 2 | 0.2700 ± 0.0141 |
| paper: model |   |            0.27 |
| m1           | 2 | 1.2300 ± 0.0424 |
| paper: M1    |   |            1.23 |
| m2           | 2 | 1.8500 ± 0.0000 |
| paper: M2    |   |            1.85 |
| m3           | 2 | 0.9100 ± 0.0141 |
| paper: M3    |   |            0.91 |
EOF

check 'adv-table2, csv' "$xdb" --paper adv-table2 --experiment adv2 --format csv <<'EOF'
experiment,method,params,n,clean_mean,clean_std,clean_n,untargeted_mean,untargeted_std,untargeted_n,targeted:model_mean,targeted:model_std,targeted:model_n,targeted:m1_mean,targeted:m1_std,targeted:m1_n,targeted:m2_mean,targeted:m2_std,targeted:m2_n,targeted:m3_mean,targeted:m3_std,targeted:m3_n,rmse_mean,rmse_std,rmse_n
adv2,sard,,2,0.17,0,2,0.17,0,2,0.17,0,2,0.18,0,2,0.18,0,2,0.18,0,2,,,
adv2,paper: SARD,,,0.17,,,0.17,,,0.17,,,0.18,,,0.18,,,0.18,,,,,
adv2,baseline,,2,0.17,0,2,0.29,0.01414213562,2,0.19,0,2,0.4,0.01414213562,2,0.21,0,2,0.41,0.01414213562,2,,,
adv2,paper: baseline,,,0.17,,,0.29,,,0.19,,,0.4,,,0.21,,,0.41,,,,,
adv2,plain,,1,0.2,,1,0.5,,1,0.3,,1,0.6,,1,0.4,,1,0.7,,1,,,
adv2: agents,model,,2,,,,,,,,,,,,,,,,,,,0.27,0.01414213562,2
adv2: agents,paper: model,,,,,,,,,,,,,,,,,,,,,0.27,,
adv2: agents,m1,,2,,,,,,,,,,,,,,,,,,,1.23,0.04242640687,2
adv2: agents,paper: M1,,,,,,,,,,,,,,,,,,,,,1.23,,
adv2: agents,m2,,2,,,,,,,,,,,,,,,,,,,1.85,0,2
adv2: agents,paper: M2,,,,,,,,,,,,,,,,,,,,,1.85,,
adv2: agents,m3,,2,,,,,,,,,,,,,,,,,,,0.91,0.01414213562,2
adv2: agents,paper: M3,,,,,,,,,,,,,,,,,,,,,0.91,,
EOF

check 'adv-table2, latex' "$xdb" --paper adv-table2 --experiment adv2 --format latex <<'EOF'
% adv2 (rmse under attack, split test; paper: ADV Table 2)
\begin{tabular}{lrrrrrrr}
\hline
method & $n$ & clean & untargeted & targeted:model & targeted:m1 & targeted:m2 & targeted:m3 \\
\hline
sard & 2 & $0.1700 \pm 0.0000$ & $0.1700 \pm 0.0000$ & $0.1700 \pm 0.0000$ & $0.1800 \pm 0.0000$ & $0.1800 \pm 0.0000$ & $0.1800 \pm 0.0000$ \\
paper: SARD &  & $0.17$ & $0.17$ & $0.17$ & $0.18$ & $0.18$ & $0.18$ \\
baseline & 2 & $0.1700 \pm 0.0000$ & $0.2900 \pm 0.0141$ & $0.1900 \pm 0.0000$ & $0.4000 \pm 0.0141$ & $0.2100 \pm 0.0000$ & $0.4100 \pm 0.0141$ \\
paper: baseline &  & $0.17$ & $0.29$ & $0.19$ & $0.40$ & $0.21$ & $0.41$ \\
plain & 1 & $0.2000$ & $0.5000$ & $0.3000$ & $0.6000$ & $0.4000$ & $0.7000$ \\
\hline
\end{tabular}

% adv2: agents (their own rmse, split test; paper: ADV Table 2)
\begin{tabular}{lrr}
\hline
agent & $n$ & rmse \\
\hline
model & 2 & $0.2700 \pm 0.0141$ \\
paper: model &  & $0.27$ \\
m1 & 2 & $1.2300 \pm 0.0424$ \\
paper: M1 &  & $1.23$ \\
m2 & 2 & $1.8500 \pm 0.0000$ \\
paper: M2 &  & $1.85$ \\
m3 & 2 & $0.9100 \pm 0.0141$ \\
paper: M3 &  & $0.91$ \\
\hline
\end{tabular}
EOF

# a database (or experiment) without any of the paper's methods is another
# experiment's: refused, in one line naming what it holds and what the
# paper expects, with nothing on stdout
refused() { # refused DESCRIPTION MESSAGE ARGS...
    desc=$1 want=$2
    shift 2
    got=$("$L2D" report "$@" 2>"$T_TMP/err")
    rc=$?
    is "$rc|$got|$(wc -l <"$T_TMP/err" | tr -d ' ')" "1||1" "$desc: exit 1, one line, no table"
    is "$(cat "$T_TMP/err")" "l2d report: $want" "$desc: the message"
}
refused 'adv-table2 on an experiment of none of its methods' \
    "$xdb: --paper adv-table2 (ADV Table 2) expects runs of experiments/adv_table2_housing.ini with the methods baseline or mao2024e, sard; the database holds experiment cfgagents (methods m)" \
    "$xdb" --paper adv-table2 --experiment cfgagents
refused 'mt-table1 on a database of other experiments' \
    "$xdb: --paper mt-table1 (MT Table 1) expects runs of experiments/mt_table1_housing.ini with the methods mao2023a, mao2024e, mt; the database holds experiments adv2 (methods sard, baseline, plain), cfgagents (methods m), eps (methods baseline, sard), arch (methods default), beta (methods default)" \
    "$xdb" --paper mt-table1

check 'mt-table1, markdown' "$db" --paper mt-table1 --experiment mt1 <<'EOF'
## mt1 (split test, attack clean; paper: MT Table 1)

| method           | n | Acc        | sL1         | model       | expert 1    | expert 2    |
|------------------|--:|-----------:|------------:|------------:|------------:|------------:|
| mao2023a         | 2 | 71.3 ± 0.1 | 1.45 ± 0.01 | 0.60 ± 0.00 | 0.01 ± 0.00 | 0.39 ± 0.00 |
| paper: Mao 2023a |   |       71.3 |        1.45 |        0.60 |        0.01 |        0.39 |
| mao2024e         | 2 | 50.7 ± 0.0 | 1.18 ± 0.00 | 0.38 ± 0.00 | 0.37 ± 0.00 | 0.25 ± 0.00 |
| paper: Mao 2024e |   |       50.7 |        1.18 |        0.38 |        0.37 |        0.25 |
| mt               | 2 | 70.5 ± 0.7 | 1.29 ± 0.01 | 0.66 ± 0.00 | 0.12 ± 0.00 | 0.22 ± 0.00 |
| paper: MT        |   |       70.0 |        1.28 |        0.66 |        0.12 |        0.22 |
EOF

check 'mt-table1, csv' "$db" --paper mt-table1 --experiment mt1 --format csv <<'EOF'
experiment,method,params,n,Acc_mean,Acc_std,Acc_n,sL1_mean,sL1_std,sL1_n,model_mean,model_std,model_n,expert 1_mean,expert 1_std,expert 1_n,expert 2_mean,expert 2_std,expert 2_n
mt1,mao2023a,,2,71.3,0.1414213562,2,1.45,0.01414213562,2,0.6,0,2,0.01,0,2,0.39,0,2
mt1,paper: Mao 2023a,,,71.3,,,1.45,,,0.6,,,0.01,,,0.39,,
mt1,mao2024e,,2,50.7,0,2,1.18,0,2,0.38,0,2,0.37,0,2,0.25,0,2
mt1,paper: Mao 2024e,,,50.7,,,1.18,,,0.38,,,0.37,,,0.25,,
mt1,mt,,2,70.5,0.7071067812,2,1.29,0.01414213562,2,0.66,0,2,0.12,0,2,0.22,0,2
mt1,paper: MT,,,70,,,1.28,,,0.66,,,0.12,,,0.22,,
EOF

check 'mt-table1, latex' "$db" --paper mt-table1 --experiment mt1 --format latex <<'EOF'
% mt1 (split test, attack clean; paper: MT Table 1)
\begin{tabular}{lrrrrrr}
\hline
method & $n$ & Acc & sL1 & model & expert 1 & expert 2 \\
\hline
mao2023a & 2 & $71.3 \pm 0.1$ & $1.45 \pm 0.01$ & $0.60 \pm 0.00$ & $0.01 \pm 0.00$ & $0.39 \pm 0.00$ \\
paper: Mao 2023a &  & $71.3$ & $1.45$ & $0.60$ & $0.01$ & $0.39$ \\
mao2024e & 2 & $50.7 \pm 0.0$ & $1.18 \pm 0.00$ & $0.38 \pm 0.00$ & $0.37 \pm 0.00$ & $0.25 \pm 0.00$ \\
paper: Mao 2024e &  & $50.7$ & $1.18$ & $0.38$ & $0.37$ & $0.25$ \\
mt & 2 & $70.5 \pm 0.7$ & $1.29 \pm 0.01$ & $0.66 \pm 0.00$ & $0.12 \pm 0.00$ & $0.22 \pm 0.00$ \\
paper: MT &  & $70.0$ & $1.28$ & $0.66$ & $0.12$ & $0.22$ \\
\hline
\end{tabular}
EOF

out=$("$L2D" report --paper adv-table2 --layout robustness --metric rmse "$xdb" --experiment adv2)
is "$out" "$("$L2D" report --paper adv-table2 "$xdb" --experiment adv2)" "--layout and --metric may repeat the paper's"

# every experiment: the paper's rows only in those with one of its methods
out=$("$L2D" report --paper adv-table2 "$xdb" | grep -E '^##|^\| paper: SARD')
is "$out" "## adv2 (rmse under attack, split test; paper: ADV Table 2)
| paper: SARD     |   |            0.17 |            0.17 |            0.17 |            0.18 |            0.18 |            0.18 |
## adv2: agents (their own rmse, split test; paper: ADV Table 2)
## cfgagents (rmse under attack, split test)
## eps (rmse under attack, split test; paper: ADV Table 2)
| paper: SARD     |          |            |   |            0.17 |            0.17 |            0.17 |
## eps: agents (their own rmse, split test; paper: ADV Table 2)" "every experiment: paper rows where a method matches"

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
fails "unknown paper" 2 "^l2d report: unknown paper table 'adv-table9' \(mt-table1, adv-table2\)" --paper adv-table9 "$db"
fails "--paper without a value" 2 "needs a value" "$db" --paper
fails "--paper with another layout" 2 "comes in its own layout: no --layout default" --paper mt-table1 --layout default "$db"
fails "--paper mt-table1 with --metrics" 2 "has fixed columns: no --metrics risk" --paper mt-table1 --metrics risk "$db"
fails "--paper adv-table2 with another metric" 2 "has fixed columns: no --metric accuracy" --paper adv-table2 --metric accuracy "$xdb"
fails "--paper on a missing database" 1 "^l2d report: .*/absent\.db: no such file$" --paper adv-table2 "$T_TMP/absent.db"
done_testing
