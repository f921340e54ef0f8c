#!/bin/sh
# Mutation testing: apply each mutation of a list (t/mutations.txt), one at a
# time, to the source; rebuild; run `make check`; restore. A mutation the
# tests do not catch is a survivor, named at the end; the exit status is 1
# when there is any (or a mutation does not apply or does not build), else 0.
#
#   t/mutate.sh [LIST]          run from the top of a configured build tree
#   t/mutate.sh --check [LIST]  only check that every mutation applies once
#   make mutate                 the same as t/mutate.sh
#
# Too slow for make check (a build and a full test run per mutation). The
# source files are restored after each mutation, and on interruption.
set -u
check_only=0
[ "${1:-}" = --check ] && { check_only=1; shift; }
top=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$top/t/mutations.txt}
MAKE=${MAKE:-make}
JOBS=${JOBS:--j2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2d-mutate.XXXXXX")
current=
restore() {
    if [ -n "$current" ]; then
        cp -p "$tmp/orig" "$top/$current" && touch "$top/$current"
        current=
    fi
}
trap 'restore; rm -rf "$tmp"; exit 130' INT TERM
trap 'restore; rm -rf "$tmp"' EXIT

# apply FILE TEXT REPLACEMENT: the one occurrence of TEXT replaced; exit 3
# when TEXT does not occur exactly once
apply() {
    perl -e '
        my ($f, $old, $new) = @ARGV;
        open my $in, "<", $f or exit 4;
        local $/; my $s = <$in>; close $in;
        my ($n, $at) = (0, -1);
        for (my $p = index($s, $old); $p >= 0; $p = index($s, $old, $p + 1)) { $n++; $at = $p; }
        exit 3 if $n != 1;
        substr($s, $at, length $old) = $new;
        open my $out, ">", $f or exit 4;
        print $out $s; close $out;' "$@"
}

n=0 killed=0 bad=0
: >"$tmp/survivors"
: >"$tmp/broken"
tab=$(printf '\t')
while IFS="$tab" read -r file text repl why; do
    case $file in ''|'#'*) continue ;; esac
    n=$((n + 1))
    cp -p "$top/$file" "$tmp/orig" || { echo "mutate: $file: no such file" >&2; exit 2; }
    current=$file
    apply "$top/$file" "$text" "$repl"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "mutation $n ($file: $why): the text does not occur exactly once" | tee -a "$tmp/broken"
        bad=$((bad + 1))
        restore
        continue
    fi
    if [ $check_only -eq 1 ]; then
        echo "mutation $n applies: $file: $why"
        restore
        continue
    fi
    start=$(date +%s)
    if ! $MAKE $JOBS >"$tmp/build.log" 2>&1; then
        echo "mutation $n ($file: $why): does not build" | tee -a "$tmp/broken"
        bad=$((bad + 1))
    elif $MAKE $JOBS check >"$tmp/check.log" 2>&1; then
        echo "mutation $n SURVIVED ($(($(date +%s) - start)) s): $file: $why"
        echo "$file: $why" >>"$tmp/survivors"
    else
        killed=$((killed + 1))
        first=$(grep -m 1 -E '^(FAIL|ERROR):' "$tmp/check.log" | cut -c1-100)
        echo "mutation $n killed ($(($(date +%s) - start)) s): $file: $why  [$first]"
    fi
    restore
done <"$list"
[ $check_only -eq 1 ] || $MAKE $JOBS >/dev/null 2>&1 || echo "mutate: the restored tree does not build" >&2
nsurv=$(wc -l <"$tmp/survivors" | tr -d ' ')
echo "mutate: $n mutations, $killed killed, $nsurv survived, $bad broken"
if [ "$nsurv" -gt 0 ]; then
    echo "survivors:"
    sed 's/^/  /' "$tmp/survivors"
fi
[ "$nsurv" -eq 0 ] && [ "$bad" -eq 0 ]
