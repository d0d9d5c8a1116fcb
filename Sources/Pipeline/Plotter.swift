import Foundation

/// Renders a `Figure` to SVG with gnuplot: the data go to `<stem>.dat` (kept beside the SVG so a
/// reader can replot them), the script to `<stem>.gp`, the picture to `<stem>.svg`.
public struct Plotter: Sendable {
    public let gnuplot: String
    public init(gnuplot: String = "gnuplot") { self.gnuplot = gnuplot }

    /// Writes `<dir>/<stem>.svg` and returns its file name.
    public func render(_ figure: Figure, stem: String, in dir: URL) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var data = "# \(figure.title)\n"
        for (k, s) in figure.series.enumerated() {
            if k > 0 { data += "\n\n" }
            data += "# series \(k): \(s.name)\n"
            for i in s.x.indices {
                var line = "\(s.x[i]) \(s.y[i])"
                if let lo = s.yLow, let hi = s.yHigh { line += " \(lo[i]) \(hi[i])" }
                data += line + "\n"
            }
        }
        let datName = stem + ".dat", svgName = stem + ".svg"
        try AtomicFile.write(data, to: dir.appendingPathComponent(datName))
        var gp = """
        set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
        set output '\(dir.appendingPathComponent(svgName + ".tmp").path)'
        set title "\(escape(figure.title))"
        set xlabel "\(escape(figure.xLabel))"
        set ylabel "\(escape(figure.yLabel))"
        set key below box maxrows 4
        # A colour-blind-safe cycle (Okabe-Ito), with no pale yellow that vanishes on white.
        set linetype 1 lc rgb '#0072B2'
        set linetype 2 lc rgb '#D55E00'
        set linetype 3 lc rgb '#009E73'
        set linetype 4 lc rgb '#CC79A7'
        set linetype 5 lc rgb '#E69F00'
        set linetype 6 lc rgb '#56B4E9'
        set linetype 7 lc rgb '#000000'
        set linetype 8 lc rgb '#999999'
        set linetype cycle 8
        set grid
        set datafile missing 'nan'

        """
        if figure.logX { gp += "set logscale x\n" }
        if figure.logY { gp += "set logscale y\n" }
        let datPath = dir.appendingPathComponent(datName).path
        let plots = figure.series.enumerated().map { (k, s) -> String in
            let using: String
            let with: String
            switch s.style {
            case .errorbars: using = "1:2:3:4"; with = "yerrorlines"
            case .lines: using = "1:2"; with = "lines lw 2"
            case .points: using = "1:2"; with = "points pt 7 ps 0.9"
            case .linespoints: using = "1:2"; with = "linespoints lw 2 pt 7 ps 0.6"
            case .steps: using = "1:2"; with = "steps lw 2"
            case .boxes: using = "1:2"; with = "boxes fill solid 0.5"
            }
            return "'\(datPath)' index \(k) using \(using) with \(with) title \"\(escape(s.name))\""
        }
        gp += "plot " + (plots.isEmpty ? "NaN notitle" : plots.joined(separator: ", \\\n     ")) + "\nset output\n"
        let gpURL = dir.appendingPathComponent(stem + ".gp")
        try AtomicFile.write(gp, to: gpURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [gnuplot, gpURL.path]
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ClaimError.failed("cannot run gnuplot (apt-get install gnuplot-nox): \(error)")
        }
        let errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let tmpSVG = dir.appendingPathComponent(svgName + ".tmp")
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: tmpSVG.path) else {
            try? FileManager.default.removeItem(at: tmpSVG)
            let msg = String(decoding: errData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
            throw ClaimError.failed("gnuplot failed on \(stem): \(msg)")
        }
        // The script names absolute paths; keep the committed copy portable.
        try AtomicFile.write(gp.replacingOccurrences(of: dir.path + "/", with: ""), to: gpURL)
        guard rename(tmpSVG.path, dir.appendingPathComponent(svgName).path) == 0 else {
            throw ClaimError.failed("cannot move \(svgName) into place")
        }
        return svgName
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "_", with: "\\\\_")
    }
}
