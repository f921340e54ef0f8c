# Helpers for the end-to-end tests of `l2d run` (t/e2e_*.sh); source it
# after t/lib.sh. Checks of the database need the sqlite3 shell ($SQLITE3,
# found by configure); without it they are reported as TAP skips.
E2E=$top_srcdir/t/data/e2e
SQLITE3=${SQLITE3:-}
have_sql() { [ -n "$SQLITE3" ]; }
# sql DB QUERY: rows as a|b|c lines (a plain connection: a read leaves the
# file as it was, and removes the -wal and -shm files on close)
sql() { "$SQLITE3" -batch -noheader "$1" "$2"; }
# skip N REASON: N skipped tests
skip() {
    _i=0
    while [ "$_i" -lt "$1" ]; do
        T_N=$((T_N + 1)); echo "ok $T_N # SKIP $2"; _i=$((_i + 1))
    done
}
# Scripts declare their plan first (plan N): one that dies half way runs
# fewer tests than planned, and fails.
# Every metric of every run, exact: text to compare between databases.
# quote() writes a REAL so that it reads back to the same double (SQLite's
# printf('%.17g') stops at 16 digits, which is not enough).
dump_metrics() {
    sql "$1" "SELECT r.cell_id, m.split, m.attack, m.name, quote(m.value)
              FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4;
              SELECT r.cell_id, a.agent_index, a.agent_name, a.split, a.name, quote(a.value)
              FROM agent_metrics a JOIN runs r ON r.id = a.run_id ORDER BY 1, 2, 4, 5;
              SELECT r.cell_id, e.epoch, quote(e.train_loss), quote(e.train_risk),
                     quote(e.val_loss), quote(e.val_risk)
              FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY 1, 2;
              SELECT cell_id, params, method, seed, status, quote(error), best_epoch, rejector_passes
              FROM runs ORDER BY cell_id;"
}
