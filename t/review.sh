#!/bin/sh
# Review: bad inputs a user can give the l2d command, each refused with one
# line that names what is wrong and a non-zero exit status.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
# 124 assertions, and one plugin-check per shipped plugin (below)
n_so=$(ls "$top_builddir"/plugins/.libs/*.so | wc -l)
plan $((124 + n_so))
cfg=$E2E/sweep.ini

# refused NAME STATUS REGEX CMD...: CMD exits STATUS with one stderr line
# matching REGEX
refused() {
    _name=$1 _want=$2 _re=$3
    shift 3
    "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
    is "$?" "$_want" "$_name: exit status $_want"
    is "$(wc -l <"$T_TMP/err" | tr -d ' ')" "1" "$_name: one line"
    like "$(cat "$T_TMP/err")" "$_re" "$_name: the message"
}

# The number of agents is part of the configuration: 1 or more than 64 are
# refused before anything runs (exit 2, no database), not recorded as a
# failed run for each cell.
sed '/^\[agent.expert1\]/,/^query_cost = 0.2$/d' "$cfg" >"$T_TMP/one.ini"
refused "one agent" 2 "^l2d run: $T_TMP/one.ini: need 2 to 64 \\[agent.NAME\\] sections .*found 1" \
    "$L2D" run -q "$T_TMP/one.ini" --db "$T_TMP/one.db"
test ! -e "$T_TMP/one.db"
ok $? "one agent: no database written"
{
    cat "$cfg"
    i=4
    while [ $i -le 65 ]; do
        printf '\n[agent.e%d]\nplugin = cluster-expert\nz = 3\ncls_clusters = 1\nreg_clusters = 1\n' $i
        i=$((i + 1))
    done
} >"$T_TMP/many.ini"
refused "65 agents" 2 "^l2d run: $T_TMP/many.ini: need 2 to 64 \\[agent.NAME\\] sections .*found 65" \
    "$L2D" run -q "$T_TMP/many.ini" --db "$T_TMP/many.db"
test ! -e "$T_TMP/many.db"
ok $? "65 agents: no database written"

# plugin-check passes every shipped plugin: one whose parameter is
# required (csv's path, category-expert's classes) is only instantiated
# when it is a surrogate, so nothing needs to be --set for it; a --set that
# does not fit the plugin is still refused.
for so in "$top_builddir"/plugins/.libs/*.so; do
    "$L2D" plugin-check "$so" >"$T_TMP/out" 2>"$T_TMP/err"
    is "$?:$(cat "$T_TMP/err")" "0:" "plugin-check $(basename "$so"): ok"
done
refused "plugin-check csv --set bogus" 1 "^l2d plugin-check: csv: bogus: unknown parameter$" \
    "$L2D" plugin-check "$top_builddir/plugins/.libs/csv.so" --set bogus=1
refused "plugin-check csv --set missing=maybe" 1 "^l2d plugin-check: csv: missing: 'maybe' is not one of" \
    "$L2D" plugin-check "$top_builddir/plugins/.libs/csv.so" --set missing=maybe

# --plugin-path is typed by the user: a directory that is not there (or a
# file) is a usage error, not silently searched and found empty.
refused "plugins --plugin-path missing" 2 "^l2d plugins: --plugin-path: '$T_TMP/nope': No such file or directory" \
    "$L2D" plugins --plugin-path "$T_TMP/nope"
refused "plugins --plugin-path a file" 2 "^l2d plugins: --plugin-path: '$cfg' is not a directory" \
    "$L2D" plugins --plugin-path "$top_builddir/plugins/.libs:$cfg"
refused "run --plugin-path missing" 2 "^l2d run: --plugin-path: '$T_TMP/nope': No such file" \
    "$L2D" run "$cfg" --dry-run --plugin-path "$T_TMP/nope"
refused "surrogate eval --plugin-path missing" 2 "^l2d surrogate: --plugin-path: '$T_TMP/nope': No such file" \
    "$L2D" surrogate eval --plugin ce --plugin-path "$T_TMP/nope"
"$L2D" plugins --brief --plugin-path "$top_builddir/plugins/.libs::" >/dev/null 2>&1
ok $? "plugins --plugin-path with an empty entry: fine"

# gnuplot is run through sh with its path in single quotes, each ' in it
# written as '\'' (4 bytes): a PATH directory full of quotes must fit the
# command buffer (a heap overflow under ASan before the fix)
q=$T_TMP/$(printf "%0150d" 0 | tr 0 "'")
mkdir "$q" && printf '#!/bin/sh\ncat >/dev/null\necho "fake gnuplot: cannot plot" >&2\nexit 3\n' >"$q/gnuplot" &&
    chmod +x "$q/gnuplot"
"$top_builddir/t/report_fixture" "$T_TMP/plot.db" extra
refused "gnuplot in a directory named with quotes" 1 "^l2d report: gnuplot failed: fake gnuplot: cannot plot$" \
    env PATH="$q:$PATH" "$L2D" report "$T_TMP/plot.db" --plot eps --output "$T_TMP/p.png"

# surrogate eval: a NUL byte ends what strtok sees, so the rest of the row
# would be dropped silently; a very long bad token is cut in the message
printf '2 0 0 1 0\0 3 4\n' >"$T_TMP/nul.txt"
refused "surrogate eval: NUL byte" 1 "^stdin:1: NUL byte: not a text row$" \
    sh -c '"$1" surrogate eval --plugin ce <"$2"' sh "$L2D" "$T_TMP/nul.txt"
awk 'BEGIN { s = "2 "; for (i = 0; i < 5000; i++) s = s "1"; print s "x 0 1 0" }' >"$T_TMP/long.txt"
refused "surrogate eval: long bad token" 1 "^stdin:1: '1{40}\\.\\.\\.' is not a finite number$" \
    sh -c '"$1" surrogate eval --plugin ce <"$2"' sh "$L2D" "$T_TMP/long.txt"

# a NUL byte in the configuration: named with its line (was "iniparser
# could not read the file", or at the start of the file a silently empty
# first line)
printf '[experiment]\nseeds = 0\000junk\n' >"$T_TMP/nul.ini"
refused "config: NUL byte" 2 "^l2d run: $T_TMP/nul.ini:2: NUL byte: not a text configuration file$" \
    "$L2D" run "$T_TMP/nul.ini" --dry-run
{ printf '\000'; cat "$cfg"; } >"$T_TMP/nul1.ini"
refused "config: NUL byte first" 2 "^l2d run: $T_TMP/nul1.ini:1: NUL byte: not a text configuration file$" \
    "$L2D" run "$T_TMP/nul1.ini" --dry-run

# [rejector] hidden takes at most 16 layers: more is refused before any
# work, not a failed run saying the list "is not a list of sizes"
refused "rejector: 17 hidden layers" 2 "^l2d run: --set rejector.hidden: 17 hidden layers \\(at most 16\\)" \
    "$L2D" run "$cfg" --dry-run --db "$T_TMP/h.db" --set rejector.hidden=2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2
"$L2D" run -q "$cfg" --dry-run --db "$T_TMP/h.db" --set rejector.hidden=2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2
ok $? "rejector: 16 hidden layers are fine"

# surrogate eval: A is at most 4096 (rho-margin is O(A^2) per row: a row
# of a million agents ran for over an hour); 4096 itself is fine
printf '1000000 0 1\n' >"$T_TMP/bigA.txt"
refused "surrogate eval: A = 1000000" 1 "^stdin:1: A = 1000000 agents \\(must be 2 \\.\\. 4096\\)$" \
    sh -c '"$1" surrogate eval --plugin rho-margin <"$2"' sh "$L2D" "$T_TMP/bigA.txt"
awk 'BEGIN { s = "4096"; for (i = 0; i < 4096; i++) s = s " 0.5"; for (i = 0; i < 4096; i++) s = s " 1"; print s }' >"$T_TMP/A4096.txt"
got=$("$L2D" surrogate eval --plugin rho-margin <"$T_TMP/A4096.txt" | awk '{ print NF }')
is "$got" "4097" "surrogate eval: A = 4096 gives a loss and 4096 gradients"

# [cost] against what the data set and the agents give: refused before any
# work (exit 2, no database), not a failed run for every cell
refused "cost: lambda_reg without a target" 2 \
    "^l2d run: $cfg:[0-9]+: \\[cost\\] lambda_reg: lambda_reg = 1 but the data set has no regression target; set lambda_reg = 0 \\(cell cost.beta_scale=0;train.nu=0.5;seed=0\\)$" \
    "$L2D" run -q "$cfg" --db "$T_TMP/c1.db" --set dataset.target=false
test ! -e "$T_TMP/c1.db"
ok $? "cost: lambda_reg without a target: no database written"
refused "cost: an agent without a class" 2 \
    "^l2d run: $cfg:[0-9]+: \\[cost\\] lambda_cla: lambda_cla = 1 but agent 'model' predicts no class; set lambda_cla = 0 " \
    "$L2D" run -q "$cfg" --db "$T_TMP/c2.db" --set agent.model.task=target
refused "cost: iou with one target" 2 \
    "^l2d run: --set cost.reg: reg = iou needs 4 regression targets \\(x1,y1,x2,y2\\), the data set has 1 " \
    "$L2D" run -q "$cfg" --db "$T_TMP/c3.db" --set cost.reg=iou
"$L2D" run -q "$cfg" --dry-run --set agent.model.task=target --set cost.lambda_cla=0
ok $? "cost: an agent without a class is fine with lambda_cla = 0"

# --shard I/N: numbers beyond unsigned int were wrapped by sscanf's %u
# (4294967296/4294967297 became 0/1 and ran every cell)
for sh in 4294967296/4294967297 1/4294967296 -1/4 +1/4 " 1/4" 1/ /4 1/4x 0x1/4; do
    re=$(printf '%s' "$sh" | sed 's/[+]/[+]/g')
    refused "--shard '$sh'" 2 "^l2d run: --shard takes I/N with 0 <= I < N, not '$re'" \
        "$L2D" run "$cfg" --dry-run --shard "$sh"
done
"$L2D" run "$cfg" --dry-run --shard 4294967294/4294967295 2>"$T_TMP/err"
like "$?:$(head -n 1 "$T_TMP/err")" "^0:l2d run: 8 cells, 0 in this shard$" "--shard 4294967294/4294967295: no cell"

# the configuration must be a regular file of sane size: /dev/zero has no
# end of line (reading it ran out of memory), a pipe cannot be read twice
# (iniparser reopens the file)
refused "config: /dev/zero" 2 "^l2d run: /dev/zero: not a regular file$" "$L2D" run /dev/zero --dry-run
refused "config: a directory" 2 "^l2d run: $T_TMP: not a regular file$" "$L2D" run "$T_TMP" --dry-run
dd if=/dev/zero of="$T_TMP/huge.ini" bs=1 count=0 seek=17M 2>/dev/null
refused "config: 17 MiB" 2 "^l2d run: $T_TMP/huge.ini: larger than 16777216 bytes" "$L2D" run "$T_TMP/huge.ini" --dry-run

# a second SIGTERM stops l2d at once, as a second SIGINT does (the handler
# only reset SIGINT: a run fitting its agents could not be killed by TERM)
"$L2D" run "$cfg" --db "$T_TMP/term.db" --set dataset.n=3000000 --set sweep.train.nu=1 \
    --set sweep.cost.beta_scale=0 2>"$T_TMP/term.err" &
pid=$!
i=0
while ! grep -q 'cells, 2 in this shard' "$T_TMP/term.err" && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 1500 ]; do
    sleep 0.02
    i=$((i + 1))
done
sleep 0.3 # into the data of the first cell (seconds: 3e6 rows, the agents fitted)
kill -TERM "$pid"
sleep 0.3
kill -TERM "$pid" 2>/dev/null
wait "$pid"
is "$?" "143" "a second SIGTERM kills l2d (status 128 + 15)"

# the model's query cost: beta_0 = 0 (docs/math.md §2), so a non-zero
# value was silently ignored; 0 is fine
refused "model query_cost" 2 "^l2d run: --set agent.model.query_cost: the model \\(the first agent\\) is never charged a query cost" \
    "$L2D" run "$cfg" --dry-run --set agent.model.query_cost=5
"$L2D" run -q "$cfg" --dry-run --set agent.model.query_cost=0
ok $? "model query_cost = 0 is fine"

# cluster-expert: z above the training rows is known from the data set's
# info, so it is refused before any work (was a failed run per cell)
refused "cluster-expert z > training rows" 2 \
    "^l2d run: --set agent.expert1.z: cluster-expert: parameter 'z' = 1000 exceeds the 210 training rows \\(cell " \
    "$L2D" run "$cfg" --db "$T_TMP/z.db" --set agent.expert1.z=1000
test ! -e "$T_TMP/z.db"
ok $? "cluster-expert z > training rows: no database written"

# beta_scale * query_cost overflowing: refused before any work
refused "beta overflow" 2 \
    "^l2d run: --set agent.expert1.query_cost: beta = beta_scale \\* query_cost = 1e\\+308 \\* 1e\\+308 overflows \\(cell " \
    "$L2D" run "$cfg" --db "$T_TMP/b.db" --set agent.expert1.query_cost=1e308 --set sweep.cost.beta_scale=1e308

# plugin-check on rho-margin (piecewise linear, subgradients): with many
# trials some points fall within h of a kink, where the central difference
# mixes two slopes; a gradient between the one-sided slopes is correct
"$L2D" plugin-check --trials 100000 "$top_builddir/plugins/.libs/rho-margin.so" >"$T_TMP/out" 2>"$T_TMP/err"
is "$?:$(cat "$T_TMP/err")" "0:" "plugin-check rho-margin, 100000 trials: ok"
like "$(cat "$T_TMP/out")" "5 agents, 100000 trials: .*: ok \\([0-9]+ coordinates next to a kink: a subgradient\\)$" \
    "plugin-check rho-margin: the kinks are counted"

# a filter threshold that underflows (1e-400) is a number (0), not refused
"$L2D" run -q "$cfg" --dry-run --set agent.expert1.plugin=network --unset agent.expert1.z \
    --unset agent.expert1.cls_clusters --unset agent.expert1.reg_clusters \
    --set "agent.expert1.filter=x0 > -1e-400" 2>"$T_TMP/err"
is "$?:$(cat "$T_TMP/err")" "0:" "network filter 'x0 > -1e-400' is accepted"
"$L2D" run -q "$cfg" --dry-run --set agent.expert1.plugin=network --unset agent.expert1.z \
    --unset agent.expert1.cls_clusters --unset agent.expert1.reg_clusters \
    --set "agent.expert1.filter=x0 > 1e400" 2>"$T_TMP/err"
like "$?:$(cat "$T_TMP/err")" "^2:.*'1e400' is not a number" "network filter 'x0 > 1e400' is refused"

# agent names of at most 64 characters: a longer one could not be targeted
# by name ([eval] said there was no such agent) and its label was cut
long=$(printf "%065d" 0 | tr 0 a)
sed "s/^\[agent.expert1\]\$/[agent.$long]/" "$cfg" >"$T_TMP/long.ini"
refused "agent name of 65 characters" 2 "^l2d run: $T_TMP/long.ini:[0-9]+: \\[agent.$long\\]: agent name longer than 64 characters" \
    "$L2D" run "$T_TMP/long.ini" --dry-run
sed "s/^\[agent.expert1\]\$/[agent.$(printf "%064d" 0 | tr 0 a)]/" "$cfg" >"$T_TMP/long64.ini"
"$L2D" run -q "$T_TMP/long64.ini" --dry-run --set "eval.attacks=targeted:$(printf "%064d" 0 | tr 0 a)"
ok $? "an agent name of 64 characters can be targeted"

# rho-margin refuses a negative cost, as ce does (it returned a negative loss)
printf '2 0 0 -1 0\n' >"$T_TMP/neg.txt"
refused "rho-margin: negative cost" 1 "^stdin:1: rho-margin: cost \\[0\\]\\[0\\] is -1 \\(must be >= 0\\)$" \
    sh -c '"$1" surrogate eval --plugin rho-margin <"$2"' sh "$L2D" "$T_TMP/neg.txt"
refused "smooth-adv: negative cost" 1 "^stdin:1: smooth-adv: cost of agent 0 is -1 \\(must be finite and >= 0\\)$" \
    sh -c '"$1" surrogate eval --plugin smooth-adv <"$2"' sh "$L2D" "$T_TMP/neg.txt"

done_testing
