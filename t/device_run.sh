#!/bin/sh
# Where a run trains (l2d run --device, [experiment] device): bad names and
# absent devices are one-line errors before any work, with nothing written;
# a run records its device; the device is not part of an experiment's
# identity; on a GPU, until the CUDA training engine lands, a cell fails
# with a clear error instead of running on the CPU.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
mk_tmp
plan 43
cfg=$E2E/sweep.ini
one="--set experiment.seeds=0 --unset sweep.train.nu --set sweep.cost.beta_scale=0 --set train.epochs=1"
# CUDA devices here (t/devices.sh checks these lines)
ndev=$("$L2D" --version | sed -n 's/^CUDA backend: built in, \([0-9]*\) devices\{0,1\} visible.*/\1/p')
ndev=${ndev:-0}
diag "CUDA devices visible: $ndev"
"$L2D" devices >"$T_TMP/dev"
cpu=$(head -n 1 "$T_TMP/dev")
like "$("$L2D" run --help)" "--device DEV +cpu, cuda \(the first CUDA device\) or cuda:N" "l2d run --help: --device"

# ---- refused before any work: one line, exit 2, nothing written ----
db=$T_TMP/a.db
"$L2D" run -q "$cfg" --db "$db" $one
ok $? "a database to leave alone (a cpu run)"
cp "$db" "$T_TMP/before.db"
# refused ARGS_DESCRIPTION MESSAGE_REGEX ARGS...
refused() {
    what=$1 re=$2
    shift 2
    "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    is "$?" 2 "$what: exit 2"
    like "$(cat "$T_TMP/err")" "$re" "$what: the message"
    is "$(wc -l <"$T_TMP/err" | tr -d ' ')" 1 "$what: one line"
    cmp -s "$db" "$T_TMP/before.db"
    ok $? "$what: database unchanged"
}
refused "--device gpu" "^l2d run: --device: 'gpu' is not a device \(cpu, cuda or cuda:N\)$" \
    "$L2D" run "$cfg" --db "$db" $one --device gpu
refused "--device cuda:x" "^l2d run: --device: 'cuda:x' is not a device \(cpu, cuda or cuda:N\)$" \
    "$L2D" run "$cfg" --db "$db" $one --device cuda:x
refused "--device with no value" "^l2d run: --device needs a value" "$L2D" run "$cfg" --db "$db" --device
# a bad spelling in the file: at validation, with the file and line
# (the validation of every cell notes the first cell: the sweep's values are
# not the culprit here, but that is the message for every key)
sed 's/^seeds = 0, 1$/seeds = 0\ndevice = gpu0/' "$cfg" >"$T_TMP/bad.ini"
line=$(grep -n '^device = ' "$T_TMP/bad.ini" | cut -d: -f1)
refused "device = gpu0 in a config" \
    "^l2d run: $T_TMP/bad.ini:$line: \[experiment\] device: 'gpu0' is not a device \(cpu, cuda or cuda:N\)( \(cell [^)]*\))?$" \
    "$L2D" run "$T_TMP/bad.ini" --db "$db"
# a device that is not there: named, with what there is
sed 's/^seeds = 0, 1$/seeds = 0\ndevice = cuda:99/' "$cfg" >"$T_TMP/dev99.ini"
if [ "$ndev" -eq 0 ]; then there="no CUDA device here \(.+\)"; else there="there (is|are) $ndev CUDA devices? \(cuda:0.*\)"; fi
refused "device = cuda:99 in a config" "^l2d run: $T_TMP/dev99.ini:$line: \[experiment\] device: device 'cuda:99': $there$" \
    "$L2D" run "$T_TMP/dev99.ini" --db "$db"
refused "--set experiment.device=cuda:99" "^l2d run: --set experiment.device: device 'cuda:99': $there$" \
    "$L2D" run "$cfg" --db "$db" $one --set experiment.device=cuda:99
if [ "$ndev" -eq 0 ]; then
    refused "--device cuda without a GPU" "^l2d run: --device: device 'cuda': no CUDA device here \(.+\)$" \
        "$L2D" run "$cfg" --db "$db" $one --device cuda
    refused "--device cuda:0 without a GPU, --dry-run" "^l2d run: --device: device 'cuda:0': no CUDA device here \(.+\)$" \
        "$L2D" run "$cfg" --db "$db" $one --device cuda:0 --dry-run
    rm -f "$T_TMP/new.db"
    "$L2D" run "$cfg" --db "$T_TMP/new.db" $one --device cuda 2>/dev/null
    ok "$([ -e "$T_TMP/new.db" ]; [ $? -ne 0 ]; echo $?)" "--device cuda without a GPU: no database created"
else
    skip 9 "there is a CUDA device"
fi

# ---- what a run records; the device is not the experiment's identity ----
if have_sql; then
    is "$(sql "$db" "SELECT device || '|' || device_name || '|' || quote(cuda_driver) || '|' ||
                     quote(cuda_runtime) || '|' || quote(cudnn) FROM runs")" \
        "cpu|$(printf '%s\n' "$cpu" | sed 's/^cpu *//; s/  ([^()]*)$//')|NULL|NULL|NULL" \
        "a cpu run records 'cpu', the CPU's name (as l2d devices), no CUDA versions"
    is "$(sql "$db" "SELECT count(*) FROM experiments WHERE config_text LIKE '%device%'")" 0 \
        "the experiment's config text has no device"
    # the same config with a device given: the same experiment, nothing to run
    "$L2D" run "$cfg" --db "$db" $one --device cpu 2>"$T_TMP/err"
    like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 0 ran, 1 already done;" "--device cpu: same experiment, cell already done"
    "$L2D" run "$T_TMP/dev99.ini" --db "$db" $one --device cpu 2>"$T_TMP/err"
    like "$(tail -n 1 "$T_TMP/err")" "^l2d run: 0 ran, 1 already done;" \
        "--device cpu overrides device = cuda:99 in the file; still the same experiment"
    is "$(sql "$db" "SELECT count(*) || '|' || (SELECT count(*) FROM runs) FROM experiments")" "1|1" \
        "one experiment, one run"
else
    skip 5 "no sqlite3 shell"
fi

# ---- on a GPU: the cell trains there and the run records the device ----
if [ "$ndev" -gt 0 ]; then
    "$L2D" run "$cfg" --db "$T_TMP/gpu.db" $one --device cuda 2>"$T_TMP/err"
    is "$?" 0 "--device cuda on a GPU: the run is done (exit 0)"
    ! grep -q FAILED "$T_TMP/err"; ok $? "--device cuda: no failure reported"
    if have_sql; then
        is "$(sql "$T_TMP/gpu.db" "SELECT status || '|' || device || '|' || (device_name = '$(sed -n '/^cuda:0 /{s/^cuda:0 *//; s/  ([^()]*)$//; p}' "$T_TMP/dev")')
                                   || '|' || (cuda_runtime IS NOT NULL) || '|' || ((SELECT count(*) FROM metrics) > 0) FROM runs")" \
            "done|cuda:0|1|1|1" "--device cuda: recorded as done on cuda:0 with its name and versions, with metrics"
    else
        skip 1 "no sqlite3 shell"
    fi
else
    skip 3 "no CUDA device"
fi
done_testing
