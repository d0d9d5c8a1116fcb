#!/bin/bash
# The Slurm submission test (`make test` runs it): starts a single-node Slurm on localhost
# (scripts/local-slurm.sh), runs `reproduce submit --slurm` for a few smoke claims, waits for the
# array and the dependent report job, and asserts that the results and reports are identical to a
# local `reproduce run` + `reproduce report` of the same claims.
#
# Compared byte for byte: every unit result file (*.json, which embeds the code revision) and
# every report and figure, after blanking the wall-clock run times the reports print and the
# paper-scale costs estimated from them (the only numbers that differ between two runs). Not compared: timing and memory files (*.seconds,
# *.cpu-seconds, *.peak-bytes) and evidence.json, which only a whole-claim `reproduce run` writes.
#
# Skipped, with the reason printed, when not root or when Slurm is missing and cannot be
# installed. The daemons it started are stopped on every exit path.
set -u
cd "$(dirname "$0")/.."
REPRODUCE=${REPRODUCE:-.build/release/reproduce}
CLAIMS=${SLURM_TEST_CLAIMS:-"lecture.reinforce bpq.td relax.toy"}
export OPENBLAS_NUM_THREADS=1

if [ "$(id -u)" -ne 0 ]; then echo "slurm-test: SKIPPED (not root: a local Slurm needs root)"; exit 0; fi
if [ ! -x "$REPRODUCE" ]; then echo "slurm-test: $REPRODUCE not built (swift build -c release --product reproduce)" >&2; exit 1; fi

work=$(mktemp -d /tmp/dg-slurm-test.XXXXXX)
cleanup() {
  scripts/local-slurm.sh stop "$work/cluster" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

scripts/local-slurm.sh start "$work/cluster"
status=$?
if [ $status -eq 77 ]; then echo "slurm-test: SKIPPED (Slurm not available and not installable here)"; exit 0; fi
[ $status -eq 0 ] || { echo "slurm-test: FAILED to start a local Slurm" >&2; exit 1; }
export SLURM_CONF="$work/cluster/slurm.conf"
fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }

# 1. Submit the claims at smoke scale.
"$REPRODUCE" submit --slurm $CLAIMS --scale smoke --out "$work/slurm" --reports "$work/slurm-reports" --max-running 2 \
  > "$work/submit.out" || fail "submit exited with $?: $(cat "$work/submit.out")"
cat "$work/submit.out"
jobs=$(sed -n 's/^jobs: //p' "$work/submit.out")
[ -n "$jobs" ] || fail "no job ids in the submit output"
report_job=${jobs##* }

# 2. Meanwhile, the same claims locally (sharing the 2 cores; the array is throttled to 2 tasks).
# (exit status 1 means a claim ended in ERROR, e.g. an underpowered mutant at smoke scale: still comparable)
"$REPRODUCE" run $CLAIMS --scale smoke --out "$work/local" --quiet > "$work/local-run.out"
[ $? -le 1 ] || fail "local run: $(cat "$work/local-run.out")"
"$REPRODUCE" report $CLAIMS --scale smoke --out "$work/local" --reports "$work/local-reports" > /dev/null || fail "local report"

# 3. Wait for the report job (it runs after every array task ended), at most 5 minutes.
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
for _ in $(seq 1 300); do
  state=$(job_state "$report_job")
  case "$state" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
  sleep 1
done
[ "$state" = COMPLETED ] || fail "report job $report_job ended $state; logs: $(ls "$work"/slurm/slurm/*/*/logs/)"
for job in $jobs; do
  scontrol show job "$job" | grep -q "JobState=COMPLETED" || fail "array job $job: $(scontrol show job "$job" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr '\n' ' ')"
done

# 4. Identical results (timing, memory and evidence files excepted).
diff -r -x '*.seconds' -x '*.cpu-seconds' -x '*.peak-bytes' -x evidence.json -x slurm -x reports "$work/local/smoke" "$work/slurm/smoke" \
  || fail "the Slurm results differ from the local run's"
n=$(find "$work/slurm/smoke" -name '*.json' | wc -l)
[ "$n" -gt 0 ] || fail "no result files"

# 5. Identical reports, with the wall-clock run times blanked.
normalise() {
  find "$1" -name '*.md' -exec sed -i -E -e 's/total run time: [0-9.]+ s/total run time: (time) s/' \
    -e 's/\| [0-9.]+ s \|$/| (time) |/' \
    -e 's/not run at a valid scale: [0-9.e+-]+ core-hours/not run at a valid scale: (cost from measured times) core-hours/g' {} +
}
normalise "$work/local-reports"; normalise "$work/slurm-reports"
diff -r "$work/local-reports" "$work/slurm-reports" || fail "the reports differ"

# 6. status agrees: every unit done, none failed.
"$REPRODUCE" status $CLAIMS --scale smoke --out "$work/slurm" > "$work/status.out"
grep -E '^total' "$work/status.out" | awk '{ if ($2 != $3 || $4 != 0 || $5 != 0) exit 1 }' || fail "status: $(cat "$work/status.out")"

echo "slurm-test: PASSED: $n result files and $(find "$work/slurm-reports" -name '*.md' | wc -l) reports identical to a local run ($CLAIMS; $(( $(date +%s) - started )) s in all)"
