#!/bin/sh
# Training does something: with experts that are each good on one part of
# the data (t/data/e2e/complementary.ini), the trained rejector's deferral
# risk is far below that of the best single agent and near the oracle's;
# the training loss falls. The last epoch is kept (select = last), so that a
# rejector trained uphill cannot hide behind the first epoch's checkpoint.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
have_sql || skip_all "no sqlite3 shell"
plan 6
mk_tmp
db=$T_TMP/c.db
"$L2D" run "$E2E/complementary.ini" --db "$db" --quiet 2>"$T_TMP/err"
ok $? "the complementary-experts experiment runs"
q() { sql "$db" "$1"; }
risk=$(q "SELECT value FROM metrics WHERE split = 'test' AND attack = 'clean' AND name = 'risk'")
best=$(q "SELECT min(value) FROM agent_metrics WHERE split = 'test' AND name = 'risk'")
oracle=$(q "SELECT value FROM metrics WHERE split = 'test' AND attack = 'clean' AND name = 'oracle_risk'")
diag "test risk $risk, best single agent $best, oracle $oracle"
awk -v r="$risk" -v b="$best" 'BEGIN { exit !(r > 0 && b > 0.5 && r < 0.3 * b) }'
ok $? "the rejector's risk $risk is below 0.3 x the best single agent's $best"
awk -v r="$risk" -v o="$oracle" 'BEGIN { exit !(r >= o && r < o + 0.1) }'
ok $? "and within 0.1 of the oracle's $oracle"
f=$(q "SELECT train_loss FROM epochs WHERE epoch = 1")
l=$(q "SELECT train_loss FROM epochs ORDER BY epoch DESC LIMIT 1")
awk -v f="$f" -v l="$l" 'BEGIN { exit !(l < f - 0.2) }'
ok $? "the training loss falls: $f -> $l"
fr=$(q "SELECT train_risk FROM epochs WHERE epoch = 1")
lr=$(q "SELECT train_risk FROM epochs ORDER BY epoch DESC LIMIT 1")
awk -v f="$fr" -v l="$lr" 'BEGIN { exit !(l < f) }'
ok $? "so does the training risk: $fr -> $lr"
is "$(q "SELECT best_epoch FROM runs")" "$(q "SELECT max(epoch) FROM epochs")" "select = last keeps the last epoch"
done_testing
