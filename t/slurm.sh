#!/bin/sh
# l2d slurm on a real one-node Slurm: munged, slurmctld and slurmd are
# started here on localhost (private ports, sockets and directories, so
# other test runs on the machine are not disturbed), the job array of 3
# shards and its merge job are submitted with the written submit.sh, and the
# merged database must equal a single-process run value for value. Skipped
# where Slurm and munge are not installed or cannot be started (not root);
# .ci/run installs them. Bounded: 30 s for the daemons, 240 s for the jobs;
# the daemons are stopped on exit.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/e2e_lib.sh"
for b in slurmctld slurmd munged sbatch squeue sinfo; do
    command -v "$b" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v "$b" >/dev/null 2>&1 || skip_all "no $b (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip_all "starting slurmd needs root"
id munge >/dev/null 2>&1 || skip_all "no munge user"
have_sql || skip_all "no sqlite3 shell"
T_TMP=$(mktemp -d /tmp/l2d-slurm.XXXXXX)
chmod 755 "$T_TMP"
pids=""
cleanup() {
    # munged itself first (runuser, its parent, then reaps it), then the rest
    [ -s "$T_TMP/msock/munged.pid" ] && kill "$(cat "$T_TMP/msock/munged.pid")" 2>/dev/null
    for p in $pids; do kill "$p" 2>/dev/null; done
    i=0
    while [ "$i" -lt 20 ]; do
        alive=""
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.25
        i=$((i + 1))
    done
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
case "$L2D" in /*) ;; *) L2D=$(cd "$(dirname "$L2D")" && pwd)/$(basename "$L2D") ;; esac
cfg=$(cd "$(dirname "$E2E/sweep.ini")" && pwd)/sweep.ini
host=$(hostname -s)
port=$((20000 + ($$ % 20000)))

# munge: its own key, socket and files
# (the key's directory private, the socket's open to all, as munged wants)
mkdir -p "$T_TMP/munge" "$T_TMP/msock"
dd if=/dev/urandom of="$T_TMP/munge/munge.key" bs=1024 count=1 2>/dev/null
chown -R munge "$T_TMP/munge" "$T_TMP/msock"
chmod 700 "$T_TMP/munge"
chmod 755 "$T_TMP/msock"
chmod 400 "$T_TMP/munge/munge.key"
sock=$T_TMP/msock/munge.socket
runuser -u munge -- munged --foreground --key-file="$T_TMP/munge/munge.key" --socket="$sock" \
    --pid-file="$T_TMP/msock/munged.pid" --log-file="$T_TMP/msock/munged.log" \
    --seed-file="$T_TMP/munge/munged.seed" >"$T_TMP/munged.out" 2>&1 &
pids="$pids $!"

mkdir -p "$T_TMP/state" "$T_TMP/spool" "$T_TMP/log"
conf=$T_TMP/slurm.conf
cat >"$conf" <<CONF
ClusterName=l2dtest$$
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T_TMP/state
SlurmdSpoolDir=$T_TMP/spool
SlurmctldPidFile=$T_TMP/slurmctld.pid
SlurmdPidFile=$T_TMP/slurmd.pid
SlurmctldLogFile=$T_TMP/log/slurmctld.log
SlurmdLogFile=$T_TMP/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=l2d Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
i=0
while [ ! -S "$sock" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] || skip_all "munged did not start: $(tail -n 1 "$T_TMP/munged.out" 2>/dev/null)"
slurmctld -D -c -f "$conf" >"$T_TMP/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$conf" >"$T_TMP/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; do
    i=$((i + 1))
    if [ "$i" -ge 30 ]; then
        skip_all "slurm did not start: $(tail -n 1 "$T_TMP/log/slurmctld.log" 2>/dev/null) $(tail -n 1 "$T_TMP/log/slurmd.log" 2>/dev/null)"
    fi
    sleep 1
done
plan 7

q="--set agent.model.epochs=1 --set train.epochs=2"
cd "$T_TMP"
"$L2D" slurm "$cfg" --array 3 --dir "$T_TMP/job" --l2d "$L2D" --partition l2d --time 10 $q >"$T_TMP/slurm.out" 2>&1
ok $? "l2d slurm wrote the scripts"
grep -q '^#SBATCH --array=0-2$' "$T_TMP/job/array.sbatch" && grep -q '^#SBATCH --partition=l2d$' "$T_TMP/job/array.sbatch" &&
    grep -q 'afterany' "$T_TMP/job/submit.sh"
ok $? "array.sbatch: 3 tasks on the partition; submit.sh: the merge after the array"
timeout 30 sh "$T_TMP/job/submit.sh" >"$T_TMP/submit.out" 2>&1
ok $? "submitted: $(cat "$T_TMP/submit.out")"
# wait for both jobs to leave the queue (240 s at most)
i=0
while [ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && [ "$i" -lt 240 ]; do sleep 1; i=$((i + 1)); done
is "$(timeout 5 squeue -h -o %i 2>/dev/null)" "" "the array and the merge ran ($i s)"
is "$(cd "$T_TMP/job/shards" && ls *.db | tr '\n' ' ')" "task-0.db task-1.db task-2.db " "one database per task"
"$L2D" run -q "$cfg" $q --db "$T_TMP/one.db"
dump_metrics "$T_TMP/one.db" >"$T_TMP/d1"
dump_metrics "$T_TMP/job/merged.db" >"$T_TMP/dm" 2>/dev/null
is "$(sql "$T_TMP/job/merged.db" "SELECT count(*), sum(status = 'done') FROM runs" 2>&1)" "8|8" \
    "the merged database holds the 8 runs, done"
cmp -s "$T_TMP/d1" "$T_TMP/dm"
ok $? "merged = a single-process run, value for value"
if [ "$T_N" != 7 ] || ! cmp -s "$T_TMP/d1" "$T_TMP/dm"; then
    for f in "$T_TMP"/job/logs/* "$T_TMP/log/slurmctld.log"; do
        [ -e "$f" ] && sed 's/^/# /' "$f" | tail -n 5
    done
fi
done_testing
