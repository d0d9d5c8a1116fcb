import Foundation

/// A Slurm job array for the units still to run, and a dependent job that renders the reports.
///
/// The manifest lists one unit per line (claim, unit, result file); array task i runs line i + 1.
/// One sbatch script serves every claim: it is submitted once per claim, as a slice of the array
/// indices with that claim's memory and time limits on the command line, so a VAE unit gets hours
/// and an exact check minutes. `--max-running` is shared among the slices in proportion to their
/// estimated core-hours (each gets at least one). Each task runs single-threaded, writes its own
/// log, and leaves a failure marker when it ends without a result, for `reproduce status`.
public struct SlurmSubmission: Sendable {
    public struct Task: Sendable, Equatable {
        public var claim: String; public var unit: RunUnit; public var resultPath: String
        public init(claim: String, unit: RunUnit, resultPath: String) { self.claim = claim; self.unit = unit; self.resultPath = resultPath }
    }
    /// A claim's contiguous range of manifest lines and its limits.
    public struct Slice: Sendable, Equatable {
        public var claim: String
        public var first: Int, last: Int
        public var memoryMB: Int
        public var timeMinutes: Int
        public var throttle: Int
        public var estimated: Bool
        public init(claim: String, first: Int, last: Int, memoryMB: Int, timeMinutes: Int, throttle: Int, estimated: Bool) {
            self.claim = claim; self.first = first; self.last = last; self.memoryMB = memoryMB
            self.timeMinutes = timeMinutes; self.throttle = throttle; self.estimated = estimated
        }
    }

    public var directory: URL
    public var executable: String
    public var workingDirectory: String
    public var scale: Scale
    public var seed: UInt64
    public var resultsRoot: String
    public var reportsDirectory: String
    public var expectationsFile: String
    public var revision: String
    /// The submitting checkout's `CodeFingerprint`, exported to every task (results record it).
    public var code: String = CodeFingerprint.unknown
    public var partition: String?
    public var claims: [String]
    public var tasks: [Task]
    public var slices: [Slice]

    public init(directory: URL, executable: String, workingDirectory: String, scale: Scale, seed: UInt64, resultsRoot: String,
                reportsDirectory: String, expectationsFile: String, revision: String, partition: String?, claims: [String],
                tasks: [Task], slices: [Slice]) {
        self.directory = directory; self.executable = executable; self.workingDirectory = workingDirectory
        self.scale = scale; self.seed = seed; self.resultsRoot = resultsRoot; self.reportsDirectory = reportsDirectory
        self.expectationsFile = expectationsFile; self.revision = revision; self.partition = partition
        self.claims = claims; self.tasks = tasks; self.slices = slices
    }

    public var manifestURL: URL { directory.appendingPathComponent("manifest.tsv") }
    public var arrayScriptURL: URL { directory.appendingPathComponent("units.sbatch") }
    public var finishScriptURL: URL { directory.appendingPathComponent("report.sbatch") }
    public var logDirectory: URL { directory.appendingPathComponent("logs") }
    public var jobName: String { "dg-\(scale.rawValue)-s\(seed)" }

    // MARK: Limits

    /// Limits with a margin over the estimate: time x3 (at least 10 minutes), memory x1.5 + 256 MB
    /// (at least 512 MB). Without an estimate: 24 hours and 4 GB, which the caller says aloud.
    public static func limits(_ e: ClaimEstimate) -> (memoryMB: Int, timeMinutes: Int, estimated: Bool) {
        guard e.isMeasured else { return (4096, 24 * 60, false) }
        let minutes = max(10, Int((e.longestUnitSeconds * 3 / 60).rounded(.up)))
        let mb = max(512, Int(((e.peakBytes ?? 0) * 1.5 / 1_048_576 + 256).rounded(.up)))
        return (mb, minutes, true)
    }

    /// Shares `maxRunning` among slices in proportion to their estimated core-seconds (at least 1 each).
    /// A slice never gets more than it has tasks.
    public static func throttles(coreSeconds: [Double], tasks: [Int], maxRunning: Int) -> [Int] {
        let total = coreSeconds.reduce(0, +)
        return zip(coreSeconds, tasks).map { s, n in
            let share = total > 0 ? Int((Double(maxRunning) * s / total).rounded(.down)) : maxRunning / max(1, coreSeconds.count)
            return max(1, min(n, share))
        }
    }

    // MARK: Files

    public func manifest() -> String {
        tasks.map { "\($0.claim)\t\($0.unit)\t\($0.resultPath)\n" }.joined()
    }

    public func arrayScript() -> String {
        """
        #!/bin/bash
        # DiscreteGradients: one unit per array task; task i runs line i+1 of the manifest.
        # Written by `reproduce submit --slurm`; array range, memory and time come per claim on the
        # sbatch command line (see submit.sh next to this file).
        #SBATCH --job-name=\(jobName)
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=1
        #SBATCH --output=\(logDirectory.path)/%A_%a.log
        #SBATCH --chdir=\(workingDirectory)
        set -u
        export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 DG_REVISION=\(shellQuoted(revision)) DG_CODE=\(shellQuoted(code))
        # A time limit or scancel sends TERM: note it and go on to leave the failure marker.
        trap 'echo "task received SIGTERM (time limit or cancel)" >&2' TERM
        line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" \(shellQuoted(manifestURL.path)))
        claim=$(printf '%s' "$line" | cut -f1)
        unit=$(printf '%s' "$line" | cut -f2)
        result=$(printf '%s' "$line" | cut -f3)
        if [ -z "$claim" ] || [ -z "$unit" ] || [ -z "$result" ]; then
          echo "no manifest line $((SLURM_ARRAY_TASK_ID + 1))" >&2; exit 2
        fi
        echo "task ${SLURM_ARRAY_JOB_ID:-?}_${SLURM_ARRAY_TASK_ID}: $claim $unit on $(hostname)"
        \(shellQuoted(executable)) run "$claim" --unit "$unit" --scale \(scale.rawValue) --seed \(seed) --out \(shellQuoted(resultsRoot)) --quiet
        status=$?
        if [ -e "$result" ]; then exit 0; fi
        marker="${result%.json}.failed"
        if [ ! -e "$marker" ]; then
          mkdir -p "$(dirname "$marker")"
          echo "slurm task ${SLURM_ARRAY_JOB_ID:-?}_${SLURM_ARRAY_TASK_ID} ended with status $status and no result; log \(logDirectory.path)/${SLURM_ARRAY_JOB_ID:-?}_${SLURM_ARRAY_TASK_ID}.log" > "$marker.tmp.$$" && mv "$marker.tmp.$$" "$marker"
        fi
        exit 1

        """
    }

    public func finishScript() -> String {
        let exe = shellQuoted(executable)
        let common = "--scale \(scale.rawValue) --seed \(seed) --out \(shellQuoted(resultsRoot))"
        let ids = claims.joined(separator: " ")
        return """
        #!/bin/bash
        # DiscreteGradients: after the array ends (whatever its tasks' fate), report and check.
        #SBATCH --job-name=\(jobName)-report
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=1
        #SBATCH --mem=2048M
        #SBATCH --time=60
        #SBATCH --output=\(logDirectory.path)/report_%j.log
        #SBATCH --chdir=\(workingDirectory)
        set -u
        export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 DG_REVISION=\(shellQuoted(revision)) DG_CODE=\(shellQuoted(code))
        \(exe) status \(ids) \(common)
        \(exe) report \(ids) \(common) --reports \(shellQuoted(reportsDirectory)) || exit $?
        if [ -f \(shellQuoted(expectationsFile)) ]; then
          \(exe) check \(ids) \(common) --expectations \(shellQuoted(expectationsFile))
        else
          echo "no \(expectationsFile): verdicts not checked"
        fi

        """
    }

    /// The sbatch arguments (before the script) of one claim's slice.
    public func arrayArguments(_ slice: Slice) -> [String] {
        ["--parsable", "--array=\(slice.first)-\(slice.last)%\(slice.throttle)", "--mem=\(slice.memoryMB)M", "--time=\(slice.timeMinutes)"]
            + (partition.map { ["--partition=\($0)"] } ?? [])
    }

    /// The sbatch arguments of the report job, which waits for every slice however it ended.
    public func finishArguments(after jobIDs: [String]) -> [String] {
        ["--parsable", "--dependency=afterany:" + jobIDs.joined(separator: ":"), "--kill-on-invalid-dep=yes"]
            + (partition.map { ["--partition=\($0)"] } ?? [])
    }

    /// The submission as a shell script (what `--dry-run` prints and what is kept for the record).
    public func submitScript() -> String {
        var s = "#!/bin/bash\n# Submits \(tasks.count) units of \(claims.count) claims at scale \(scale.rawValue), seed \(seed).\nset -e\njobs=\"\"\n"
        for slice in slices {
            s += "# \(slice.claim): tasks \(slice.first)-\(slice.last)" + (slice.estimated ? "" : " (no estimate: default limits)") + "\n"
            s += "id=$(sbatch " + arrayArguments(slice).map(shellQuoted).joined(separator: " ") + " \(shellQuoted(arrayScriptURL.path)))\n"
            s += "jobs=\"$jobs:${id%%;*}\"\n"
        }
        s += "sbatch --parsable --dependency=afterany$jobs --kill-on-invalid-dep=yes"
            + (partition.map { " --partition=\(shellQuoted($0))" } ?? "") + " \(shellQuoted(finishScriptURL.path))\n"
        return s
    }
}

/// Single-quotes a word for bash unless it is plainly safe.
public func shellQuoted(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:%,+@".contains($0) }
    return safe && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
