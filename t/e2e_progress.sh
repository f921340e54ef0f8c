#!/bin/sh
# l2d run's progress on a terminal (util-linux script(1) gives one): one
# status line redrawn in place and cut to the terminal's width, with run i
# of n, the cell, the epoch and an ETA ("ETA --" until a run finished);
# each finished run keeps a line. Piped, one line per run and no redraws.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 12
cfg=$E2E/long.ini
esc=$(printf '\033')
cr=$(printf '\r')

# the pieces of a typescript, one a line: each redraw of the status line
# ("\r\033[K..."), each permanent line
pieces() { tr '\r' '\n' <"$1" | sed "s/$esc\\[K//g" | grep -v '^$'; }
status() { pieces "$1" | grep -E '^\[run [0-9]+/[0-9]+ ETA '; }
# eta N: the estimate (seconds) of each status line of run N: "ETA 42s",
# "ETA 3m05s", "ETA 1h02m"
eta() {
    sed -n "s/^\\[run $2\\/6 ETA \\([0-9hms]*\\)\\].*/\\1/p" "$1" |
        awk '{ s = 0; t = $0; while (match(t, /^[0-9]+[hms]/)) { v = substr(t, 1, RLENGTH - 1); u = substr(t, RLENGTH, 1);
               s += v * (u == "h" ? 3600 : u == "m" ? 60 : 1); t = substr(t, RLENGTH + 1) } print s }'
}
longest() { status "$1" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'; }

if ! script --version 2>/dev/null | grep -q util-linux; then
    skip 10 "no util-linux script(1) to make a terminal"
else
    # 40 columns (stty sets the terminal's size: TIOCGWINSZ reads it)
    script -qec "stty cols 40 && '$L2D' run '$cfg' --db '$T_TMP/a.db'" /dev/null </dev/null >"$T_TMP/tty"
    ok $? "the sweep runs on a terminal (exit 0)"
    n=$(longest "$T_TMP/tty")
    ok "$([ "$n" -ge 30 ] && [ "$n" -le 39 ]; echo $?)" \
        "every status line fits 40 columns (at most 39, the last column left free), and uses them (longest $n)"
    like "$(status "$T_TMP/tty" | grep -c '\.\.\.  epoch [0-9]*/40$')" "^[1-9][0-9]*$" \
        "too long for 40 columns, the cell is cut ('...') and the epoch stays"
    is "$(status "$T_TMP/tty" | head -n 1 | cut -c 1-16)" "[run 1/6 ETA --]" \
        "the first status line: run 1 of 6, no estimate yet (ETA --)"
    is "$(status "$T_TMP/tty" | grep -c '^\[run 1/6 ETA [0-9]')|$(status "$T_TMP/tty" | grep -c '^\[run [2-6]/6 ETA --')" "0|0" \
        "ETA -- exactly while no run has finished"
    is "$(status "$T_TMP/tty" | sed -n 's/^\[run \([2-6]\)\/6 ETA [0-9][0-9hms]*\] .*  epoch 40\/40$/\1/p' | sort -u | paste -s -d ' ' -)" \
        "2 3 4 5 6" "runs 2 to 6 show an estimate and reach epoch 40/40"
    # the estimate: at the start of run 2, the 5 runs left at the mean of one
    # (the first, which also built the data: the slowest); by run 6, one run
    status "$T_TMP/tty" >"$T_TMP/status"
    e2=$(eta "$T_TMP/status" 2 | head -n 1)
    e6=$(eta "$T_TMP/status" 6 | tail -n 1)
    ok "$([ -n "$e2" ] && [ -n "$e6" ] && [ "$e6" -le "$e2" ] && [ "$e2" -le 600 ]; echo $?)" \
        "the estimate falls as runs finish (run 2: ${e2}s, end of run 6: ${e6}s)"
    is "$(pieces "$T_TMP/tty" | grep ': done (' | sed 's/: done (.*//' | paste -s -d ' ' -)" \
        "$(printf '[run %s/6] train.nu=%s;seed=0\n' 1 0.5 2 0.75 3 1 4 1.25 5 1.5 6 2 | paste -s -d ' ' -)" \
        "each finished run keeps a line of its own, in order"
    like "$(pieces "$T_TMP/tty" | tail -n 1)" "^l2d run: 6 ran, 0 already done; results in " "the summary ends it"

    # a terminal whose size was never set (0 columns): $COLUMNS
    COLUMNS=50 script -qec "'$L2D' run '$cfg' --db '$T_TMP/b.db'" /dev/null </dev/null >"$T_TMP/tty2"
    n=$(longest "$T_TMP/tty2")
    ok "$([ "$n" -ge 40 ] && [ "$n" -le 49 ]; echo $?)" "no size from the terminal: \$COLUMNS (50) is the width (longest $n)"
fi

# piped: one line per run, no redraws, no status line
"$L2D" run "$cfg" --db "$T_TMP/c.db" 2>"$T_TMP/err"
ok $? "the sweep runs piped (exit 0)"
is "$(grep -c ': done (' "$T_TMP/err")|$(grep -c "[$cr$esc]" "$T_TMP/err")|$(grep -c 'ETA' "$T_TMP/err")" "6|0|0" \
    "piped: 6 lines of finished runs, no carriage return, escape or status line"
done_testing
