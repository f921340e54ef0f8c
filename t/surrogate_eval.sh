#!/bin/sh
# `l2d surrogate eval` with the ce plugin: loss, gradient and infimum of
# hand-computed rows, and the exit status and message of bad input.
. "$top_srcdir/t/lib.sh"
plan 55
mk_tmp

# field N of the only output line
field() { printf '%s\n' "$1" | awk -v n="$2" '{ print $n }'; }
nfields() { printf '%s\n' "$1" | awk '{ print NF }'; }

# r = (0, 0), c = (1, 2): s = (1/2, 1/2), tau = (2, 1).
#   nu = 0: Phi_j = 1/s_j - 1 = 1, loss 3; grad_k = s_k sum_j tau_j/s_j - tau_k/s_k = (-1, 1);
#           infimum (sqrt 2 + 1)^2 - 3 = 2 sqrt 2
#   nu = 1: loss 3 log 2, grad 3 s - tau = (-1/2, 1/2), infimum 2 log(3/2) + log 3
#   nu = 2: loss 3/2 (1 - s_j = 1/2), grad_k = s_k (tau.s - tau_k) = (-1/4, 1/4), infimum 3 - 2
#   nu = 3: Phi_j = (1 - s_j^2)/2 = 3/8, loss 9/8, grad_k = s_k tau.s^2 - tau_k s_k^2
#           = (-1/8, 1/8), infimum (3 - 2)/2 (the erratum's vertex value)
check_row() { # nu loss g0 g1 inf
    out=$(echo "2 0 0 1 2" | "$L2D" surrogate eval --plugin ce --set "nu=$1" --infimum 2>&1)
    ok $? "nu=$1 runs"
    is "$(nfields "$out")" 4 "nu=$1: loss, 2 gradients, infimum"
    close "$(field "$out" 1)" "$2" 1e-15 "nu=$1 loss"
    close "$(field "$out" 2)" "$3" 1e-15 "nu=$1 grad 0"
    close "$(field "$out" 3)" "$4" 1e-15 "nu=$1 grad 1"
    close "$(field "$out" 4)" "$5" 1e-15 "nu=$1 infimum"
}
check_row 0 3 -1 1 2.8284271247461903
check_row 1 2.0794415416798357 -0.5 0.5 1.9095425048844386
check_row 2 1.5 -0.25 0.25 1
check_row 3 1.125 -0.125 0.125 0.5

# several rows of different A, comments and blank lines; default nu = 1.
# r = (0, log 2, log 3), c = (1, 2, 3): s = (1/6, 1/3, 1/2), tau = (5, 4, 3),
# loss 5 log 6 + 4 log 3 + 3 log 2, grad 12 s - tau = (-3, 0, 3)
cat > "$T_TMP/rows" <<'ROWS'
# A r... c...
2 0 0 1 2

3 0 0.69314718055994531 1.0986122886681098   1 2 3   # a comment
ROWS
out=$("$L2D" surrogate eval --plugin ce < "$T_TMP/rows" 2>&1)
ok $? "two rows with comments and blank lines"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "one output line per row"
row2=$(printf '%s\n' "$out" | sed -n 2p)
is "$(nfields "$row2")" 4 "A = 3 without --infimum: loss and 3 gradients"
close "$(field "$row2" 1)" 15.432688042492549 1e-13 "A = 3 loss (log-softmax by hand)"
close "$(field "$row2" 2)" -3 1e-14 "A = 3 grad 0"
close "$(field "$row2" 3)" 0 1e-14 "A = 3 grad 1"
close "$(field "$row2" 4)" 3 1e-14 "A = 3 grad 2"
like "$(printf '%s\n' "$out" | sed -n 1p)" '^2\.0794415416798357 -0\.5 0\.5$' "%.17g, single spaces"

# bad rows: exit 1 and stdin:LINE
bad_row() { # input line-number regex description
    err=$(printf "$1" | "$L2D" surrogate eval --plugin ce 2>&1 >/dev/null); rc=$?
    is "$rc" 1 "$3: exit 1"
    like "$err" "^stdin:$2: " "$3: message names the line ($err)"
}
bad_row '2 0 0 1\n' 1 "too few numbers"
bad_row '# c\n2 0 0 1 2\n2 0 0 1 2 3\n' 3 "too many numbers"
bad_row '2 0 abc 1 2\n' 1 "a non-number"
bad_row '1 0 1\n' 1 "A = 1"
bad_row 'x 0 0 1 2\n' 1 "A not an integer"
bad_row '2 0 0 -1 2\n' 1 "a negative cost"
err=$(echo "2 1000 -1000 1 1" | "$L2D" surrogate eval --plugin ce --set nu=0 2>&1 >/dev/null)
is "$?" 1 "nu = 0 overflow: exit 1"
like "$err" "^stdin:1: ce: non-finite loss at sample 0 \(nu = 0\)" "overflow message: $err"

# usage errors: exit 2
"$L2D" surrogate eval --plugin no-such-surrogate </dev/null 2>"$T_TMP/err"
is "$?" 2 "unknown plugin: exit 2"
like "$(cat "$T_TMP/err")" "no surrogate plugin named 'no-such-surrogate'" "unknown plugin message"
"$L2D" surrogate eval --plugin ce --set nu=-1 </dev/null 2>"$T_TMP/err"
is "$?" 2 "nu out of range: exit 2"
like "$(cat "$T_TMP/err")" "nu.*out of range" "out of range message"
"$L2D" surrogate eval --plugin ce --set bogus=1 </dev/null 2>"$T_TMP/err"
is "$?" 2 "unknown parameter: exit 2"
"$L2D" surrogate eval </dev/null 2>/dev/null
is "$?" 2 "no --plugin: exit 2"
"$L2D" surrogate frobnicate </dev/null 2>/dev/null
is "$?" 2 "unknown action: exit 2"
out=$("$L2D" surrogate eval --help); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" "usage: l2d surrogate eval --plugin NAME" "--help prints the usage"
done_testing
