#!/bin/sh
# `make install` into a scratch DESTDIR gives a usable l2d: with the
# installed pkg-config file and headers, examples/surrogate-square builds out
# of tree with its own Makefile; the INSTALLED l2d checks it, lists it and
# trains the quickstart with it, finding plugins only where it is told to,
# and never naming the build or source tree. Then `make prefix=... install`
# to another prefix (the build follows it, no `make clean`): that l2d finds
# its plugins and runs an installed experiment, data and all, from anywhere.
. "$top_srcdir/t/lib.sh"
: "${MAKE:=make}" "${CC:=cc}" "${PKG_CONFIG:=pkg-config}"
: "${inst_prefix:?}" "${inst_bindir:?}" "${inst_libdir:?}" "${inst_pkglibdir:?}" "${inst_includedir:?}" "${inst_pkgdatadir:?}" "${inst_docdir:?}"
command -v "$PKG_CONFIG" >/dev/null 2>&1 || skip_all "pkg-config not found"
command -v "${CC%% *}" >/dev/null 2>&1 || skip_all "no C compiler ($CC)"
# The prefix switch at the end rebuilds and relinks this build tree in place,
# which tests running beside it under a parallel `make check` would trip on:
# it runs with L2D_TEST_REBUILD=1 alone (`make check-install-prefix`).
if [ -n "${L2D_TEST_REBUILD:-}" ]; then plan 38; else plan 31; fi
mk_tmp
# DESTDIR inside the build tree: the l2d installed there is still not the
# build tree's, and must not search the build tree's plugins
dest=$top_builddir/t/install.dest
rm -rf "$dest" && trap 'rm -rf "$T_TMP" "$dest"' EXIT
skip() { T_N=$((T_N + 1)); echo "ok $T_N # SKIP $1"; }
show() { sed 's/^/#   /' "$1"; }

# Install only copies (make check built everything first). The sub-make gets
# neither make check's jobserver nor its command-line variables.
MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" -s -C "$top_builddir" install DESTDIR="$dest" \
    >"$T_TMP/install.log" 2>&1
rc=$?; ok $rc "make install DESTDIR=..."
[ $rc -eq 0 ] || { show "$T_TMP/install.log"; echo "Bail out! make install failed"; exit 1; }

missing=
for f in "$inst_bindir/l2d" "$inst_libdir/libl2d.so" "$inst_libdir/pkgconfig/l2d.pc" \
    "$inst_includedir/l2d/plugin.h" "$inst_includedir/l2d/engine.h" \
    "$inst_includedir/l2d/l2d.h" "$inst_includedir/l2d/dataprep.h" "$inst_includedir/l2d/model.h" \
    "$inst_pkglibdir/ce.so" "$inst_pkglibdir/synthetic.so" "$inst_pkglibdir/network.so" \
    "$inst_pkgdatadir/data/california_housing.csv" "$inst_pkgdatadir/experiments/quickstart.ini" \
    "$inst_pkgdatadir/experiments/mt_table1_housing.ini" "$inst_docdir/README.md" \
    "$inst_docdir/docs/math.md" "$inst_docdir/docs/writing-plugins.md" \
    "$inst_docdir/examples/surrogate-square/square.c" "$inst_docdir/examples/surrogate-square/Makefile"; do
    [ -e "$dest$f" ] || missing="$missing $f"
done
is "$missing" "" "binary, library, pkg-config file, headers, plugins, data, experiments, docs, example installed"
is "$(cd "$dest$inst_pkglibdir" && ls | grep -v '\.so$')" "" "the plugin directory holds only .so files"

# pkg-config finds the installed l2d; the sysroot points -I into DESTDIR
PKG_CONFIG_PATH=$dest$inst_libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$("$PKG_CONFIG" --cflags l2d); ok $? "pkg-config --cflags l2d"
is "$(echo $cflags)" "-I$dest$inst_includedir" "Cflags point at the installed headers"
is "$(echo $("$PKG_CONFIG" --libs l2d))" "-L$dest$inst_libdir -ll2d" "Libs point at the installed library"

# the installed example, copied (the install is read-only to a user) and
# built on its own
ex=$T_TMP/surrogate-square
cp -R "$dest$inst_docdir/examples/surrogate-square" "$ex" && chmod -R u+w "$ex"
(cd "$ex" && MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" CC="$CC") >"$T_TMP/ex.log" 2>&1
rc=$?; ok $rc "examples/surrogate-square builds with its own Makefile"
[ $rc -eq 0 ] || show "$T_TMP/ex.log"
ok "$([ -f "$ex/square.so" ]; echo $?)" "square.so built"

# the installed l2d, with the installed libl2d
l2d=$dest$inst_bindir/l2d
LD_LIBRARY_PATH=$dest$inst_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
path=$dest$inst_pkglibdir:$ex

out=$("$l2d" plugin-check "$ex/square.so" 2>&1); ok $? "l2d plugin-check square.so exits 0"
like "$out" "square: gradient vs finite differences, 5 agents.*: ok" "its gradient matches finite differences"
like "$out" "square\.so: ok$" "plugin-check passes"

# Without --plugin-path (and L2D_PLUGIN_PATH empty) only $pkglibdir is
# searched, never the build tree (though this DESTDIR lies inside it); it is
# empty unless l2d is installed there.
out=$(cd "$T_TMP" && "$l2d" plugins 2>&1)
files=$(printf '%s\n' "$out" | sed -n 's/^ *file: //p')
if [ -z "$files" ]; then
    like "$out" "no plugins found" "without --plugin-path: no plugins ($inst_pkglibdir is empty)"
else
    is "$(printf '%s\n' "$files" | awk -v d="$inst_pkglibdir/" 'index($0, d) != 1')" "" \
        "without --plugin-path: plugins from $inst_pkglibdir only"
fi

# the installed l2d names no build or source tree: not in --version, not in
# the search order it gives, not among the places a data file is looked for
# (a relative path: the working directory, then $pkgdatadir; not installed
# there yet, with DESTDIR)
# notree TEXT DESCRIPTION: TEXT names neither tree (DESTDIR and the install
# prefix aside: they lie inside the build tree here and the source tree in
# make distcheck)
notree() {
    is "$(printf '%s\n' "$1" | awk -v d="$dest" -v p="$inst_prefix" -v b="$top_builddir" -v s="$top_srcdir" '
        function cut(x) { while (x != "" && (i = index($0, x)) > 0) $0 = substr($0, 1, i - 1) substr($0, i + length(x)) }
        { cut(d); cut(p); if (index($0, b) || index($0, s)) print }')" "" "$2"
}
out=$("$l2d" --version 2>&1); notree "$out" "l2d --version names no build or source tree"
out=$("$l2d" plugins --help 2>&1)
like "$out" "^Search order: --plugin-path, \\\$L2D_PLUGIN_PATH, $inst_pkglibdir\\.$" \
    "l2d plugins --help: the search order ends at $inst_pkglibdir"
like "$("$L2D" plugins --help 2>&1)" "then this build tree's $top_builddir/plugins/\\.libs\\.$" \
    "(the build tree's l2d also searches its plugins/.libs, and says so)"
mkdir -p "$T_TMP/elsewhere"
out=$(cd "$T_TMP/elsewhere" && "$l2d" run "$dest$inst_pkgdatadir/experiments/mt_table1_housing.ini" \
    --plugin-path "$dest$inst_pkglibdir" --db "$T_TMP/nodata.db" 2>&1)
like "$out" "cannot open 'data/california_housing.csv' \\(tried data/california_housing.csv, $inst_pkgdatadir/data/california_housing.csv\\)" \
    "a relative data path: the working directory, then $inst_pkgdatadir, never the source tree"
notree "$out" "... and the message names no build or source tree"

out=$("$l2d" plugins --plugin-path "$path" --kind surrogate --brief 2>&1); ok $? "l2d plugins --plugin-path"
like "$out" "^surrogate +square +1\.0 " "lists square"
like "$out" "^surrogate +ce " "lists the installed ce"
out=$("$l2d" plugins --plugin-path "$path" square 2>&1)
like "$out" "file: $ex/square\.so" "square comes from the example's directory"

# The quickstart sweeps ce's nu, which square does not have: --unset drops
# it, --set names square and sweeps its weight instead.
# adam, no weight decay: scaling the loss leaves the training path unchanged
db=$T_TMP/square.db
out=$(cd "$T_TMP" && "$l2d" run "$top_srcdir/experiments/quickstart.ini" --plugin-path "$path" \
    --db "$db" --set train.surrogate=square --unset train.nu --unset sweep.train.nu \
    --set sweep.train.weight=1,2 --set experiment.seeds=0 --set train.optimizer=adam \
    --set train.weight_decay=0 2>&1)
rc=$?; ok $rc "l2d run: the quickstart trains with square"
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
like "$out" "6 ran, 0 already done" "3 beta x 2 weights, one seed: 6 runs"

# the installed l2d reads the results back: one seed per cell, and the
# weight parameter reaches the plugin (same training path, loss doubled)
out=$("$l2d" report "$db" --format csv --metrics surrogate,risk 2>&1); ok $? "l2d report"
is "$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $h["n"] == 1 && $h["risk_mean"] > 0 && $h["risk_mean"] < 2' | wc -l | tr -d ' ')" 6 \
    "6 cells, one seed each, test risk in (0, 2)"
ratio=$(printf '%s\n' "$out" | awk -F, '$3 == "cost.beta_scale=1;train.weight=1" { a = $5 }
    $3 == "cost.beta_scale=1;train.weight=2" { b = $5 } END { if (a > 0) printf "%.9g", b / a }')
close "${ratio:-nan}" 2 1e-3 "test surrogate loss at weight 2 is twice that at weight 1"

if [ -n "${SQLITE3:-}" ]; then
    q() { "$SQLITE3" -batch -noheader "$db" "$1" 2>&1; }
    is "$(q "SELECT count(*) FROM runs WHERE status = 'done'")" 6 "6 runs done"
    # the learned rejector beats every agent answering alone, at each beta
    is "$(q "SELECT count(*) FROM runs r JOIN metrics m ON m.run_id = r.id
              AND m.split = 'test' AND m.attack = 'clean' AND m.name = 'risk'
             WHERE m.value < (SELECT min(a.value) FROM agent_metrics a
                              WHERE a.run_id = r.id AND a.split = 'test' AND a.name = 'risk')")" 6 \
        "test risk below every single agent's in all 6 runs"
    is "$(q "SELECT path FROM experiment_plugins WHERE kind = 'surrogate'")|$(q \
        "SELECT count(*) FROM experiment_plugins WHERE kind <> 'surrogate'
            AND substr(path, 1, length('$dest$inst_pkglibdir/')) <> '$dest$inst_pkglibdir/'")" \
        "$ex/square.so|0" "square from the example, every other plugin from the installed ones"
else
    for k in 1 2 3; do skip "sqlite3 CLI not found"; done
fi

# uninstall removes every file install put there
MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" -s -C "$top_builddir" uninstall DESTDIR="$dest" \
    >"$T_TMP/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=..."
is "$(find "$dest" ! -type d)" "" "uninstall leaves no file behind"

if [ -n "${L2D_TEST_REBUILD:-}" ]; then
# Another prefix, given to make alone: what has the installation directories
# compiled in is rebuilt and relinked, and libtool installs there (it used to
# refuse to install plugins linked for the configured prefix until `make
# clean`). That l2d, not told where, finds its plugins and runs an installed
# experiment from anywhere: the csv plugin finds data/... under $pkgdatadir.
p2=$T_TMP/p2
MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" -s -C "$top_builddir" install prefix="$p2" \
    >"$T_TMP/install2.log" 2>&1
rc=$?; ok $rc "make install prefix=... (another prefix, no make clean)"
[ $rc -eq 0 ] || show "$T_TMP/install2.log"
out=$(cd "$T_TMP/elsewhere" && env -u LD_LIBRARY_PATH "$p2/bin/l2d" plugins --kind dataset --brief 2>&1)
like "$out" "^dataset +csv " "the l2d of that prefix finds its own plugins, unasked"
out=$(cd "$T_TMP/elsewhere" && env -u LD_LIBRARY_PATH "$p2/bin/l2d" plugins csv 2>&1)
like "$out" "file: $p2/lib/l2d/csv\\.so" "... in $p2/lib/l2d"
out=$(cd "$T_TMP/elsewhere" && env -u LD_LIBRARY_PATH "$p2/bin/l2d" run \
    "$p2/share/l2d/experiments/mt_table1_housing.ini" --db "$T_TMP/mt.db" --set experiment.seeds=0 \
    --set agent.model.epochs=1 --set train.epochs=1 2>&1)
rc=$?; ok $rc "the installed MT Table 1 experiment runs from anywhere, its data from $p2/share/l2d/data"
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
like "$out" "3 ran, 0 already done" "... all 3 methods, one seed"
MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" -s -C "$top_builddir" uninstall prefix="$p2" >/dev/null 2>&1
# back to the configured prefix: the build follows again
MAKEFLAGS= MFLAGS= MAKELEVEL= "$MAKE" -s -C "$top_builddir" all >"$T_TMP/rebuild.log" 2>&1
rc=$?; ok $rc "make: the build follows the configured prefix again"
[ $rc -eq 0 ] || show "$T_TMP/rebuild.log"
like "$("$L2D" plugins --help 2>&1)" "$inst_pkglibdir, then this build tree" "the build tree's l2d searches $inst_pkglibdir again"
fi
done_testing
