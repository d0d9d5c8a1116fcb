import Foundation

/// The report of a claim whose units are not all done: no verdict (a verdict from part of the
/// data would be a different test from the one designed), only how far the run has got and the
/// commands that finish it.
public extension ReportRenderer {
    func renderPartial(_ info: Info, progress: ClaimProgress, scale: Scale, seed: UInt64) throws {
        var md = "# \(info.id): \(progress.fractionText)\n\n"
        md += "**No verdict yet: \(progress.fractionText) done** at scale `\(scale.rawValue)`, seed \(seed)"
        md += progress.failed.isEmpty ? ".\n\n" : "; \(progress.failed.count) failed on their last attempt.\n\n"
        md += "> \(info.statement)\n>\n> — \(info.paper), \(info.source)\n\n"
        md += "The verdict, its hypothesis tests (alpha after Holm correction within the claim) and the negative "
        md += "controls (whether each mutant is killed or survived) are computed only when every unit has a result.\n\n"
        md += "## Progress\n\n| state | units |\n|---|---|\n"
        md += "| done | \(progress.done.count) |\n| failed | \(progress.failed.count) |\n| not yet run | \(progress.pending.count) |\n\n"
        if !progress.failed.isEmpty {
            md += "## Failed units\n\n| unit | why |\n|---|---|\n"
            for f in progress.failed { md += "| \(f.unit) | \(Self.escape(f.reason)) |\n" }
            md += "\n"
        }
        md += "- Scale: `\(scale.rawValue)`" + (scale == .paper ? " (the paper's settings)" : " (reduced; not the paper's scale)") + "\n"
        md += "- Run time of the done units: \(String(format: "%.1f", progress.secondsSpent)) s\n\n"
        md += "## Finish the run\n\n```\n"
        md += "reproduce run \(info.id) --scale \(scale.rawValue) --seed \(seed)\n"
        md += "reproduce submit --slurm \(info.id) --scale \(scale.rawValue) --seed \(seed)   # or on a Slurm cluster\n"
        md += "reproduce report --scale \(scale.rawValue) --seed \(seed)\n```\n"
        try AtomicFile.write(md, to: reportsDirectory.appendingPathComponent("\(info.id).md"))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
