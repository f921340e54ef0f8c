# Shared helpers for the shell TAP tests. Source it: . "$top_srcdir/t/lib.sh"
set -u
: "${top_srcdir:?run under make check}"
: "${top_builddir:?run under make check}"
L2D=${L2D:-$top_builddir/l2d}
T_N=0
T_FAIL=0
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
ok() { # ok COND_EXIT_STATUS DESCRIPTION
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
# is GOT WANT DESCRIPTION
is() {
    T_N=$((T_N + 1))
    if [ "$1" = "$2" ]; then echo "ok $T_N - $3"; else
        echo "not ok $T_N - $3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; T_FAIL=$((T_FAIL + 1)); fi
}
# like GOT REGEX DESCRIPTION (grep -E)
like() {
    T_N=$((T_N + 1))
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then echo "ok $T_N - $3"; else
        echo "not ok $T_N - $3"; echo "#   got:  '$1'"; echo "#   want match: '$2'"; T_FAIL=$((T_FAIL + 1)); fi
}
# close GOT WANT TOL DESCRIPTION: |got-want| <= tol
close() {
    T_N=$((T_N + 1))
    if awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN{d=g-w; if(d<0)d=-d; exit !(g==g && d<=t)}'; then
        echo "ok $T_N - $4"; else echo "not ok $T_N - $4"; echo "#   got $1 want $2 tol $3"; T_FAIL=$((T_FAIL + 1)); fi
}
diag() { echo "# $*"; }
done_testing() { [ "$T_FAIL" -eq 0 ]; exit $?; }
# a scratch directory removed on exit
mk_tmp() { T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/l2d-test.XXXXXX"); trap 'rm -rf "$T_TMP"' EXIT; }
