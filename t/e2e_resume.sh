#!/bin/sh
# Resume: the same config into the same database runs nothing and leaves
# the file as it was; a --set that changes the config is a new experiment.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 15
cfg=$E2E/sweep.ini
db=$T_TMP/a.db

"$L2D" run -q "$cfg" --db "$db"
ok $? "first run"
cp "$db" "$T_TMP/before.db"
"$L2D" run "$cfg" --db "$db" 2>"$T_TMP/err"
ok $? "rerun exits 0"
is "$(grep -c ': already done, skipped$' "$T_TMP/err")" "8" "every cell is already done"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 0 ran, 8 already done;" "nothing ran"
cmp -s "$db" "$T_TMP/before.db"
ok $? "the database file is byte-for-byte unchanged"
ok "$(ls "$db"-wal "$db"-shm 2>/dev/null | wc -l)" "no -wal or -shm file left behind"

# a --set that gives the same configuration text is the same experiment
"$L2D" run "$cfg" --db "$db" --set train.epochs=4 --set dataset.plugin=synthetic 2>"$T_TMP/err"
ok $? "rerun with --set of the values already there"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 0 ran, 8 already done;" "still nothing to run"
cmp -s "$db" "$T_TMP/before.db"
ok $? "database still unchanged"

# a --set that changes the config: a new experiment, all cells run
"$L2D" run "$cfg" --db "$db" --set train.epochs=5 2>"$T_TMP/err"
ok $? "rerun with train.epochs=5"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 8 ran, 0 already done;" "all 8 cells of the new experiment ran"
if have_sql; then
    is "$(sql "$db" "SELECT e.id, e.name, count(r.id), sum(r.status = 'done') FROM experiments e
                      JOIN runs r ON r.experiment_id = e.id GROUP BY e.id ORDER BY e.id" | tr '\n' ' ')" \
        "1|e2e-sweep|8|8 2|e2e-sweep|8|8 " "two experiments of the same name, 8 done runs each"
    is "$(sql "$db" "SELECT count(*) FROM experiments WHERE config_text LIKE '%epochs = 5%'")" "1" \
        "the new experiment's config text holds the override"
    is "$(sql "$db" "SELECT r.experiment_id, count(*) FROM epochs e JOIN runs r ON r.id = e.run_id
                      GROUP BY r.experiment_id ORDER BY 1" | tr '\n' ' ')" "1|32 2|40 " \
        "4 epochs per run in the first, 5 in the second"
    sql "$db" "SELECT r.cell_id, m.split, m.name, quote(m.value) FROM metrics m JOIN runs r ON r.id = m.run_id
               WHERE r.experiment_id = 1 ORDER BY 1, 2, 3" >"$T_TMP/after.txt"
    sql "$T_TMP/before.db" "SELECT r.cell_id, m.split, m.name, quote(m.value) FROM metrics m JOIN runs r ON r.id = m.run_id
               ORDER BY 1, 2, 3" >"$T_TMP/before.txt"
    cmp -s "$T_TMP/before.txt" "$T_TMP/after.txt"
    ok $? "the first experiment's metrics are untouched"
else
    skip 4 "no sqlite3 shell"
fi
done_testing
