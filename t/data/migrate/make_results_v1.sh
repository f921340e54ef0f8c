#!/bin/sh
# Makes t/data/migrate/results_v1.sql: a results database of schema version 1,
# dumped as SQL text, for the migration tests (t/test_store.c, t/migrate.sh).
#
#   sh t/data/migrate/make_results_v1.sh [L2D] > t/data/migrate/results_v1.sql
#
# Run it from the top of a git checkout with l2d built (L2D, default ./l2d).
# The schema is results/schema.sql as it was at version 1 (commit 90a31eb),
# taken from git. Its rows:
#  - experiment 'legacy' (t/data/migrate/legacy.ini, its plugins, and its
#    runs with their parameters, epochs, metrics and agent metrics), run by
#    L2D with --shard 0/2, so that cells 1 and 3 of 3 are done and cell 2 is
#    left to run after the upgrade; copied into the version-1 database
#    column by column (only the columns version 1 has);
#  - experiment 'old' by hand: a done run on 'cpu' and a failed one with its
#    error, a curve with NULLs, and values that show any loss of precision.
set -eu
L2D=${1:-./l2d}
V1_COMMIT=90a31eb
tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2d-v1.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git show "$V1_COMMIT:results/schema.sql" > "$tmp/schema.sql"
grep -q '^PRAGMA user_version = 1;$' "$tmp/schema.sql"
sqlite3 -batch "$tmp/v1.db" < "$tmp/schema.sql"
"$L2D" run t/data/migrate/legacy.ini --db "$tmp/new.db" --shard 0/2 --quiet

# the version-1 columns of each table, in order
cols() { sqlite3 -batch -noheader "$tmp/v1.db" "SELECT group_concat(name, ', ') FROM pragma_table_info('$1')"; }
{
    echo "ATTACH '$tmp/new.db' AS n; BEGIN;"
    for t in experiments experiment_plugins runs run_params epochs metrics agent_metrics; do
        c=$(cols "$t")
        echo "INSERT INTO main.$t ($c) SELECT $c FROM n.$t ORDER BY rowid;"
    done
    # plugin paths relative to the build tree, not this machine's
    echo "UPDATE experiment_plugins SET path = replace(path, '$(pwd)/', '');"
    cat <<'SQL'
INSERT INTO experiments (id, name, config_text, config_hash, code_version, created_at)
  VALUES (2, 'old', '[experiment]
name = old
', '0123456789abcdef', '0.0.9', '2024-01-02T03:04:05Z');
INSERT INTO experiment_plugins VALUES (2, 'surrogate', 'ce', '0.2', NULL);
INSERT INTO runs (id, experiment_id, cell_id, params, method, seed, status, error, device,
                  started_at, finished_at, seconds, best_epoch, rejector_passes)
  VALUES (100, 2, 'method=sard;train.nu=0.5;seed=0', 'train.nu=0.5', 'sard', 0, 'done', NULL, 'cpu',
          1700000000.125, 1700000012.375, 12.25, 2, 123456789012),
         (101, 2, 'method=sard;train.nu=0.1;seed=0', 'train.nu=0.1', 'sard', 0, 'failed',
          'epoch 2: the training loss is not finite (inf)', 'cpu', 1700000013.5, 1700000014.0, 0.5,
          NULL, NULL);
INSERT INTO run_params VALUES (100, 'method', 'sard', NULL), (100, 'train.nu', '0.5', 0.5),
  (100, 'seed', '0', 0), (101, 'method', 'sard', NULL), (101, 'train.nu', '0.1', 0.1),
  (101, 'seed', '0', 0);
INSERT INTO epochs VALUES (100, 1, 1.25, 0.5, 1.5, 0.625, 0.125), (100, 2, 0.75, 0.375, NULL, 0.5, 0.25),
  (101, 1, 2.5, 0.5, NULL, NULL, 0.25);
INSERT INTO metrics VALUES (100, 'test', 'clean', 'risk', 0.1), (100, 'test', 'clean', 'accuracy', 0.9),
  (100, 'test', 'untargeted', 'risk', 0.30000000000000004), (100, 'val', 'clean', 'risk', 1e-300);
INSERT INTO agent_metrics VALUES (100, 0, 'model', 'test', 'accuracy', 0.875),
  (100, 1, 'expert1', 'test', 'accuracy', 0.625);
COMMIT;
SQL
} | sqlite3 -batch "$tmp/v1.db"
[ "$(sqlite3 -batch "$tmp/v1.db" 'PRAGMA user_version')" = 1 ]

echo "-- A results database of schema version 1, made by t/data/migrate/make_results_v1.sh"
echo "-- (its comments say what is in it): load with sqlite3_exec or the sqlite3 shell."
sqlite3 -batch "$tmp/v1.db" .dump
echo "PRAGMA user_version = 1;"
