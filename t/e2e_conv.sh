#!/bin/sh
# Convolutional rejectors through l2d run ([rejector] arch = resnet4, cnn):
# the tabular sweep's 4 features as a 4-channel 1x1 image. A ResNet-4 runs
# every cell, twice to the same bits; a CNN's pooling does not fit 1x1
# images and every cell says so; a bad channel list is a usage error.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 8
cfg=$E2E/sweep.ini
r4="--set rejector.arch=resnet4 --set rejector.width=4"

"$L2D" run -q "$cfg" --db "$T_TMP/a.db" $r4 2>"$T_TMP/err"
ok $? "arch = resnet4: the sweep runs"
"$L2D" run -q "$cfg" --db "$T_TMP/b.db" $r4 2>"$T_TMP/err"
ok $? "arch = resnet4: again, into another database"
if have_sql; then
    is "$(sql "$T_TMP/a.db" "SELECT count(*) FROM runs WHERE status = 'done'")" "8" "8 runs done"
    dump_metrics "$T_TMP/a.db" >"$T_TMP/ma"
    dump_metrics "$T_TMP/b.db" >"$T_TMP/mb"
    cmp -s "$T_TMP/ma" "$T_TMP/mb"
    ok $? "the two runs' metrics are bit-identical ($(wc -l <"$T_TMP/ma") rows)"
else
    skip 2 "no sqlite3 shell"
fi

"$L2D" run "$cfg" --db "$T_TMP/c.db" --set rejector.arch=cnn 2>"$T_TMP/err"
ok "$([ $? -ne 0 ]; echo $?)" "arch = cnn on 1x1 images fails"
like "$(tail -n 1 "$T_TMP/err")" "too small for 2 CNN stages" "... and says why"

"$L2D" run "$cfg" --db "$T_TMP/d.db" --set rejector.arch=cnn --set rejector.channels=8,x 2>"$T_TMP/err"
is "$?" "2" "a bad channel list is a usage error"
like "$(cat "$T_TMP/err")" "rejector.channels: '8,x' is not a list of channel counts" "... naming the key"
done_testing
