#!/bin/sh
# Bad configurations: each is refused before anything runs, with one line
# naming file:line, section and key, exit status 2, and the database left
# byte-for-byte as it was. Each case is t/data/e2e/sweep.ini with one edit.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 62
cfg=$E2E/sweep.ini
db=$T_TMP/a.db
"$L2D" run -q "$cfg" --db "$db" --set experiment.seeds=0 --set train.epochs=1
ok $? "a database to leave alone"
cp "$db" "$T_TMP/before.db"

# bad NAME SED_SCRIPT LINE_PATTERN MESSAGE_REGEX: the config edited by
# SED_SCRIPT is refused with a message FILE:LINE: MESSAGE_REGEX, where LINE
# is the first line of the edited file matching LINE_PATTERN
bad() {
    f=$T_TMP/$1.ini
    sed "$2" "$cfg" >"$f"
    line=$(grep -n -e "$3" "$f" | head -n 1 | cut -d: -f1)
    "$L2D" run "$f" --db "$db" 2>"$T_TMP/err"
    is "$?" "2" "$1: exit status 2"
    is "$(wc -l <"$T_TMP/err" | tr -d ' ')" "1" "$1: one line"
    like "$(cat "$T_TMP/err")" "^l2d run: $f:${line:-?}: $4" "$1: names $1.ini:$line"
    cmp -s "$db" "$T_TMP/before.db"
    ok $? "$1: database unchanged"
}

bad unknown_section '/^\[cost\]/i [bogus]\nfoo = 1\n' '^\[bogus\]' '\[bogus\]: unknown section'
bad unknown_key '/^\[train\]/a epochz = 3' '^epochz' '\[train\] epochz: unknown key'
bad bad_type 's/^epochs = 4$/epochs = four/' '^epochs = four' "\\[train\\] epochs: 'four' is not an integer"
bad bad_number 's/^lr = 0.01$/lr = 0.01x/' '^lr = ' "\\[train\\] lr: '0.01x' is not a finite number"
bad out_of_range 's/^batch = 64$/batch = 0/' '^batch = 0' '\[train\] batch: 0 is out of range \[1, '
bad bad_choice 's/^reg = smooth_l1$/reg = huber/' '^reg = ' "\\[cost\\] reg: 'huber' is not one of "
bad unknown_surrogate 's/^surrogate = ce$/surrogate = nope/' '^surrogate = ' \
    "\\[train\\] surrogate: no surrogate plugin named 'nope'"
bad unknown_agent_plugin 's/^plugin = network$/plugin = netwerk/' '^plugin = netwerk' \
    "\\[agent.model\\] plugin: no agent plugin named 'netwerk'"
bad sweep_unknown_key '/^\[sweep\]/a train.bogus = 1, 2' '^train.bogus' '\[sweep\] train.bogus: unknown key'
bad sweep_out_of_range 's/^train.nu = 0.5, 1$/train.nu = 0.5, -1/' '^train.nu = ' \
    '\[sweep\] train.nu: -1 is out of range .*\(cell cost.beta_scale=0;train.nu=-1\)'
# parameters only the agent plugin can judge: caught when the runner
# creates every agent on the data set before any cell runs
bad cluster_above_z 's/^cls_clusters = 3$/cls_clusters = 3, 7/' '^cls_clusters = 3, 7' \
    "\\[agent.expert2\\] cls_clusters: cluster-expert: parameter 'cls_clusters' lists C7 but there are only Z = 3"
bad swept_cluster_above_z '/^\[sweep\]/a agent.expert1.reg_clusters = 1, 5' '^agent.expert1.reg_clusters' \
    "\\[sweep\\] agent.expert1.reg_clusters: cluster-expert: parameter 'reg_clusters' lists C5 .*\\(cell agent.expert1.reg_clusters=5;"
# a data file that is not there: also caught before anything runs
bad missing_csv "/^plugin = synthetic\$/,/^clusters = 3\$/c plugin = csv\\npath = $T_TMP/nope.csv\\nclass = kind\\ntarget = price" \
    '^path = ' "\\[dataset\\] path: csv: cannot open '$T_TMP/nope.csv'"

# --set: the message names the override
"$L2D" run "$cfg" --db "$db" --set train.lr=abc 2>"$T_TMP/err"
is "$?" "2" "--set train.lr=abc: exit status 2"
like "$(cat "$T_TMP/err")" "^l2d run: --set train.lr: 'abc' is not a finite number" "--set: the message names the override"
"$L2D" run "$cfg" --db "$db" --set train.lrate=1 2>"$T_TMP/err"
like "$(cat "$T_TMP/err")" "^l2d run: --set train.lrate: unknown key" "--set of an unknown key"
cmp -s "$db" "$T_TMP/before.db"
ok $? "--set: database unchanged"

# a bad config with a database that does not exist yet: none is made
"$L2D" run "$T_TMP/unknown_key.ini" --db "$T_TMP/new/x.db" 2>/dev/null
is "$?" "2" "bad config, new database: exit status 2"
ok "$(ls -d "$T_TMP/new" 2>/dev/null | wc -l)" "no database nor directory made"
# nor with --dry-run
"$L2D" run "$T_TMP/cluster_above_z.ini" --dry-run 2>"$T_TMP/err"
is "$?" "2" "--dry-run checks the agents too"
"$L2D" run "$T_TMP/nope.ini" --db "$db" 2>"$T_TMP/err"
is "$?|$(cat "$T_TMP/err")" "2|l2d run: $T_TMP/nope.ini: cannot open: No such file or directory" \
    "a missing config file: exit 2, named"
cmp -s "$db" "$T_TMP/before.db"
ok $? "database unchanged at the end"
done_testing
