#!/bin/sh
# The image data sets through `l2d`: both listed with their parameters, a
# bad path refused before any work, and (where Debian's dataset-fashion-mnist
# is installed) a small Fashion-MNIST run with a PGD attack clamped to the
# data set's [0, 1] range, its metrics checked in the database.
. "$top_srcdir/t/lib.sh"
mk_tmp
FM=/usr/share/datasets/fashion-mnist
plan 10

out=$("$L2D" plugins --kind dataset 2>&1)
like "$out" "^dataset +idx +1\.0 " "l2d plugins lists idx"
like "$out" "^dataset +cifar +1\.0 " "l2d plugins lists cifar"
like "$out" "train_limit +int" "with parameter help (train_limit)"
like "$out" "labels +enum +\{fine\|coarse\} = fine" "cifar's labels = fine | coarse"

cat > "$T_TMP/fm.ini" <<EOI
[experiment]
name = fm
seeds = 0
db = $T_TMP/fm.db

[dataset]
plugin = idx
train_limit = 2000
test_limit = 500

[agent.model]
plugin = network
task = class
hidden = 16
epochs = 3

[agent.m1]
plugin = category-expert
classes = T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal
query_cost = 0.1

[agent.m2]
plugin = category-expert
classes = 5, 6, 7, 8, 9
query_cost = 0.1

[cost]
lambda_cla = 1
lambda_reg = 0

[rejector]
arch = linear

[train]
epochs = 3
lr = 0.01
optimizer = adam

[attack]
plugin = pgd
eps = 0.1
steps = 3
clamp = true

[eval]
attacks = clean, untargeted
EOI

err=$("$L2D" run "$T_TMP/fm.ini" --set dataset.path="$T_TMP/none" 2>&1)
rc=$?
is "$rc" 2 "a missing folder: l2d run refuses the configuration (exit 2)"
like "$err" "idx: cannot open directory '$T_TMP/none'" "and names it"

if [ ! -d "$FM" ] || [ -z "${SQLITE3:-}" ]; then
    for _ in 1 2 3 4; do
        T_N=$((T_N + 1)); echo "ok $T_N # SKIP no $FM (apt-get install dataset-fashion-mnist) or no sqlite3"
    done
    done_testing
fi
"$L2D" run "$T_TMP/fm.ini" >"$T_TMP/out" 2>&1
ok $? "a Fashion-MNIST run (2000 + 500 images, PGD clamped to [0, 1])"
q() { "$SQLITE3" "$T_TMP/fm.db" "$1"; }
is "$(q "SELECT status FROM runs")" "done" "the run is done"
acc=$(q "SELECT value FROM metrics WHERE split='test' AND attack='clean' AND name='accuracy'")
adv=$(q "SELECT value FROM metrics WHERE split='test' AND attack='untargeted' AND name='accuracy'")
awk -v a="$acc" 'BEGIN{exit !(a > 0.5 && a <= 1)}'; ok $? "clean test accuracy above 0.5: $acc"
awk -v a="$acc" -v b="$adv" 'BEGIN{exit !(b < a)}'; ok $? "the attack lowers it: $adv"
done_testing
