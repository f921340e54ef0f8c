#!/bin/sh
# Results schema 2 -> 3 on a version-2 database with runs
# (t/data/migrate/results_v2.sql): l2d run upgrades it and resumes its
# experiment; every old row keeps every version-2 column; the new columns
# are NULL in old rows; experiments created afterwards say which code made
# them (the commit, build and BLAS of `l2d --version`) and record absolute
# plugin paths; a new database is shaped as the upgraded one.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
have_sql || skip_all "no sqlite3 shell"
plan 17
mk_tmp
db=$T_TMP/v2.db
"$SQLITE3" -batch "$db" <"$top_srcdir/t/data/migrate/results_v2.sql"
ok $? "the version-2 fixture loads"
is "$(sql "$db" 'PRAGMA user_version')" 2 "user_version 2"
# every version-2 column of every table, exactly
v2_rows() {
    for t in experiments experiment_plugins runs run_params epochs metrics agent_metrics; do
        cols=$(sql "$T_TMP/v2cols.db" "SELECT group_concat('quote(' || name || ')', ' || ''|'' || ')
                                      FROM pragma_table_info('$t')")
        case $t in runs) w="id IN (1, 2)" ;; experiment*) w=1 ;; *) w="run_id IN (1, 2)" ;; esac
        sql "$1" "SELECT '$t', $cols FROM $t WHERE $w ORDER BY rowid"
    done
}
"$SQLITE3" -batch "$T_TMP/v2cols.db" <"$top_srcdir/t/data/migrate/results_v2.sql"
v2_rows "$db" >"$T_TMP/before"
is "$(grep -c '^runs|' "$T_TMP/before")" 2 "the fixture has 2 runs"
"$L2D" report "$db" >/dev/null 2>"$T_TMP/err"
like "$(cat "$T_TMP/err")" "results schema version 2 is older than this l2d's \(4\)" "l2d report asks for the upgrade"

"$L2D" run "$top_srcdir/t/data/migrate/legacy.ini" --db "$db" 2>"$T_TMP/err"
ok $? "l2d run of the fixture's experiment upgrades it"
like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 1 ran, 2 already done;" "and resumes it: 1 ran, 2 already done"
is "$(sql "$db" 'PRAGMA user_version')" 4 "user_version 4"
v2_rows "$db" >"$T_TMP/after"
cmp -s "$T_TMP/before" "$T_TMP/after"
ok $? "every old row keeps every version-2 column, exactly"
is "$(sql "$db" "SELECT quote(code_commit) || quote(build_options) || quote(blas) FROM experiments")" \
    "NULLNULLNULL" "the old experiment: no provenance (NULL)"
is "$(sql "$db" "SELECT count(*) FROM epochs WHERE val_adv_risk IS NOT NULL")" 0 \
    "epochs: val_adv_risk NULL (old runs; the new one selects on val_risk)"

is "$(sql "$db" "SELECT agent || '=' || alloc FROM v_allocation WHERE run_id = 1 AND split = 'test'
                 AND attack = 'clean' ORDER BY agent_index" | tr '\n' ' ')" \
    "$(sql "$db" "SELECT (SELECT agent_name FROM agent_metrics a WHERE a.run_id = 1 AND a.agent_index = 0 LIMIT 1) || '=' || value
                 FROM metrics WHERE run_id = 1 AND split = 'test' AND attack = 'clean' AND name = 'alloc_0'") $(sql "$db" "SELECT (SELECT agent_name FROM agent_metrics a WHERE a.run_id = 1 AND a.agent_index = 1 LIMIT 1) || '=' || value
                 FROM metrics WHERE run_id = 1 AND split = 'test' AND attack = 'clean' AND name = 'alloc_1'") $(sql "$db" "SELECT (SELECT agent_name FROM agent_metrics a WHERE a.run_id = 1 AND a.agent_index = 2 LIMIT 1) || '=' || value
                 FROM metrics WHERE run_id = 1 AND split = 'test' AND attack = 'clean' AND name = 'alloc_2'") " \
    "v_allocation on the upgraded database: old runs' allocations, by agent name"

# a new database: which code made it
"$L2D" run "$top_srcdir/t/data/migrate/legacy.ini" --db "$T_TMP/new.db" --quiet 2>"$T_TMP/err"
ok $? "the same experiment into a new database"
commit=$("$L2D" --version | sed -n 's/^commit: //p')
build=$("$L2D" --version | sed -n 's/^build: //p')
blas=$("$L2D" --version | sed -n 's/^BLAS: //p')
is "$(sql "$T_TMP/new.db" "SELECT code_commit FROM experiments")" "$commit" "code_commit = l2d --version's commit ($commit)"
is "$(sql "$T_TMP/new.db" "SELECT build_options FROM experiments")" "$build" "build_options = l2d --version's build"
is "$(sql "$T_TMP/new.db" "SELECT blas FROM experiments")" "$blas" "blas = l2d --version's BLAS"
is "$(sql "$T_TMP/new.db" "SELECT count(*) FROM experiment_plugins WHERE path NOT LIKE '/%'")" 0 \
    "plugin paths are absolute"
shape() { sql "$1" "SELECT m.name || '.' || p.name FROM sqlite_schema m, pragma_table_info(m.name) p
                    WHERE m.type = 'table' ORDER BY m.name, p.cid"; }
is "$(shape "$db")" "$(shape "$T_TMP/new.db")" "upgraded and new databases: the same tables and columns, in order"
done_testing
