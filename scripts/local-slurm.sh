#!/bin/bash
# A single-node Slurm on localhost, for testing `reproduce submit --slurm` against a real scheduler.
#
#   scripts/local-slurm.sh start DIR   install Debian's slurmctld slurmd slurm-client munge if missing
#                                      (root), start munged, slurmctld and slurmd with all their
#                                      state under DIR, wait until the node is idle; then
#                                      `export SLURM_CONF=DIR/slurm.conf` for sbatch/squeue/scontrol
#   scripts/local-slurm.sh stop DIR    stop the daemons started with DIR (by their pid files) and
#                                      nothing else
#
# Why each setting is there: ../shared/NOTES-slurm.md (checked facts for these machines). Ports
# are a free pair from 16817 up, so a cluster already on 6817/6818 is left alone.
set -u

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac

# The daemons this script starts, by pid file (munged writes its own).
daemons="slurmd slurmctld munged"

stop() {
  # Jobs still on this private cluster are ours: cancel them first, so that no job step outlives slurmd.
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/run/slurmctld.pid" ] && kill -0 "$(cat "$dir/run/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF="$dir/slurm.conf"
    jobs=$(squeue -h -o %F 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      scancel $jobs >/dev/null 2>&1
      for _ in $(seq 1 50); do [ -z "$(squeue -h -o %F 2>/dev/null)" ] && break; sleep 0.2; done
    fi
  fi
  for name in $daemons; do
    pidfile="$dir/run/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; echo "local-slurm: $name ($pid) killed after 10 s"; fi
    fi
    rm -f "$pidfile"
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if [ "$(id -u)" -ne 0 ]; then echo "local-slurm: must run as root (Slurm and munge run as root here)" >&2; exit 77; fi
  missing=""
  for p in slurmctld slurmd slurm-client munge; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    command -v apt-get >/dev/null || { echo "local-slurm: apt-get not available to install:$missing" >&2; exit 77; }
    echo "local-slurm: installing$missing"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
           || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 \
                && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; }; }; then
      echo "local-slurm: apt-get could not install$missing" >&2; exit 77
    fi
  fi
  for d in run state spool log; do mkdir -p "$dir/$d"; done
  mkdir -p -m 700 "$dir/munge"
  mkdir -p -m 755 "$dir/munge-socket"   # munged refuses a socket folder without x for all
  chmod 755 "$dir"

  # munge: its own key, socket and pid file.
  key="$dir/munge/munge.key"
  if [ ! -f "$key" ]; then dd if=/dev/urandom bs=1024 count=1 of="$key" status=none; chmod 400 "$key"; fi
  socket="$dir/munge-socket/munge.socket"
  munged --force --key-file="$key" --socket="$socket" --pid-file="$dir/run/munged.pid" \
         --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
    || { echo "local-slurm: munged did not start (see $dir/log/munged.log)" >&2; exit 1; }

  ctld_port=16817
  while ! { port_free "$ctld_port" && port_free $((ctld_port + 1)); }; do
    ctld_port=$((ctld_port + 2)); [ "$ctld_port" -lt 17000 ] || { echo "local-slurm: no free port pair" >&2; stop; exit 1; }
  done
  node=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]*/NodeName=localhost/' -e 's/ *UpTime=.*//')
  cat > "$dir/slurm.conf" <<EOF
# Written by scripts/local-slurm.sh: one node on localhost, state under $dir.
ClusterName=dglocal
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
DependencyParameters=kill_invalid_depend
MinJobAge=600
$node State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -D >"$dir/log/slurmctld.out" 2>&1 &
  echo $! > "$dir/run/slurmctld.pid"
  slurmd -D >"$dir/log/slurmd.out" 2>&1 &
  echo $! > "$dir/run/slurmd.pid"
  for _ in $(seq 1 100); do
    state=$(sinfo -h -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.2
  done
  if [ "$state" != idle ]; then
    echo "local-slurm: node not idle after 20 s (state '${state:-none}'); logs in $dir/log" >&2
    stop; exit 1
  fi
  echo "local-slurm: up (ports $ctld_port/$((ctld_port + 1))); export SLURM_CONF=$dir/slurm.conf"
}

case "$action" in
  start) start ;;
  stop) stop; echo "local-slurm: stopped the daemons of $dir" ;;
  *) usage ;;
esac
