#!/bin/sh
# `l2d report --plot PARAM`: the data handed to gnuplot (--plot-data), the
# PNG, and bad inputs. The fixture (t/report_fixture DB extra), experiment
# eps: rmse = base + slope * eps, plus 0.02 for seed 1; baseline: base 0.2,
# slopes clean 0, untargeted 2, targeted:model 1; sard: base 0.3, slopes 0,
# 0.4, 0.2. So each mean is base + slope * eps + 0.01 and each std
# 0.02 / sqrt(2) = 0.01414213562 (n = 2); the failed run at eps 0.5 is left
# out. Experiment beta (one seed): risk = beta + nu, one line per nu.
. "$top_srcdir/t/lib.sh"
mk_tmp
db=$T_TMP/x.db
plan 23
skip() { T_N=$((T_N + 1)); echo "ok $T_N # SKIP $1"; }

"$top_builddir/t/report_fixture" "$db" extra
ok $? "fixture database"

# check DESCRIPTION ARGS... (expected stdout on stdin)
check() {
    desc=$1
    shift
    want=$(cat)
    got=$("$L2D" report "$@" 2>"$T_TMP/err")
    rc=$?
    [ $rc -eq 0 ] && [ ! -s "$T_TMP/err" ] || diag "stderr: $(cat "$T_TMP/err")"
    is "$got
(exit $rc)" "$want
(exit 0)" "$desc"
}

check 'eps: one line per method and attack, attacks by agent index' "$db" --plot eps --plot-data <<'EOF'
$s0 << EOD
# baseline clean
# attack.eps mean std n
0 0.21 0.01414213562 2
0.1 0.21 0.01414213562 2
0.25 0.21 0.01414213562 2
EOD
$s1 << EOD
# baseline untargeted
# attack.eps mean std n
0 0.21 0.01414213562 2
0.1 0.41 0.01414213562 2
0.25 0.71 0.01414213562 2
EOD
$s2 << EOD
# baseline targeted:model
# attack.eps mean std n
0 0.21 0.01414213562 2
0.1 0.31 0.01414213562 2
0.25 0.46 0.01414213562 2
EOD
$s3 << EOD
# sard clean
# attack.eps mean std n
0 0.31 0.01414213562 2
0.1 0.31 0.01414213562 2
0.25 0.31 0.01414213562 2
EOD
$s4 << EOD
# sard untargeted
# attack.eps mean std n
0 0.31 0.01414213562 2
0.1 0.35 0.01414213562 2
0.25 0.41 0.01414213562 2
EOD
$s5 << EOD
# sard targeted:model
# attack.eps mean std n
0 0.31 0.01414213562 2
0.1 0.33 0.01414213562 2
0.25 0.36 0.01414213562 2
EOD
EOF

full=$("$L2D" report "$db" --plot eps --plot-data)
is "$("$L2D" report "$db" --plot attack.eps --plot-data --metric rmse --split test --experiment eps)" "$full" \
    "eps is attack.eps; rmse, split test and the one experiment are the defaults"

check '--attack: that attack only' "$db" --plot eps --plot-data --attack untargeted <<'EOF'
$s0 << EOD
# baseline untargeted
# attack.eps mean std n
0 0.21 0.01414213562 2
0.1 0.41 0.01414213562 2
0.25 0.71 0.01414213562 2
EOD
$s1 << EOD
# sard untargeted
# attack.eps mean std n
0 0.31 0.01414213562 2
0.1 0.35 0.01414213562 2
0.25 0.41 0.01414213562 2
EOD
EOF

check 'any swept parameter; one line per setting of the others' "$db" --plot cost.beta_scale --metric risk --plot-data <<'EOF'
$s0 << EOD
# default clean (train.nu=1)
# cost.beta_scale mean std n
0 1 0 1
1 2 0 1
EOD
$s1 << EOD
# default clean (train.nu=2)
# cost.beta_scale mean std n
0 2 0 1
1 3 0 1
EOD
EOF

# the PNG, with gnuplot
if command -v gnuplot >/dev/null 2>&1; then
    mkdir "$T_TMP/here" && cd "$T_TMP/here" || exit 1
    out=$("$L2D" report "$db" --plot eps 2>"$T_TMP/err")
    rc=$?
    is "$out (exit $rc) $(cat "$T_TMP/err")" "wrote x-eps.png (exit 0) " "default output: DB name-eps.png, here"
    is "$(od -An -tx1 -N8 x-eps.png | tr -d ' \n')" "89504e470d0a1a0a" "it is a PNG"
    is "$(ls -A)" "x-eps.png" "no other file left behind"
    out=$("$L2D" report "$db" --plot cost.beta_scale --metric risk --output "$T_TMP/it's b.png" 2>"$T_TMP/err")
    is "$out (exit $?) $(cat "$T_TMP/err")" "wrote $T_TMP/it's b.png (exit 0) " "--output, a name with a quote and a blank"
    is "$(od -An -tx1 -N8 "$T_TMP/it's b.png" | tr -d ' \n')" "89504e470d0a1a0a" "that is a PNG too"
    out=$("$L2D" report "$db" --plot eps -o "$T_TMP/short.png" 2>"$T_TMP/err")
    is "$out (exit $?) $(cat "$T_TMP/err")" "wrote $T_TMP/short.png (exit 0) " "-o FILE: the same as --output"
    cd "$T_TMP" || exit 1
else
    for k in 1 2 3 4 5 6; do skip "gnuplot is not installed"; done
fi

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
fails "a parameter nobody sweeps" 1 "no finished runs sweep the parameter 'train.rho' \(swept: attack\.eps, cost\.beta_scale, rejector\.arch, train\.nu\)$" \
    "$db" --plot train.rho --output "$T_TMP/n.png"
fails "an experiment that does not sweep it" 1 "no finished runs of experiment 'beta' sweep the parameter 'attack\.eps' \(swept: cost\.beta_scale, train\.nu\)$" \
    "$db" --plot eps --experiment beta --plot-data
fails "no such experiment" 1 "no experiment named 'nope'$" "$db" --plot eps --experiment nope --plot-data
fails "a parameter that is not a number" 1 "parameter 'rejector\.arch' has the value 'mlp', not a number" \
    "$db" --plot rejector.arch --plot-data
fails "a metric not measured" 1 "no metric 'mAP' on split 'test' in the runs that sweep 'attack\.eps' \(there are metrics: risk, rmse; splits: test; attacks: clean, targeted:model, untargeted\)$" \
    "$db" --plot eps --metric mAP --plot-data
fails "an attack not measured" 1 "no metric 'rmse' on split 'test', attack 'targeted:m3' in the runs .*attacks: clean, targeted:model, untargeted\)$" \
    "$db" --plot eps --attack targeted:m3 --plot-data
# gnuplot missing: a PATH with nothing but ls (which libtool's wrapper needs)
mkdir "$T_TMP/bin" && ln -s "$(command -v ls)" "$T_TMP/bin/ls"
PATH=$T_TMP/bin "$L2D" report "$db" --plot eps --output "$T_TMP/g.png" >"$T_TMP/out" 2>"$T_TMP/err"
is "$? $(cat "$T_TMP/out")|$(cat "$T_TMP/err")" \
    "1 |l2d report: gnuplot is not on PATH: install gnuplot to draw plots" "gnuplot not on PATH: one line"
[ ! -e "$T_TMP/g.png" ]
ok $? "no PNG then"
if command -v gnuplot >/dev/null 2>&1; then
    fails "gnuplot fails" 1 "^l2d report: gnuplot failed: .*cannot open" "$db" --plot eps --output "$T_TMP/no/such/dir.png"
else
    skip "gnuplot is not installed"
fi
fails "--output without --plot" 2 "go with --plot PARAM" "$db" --output x.png
fails "--plot with a table option" 2 "no --format, --layout, --metrics, --paper" "$db" --plot eps --paper adv-table2
fails "--plot without a value" 2 "needs a value" "$db" --plot
done_testing
