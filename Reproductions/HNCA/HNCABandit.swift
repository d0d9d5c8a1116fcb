import Datasets
import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// hnca.bandit: the contextual-bandit MNIST experiment of the HNCA paper (Section 1.3, Figure 1).
///
/// Networks of 1, 2 or 3 hidden layers of 200 Bernoulli units (outputs in {-1, +1}) and a softmax
/// output choose a class for each dynamically binarised image; the reward is 1 if it is the label.
/// The hidden units are trained by REINFORCE or HNCA (Eq. 3), the output unit by REINFORCE, each
/// with or without a moving-average reward baseline; Adam, batch 50. One unit of work is one
/// (depth, estimator, baseline) configuration and one seed. Sub-claims (a)-(d) are tested across
/// seeds, one scalar per seed (Statistical method 6).
public struct HNCABandit: Claim {
    public let id = "hnca.bandit"
    public let paper = "HNCA (Young, 2022)"
    public let source = "Section 1.3, Figure 1"
    public let statement = "\"for each network depth, HNCA drastically reduces gradient variance, resulting in significantly improved performance\"; \"performance degrades with number of layers for both estimators\"; the baseline \"generally improves performance of both algorithms, except for HNCA in the single hidden layer case\""
    public let summary = "HNCA beats REINFORCE on contextual-bandit MNIST (variance and accuracy)"
    public init() {}

    public typealias UnitResult = BanditUnitResult

    // MARK: Scales

    /// What a scale runs.
    struct Settings {
        var epochs: Int
        var seeds: Int
        /// Seeds for the configurations the negative control is compared with (REINFORCE without baseline, the mutant).
        var controlSeeds: Int
        var learningRate: Double
        /// Training / test images kept (nil: all), for the smoke scale.
        var trainLimit: Int?
        var testLimit: Int?
        var paperData: Bool
    }

    func settings(_ scale: Scale) -> Settings {
        switch scale {
        case .smoke: Settings(epochs: 2, seeds: 2, controlSeeds: 2, learningRate: 1e-3, trainLimit: 200, testLimit: 100, paperData: false)
        case .quick: Settings(epochs: 10, seeds: 6, controlSeeds: 8, learningRate: 1e-3, trainLimit: nil, testLimit: nil, paperData: false)
        case .paper: Settings(epochs: 100, seeds: 5, controlSeeds: 5, learningRate: 1e-4, trainLimit: nil, testLimit: nil, paperData: true)
        }
    }

    /// The final window over which accuracy is averaged (one scalar per seed): the last tenth of training.
    func window(_ epochs: Int) -> Int { max(1, epochs / 10) }

    static let depths = [1, 2, 3]

    /// A configuration's unit name, e.g. "d2-hnca-baseline".
    static func configName(depth: Int, credit: HiddenCredit, baseline: Bool) -> String {
        let method = credit == .hncaSampledOutputOnly ? "mutant" : credit.rawValue
        return "d\(depth)-\(method)-\(baseline ? "baseline" : "plain")"
    }
    static func parse(_ name: String) -> (depth: Int, credit: HiddenCredit, baseline: Bool)? {
        let parts = name.split(separator: "-").map(String.init)
        guard parts.count == 3, parts[0].hasPrefix("d"), let d = Int(parts[0].dropFirst()), depths.contains(d),
              let credit: HiddenCredit = parts[1] == "mutant" ? .hncaSampledOutputOnly : HiddenCredit(rawValue: parts[1]),
              credit != .hncaSampledOutputOnly || parts[2] == "plain",
              ["baseline", "plain"].contains(parts[2]) else { return nil }
        return (d, credit, parts[2] == "baseline")
    }

    public func units(at scale: Scale) -> [RunUnit] {
        let s = settings(scale)
        var units: [RunUnit] = []
        for depth in Self.depths {
            for credit in [HiddenCredit.reinforce, .hnca] {
                for baseline in [false, true] {
                    let n = (credit == .reinforce && !baseline) ? max(s.seeds, s.controlSeeds) : s.seeds
                    for seed in 0..<n { units.append(RunUnit(Self.configName(depth: depth, credit: credit, baseline: baseline), seed)) }
                }
            }
            for seed in 0..<s.controlSeeds {
                units.append(RunUnit(Self.configName(depth: depth, credit: .hncaSampledOutputOnly, baseline: false), seed))
            }
        }
        return units
    }

    // MARK: Data


    // MARK: One unit

    public func run(_ unit: RunUnit, context: RunContext) throws -> BanditUnitResult {
        guard let c = Self.parse(unit.config) else { throw ClaimError.failed("unknown configuration '\(unit.config)'") }
        let s = settings(context.scale)
        let data = try ClaimImageData.load(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: s.testLimit)
        context.dataset = data.summary
        let config = BanditRunConfig(hiddenLayers: c.depth, credit: c.credit, baseline: c.baseline,
                                     learningRate: s.learningRate, epochs: s.epochs)
        let records: [BanditEpochRecord]
        do {
            records = try BanditTraining.run(config, data: data, stream: context.stream("train")) { epoch, batch, batches in
                context.progress(step: (epoch - 1) * batches + batch, of: s.epochs * batches, "epoch \(epoch)/\(s.epochs)")
            }
        } catch let error as BanditTrainingError {
            throw ClaimError.nonFinite(error.description)
        }
        return BanditUnitResult(config: config, dataset: data.name, records: records)
    }

    // MARK: Evidence

    public func evidence(from results: [(unit: RunUnit, result: BanditUnitResult)], scale: Scale) throws -> Evidence {
        GSL.configure()   // GSL's default handler aborts; evidence may run in a process that ran no unit
        let s = settings(scale)
        let w = window(s.epochs)
        var runs: [String: [BanditUnitResult]] = [:]
        for (unit, r) in results.sorted(by: { $0.unit < $1.unit }) { runs[unit.config, default: []].append(r) }
        func group(_ d: Int, _ c: HiddenCredit, _ b: Bool) throws -> [BanditUnitResult] {
            let name = Self.configName(depth: d, credit: c, baseline: b)
            guard let g = runs[name], g.count >= 2 else { throw ClaimError.missingResults("fewer than 2 seeds of \(name)") }
            return g
        }
        // One scalar per seed.
        func logVariance(_ r: BanditUnitResult) -> Double { r.records.map { log($0.gradientVariance) }.reduce(0, +) / Double(r.records.count) }
        func finalTrain(_ r: BanditUnitResult) -> Double { r.records.suffix(w).map(\.trainAccuracy).reduce(0, +) / Double(min(w, r.records.count)) }
        func finalTest(_ r: BanditUnitResult) -> Double { r.records.suffix(w).map(\.testAccuracy).reduce(0, +) / Double(min(w, r.records.count)) }

        let alpha = StatisticalPolicy.claimAlpha
        /// A planned comparison: H1 mean(better) > mean(worse), one-sided Welch.
        struct Planned { var check: Int; var label: String; var better: [Double]; var worse: [Double]; var design: Double; var claimIsNull = false }
        var planned: [Planned] = []
        let checkNames = ["(a) variance", "(b) accuracy", "(c) depth", "(d) baseline", "(d) exception"]
        let designEffect = [4.0, 4.0, 2.0, 2.0, 2.0]
        for d in Self.depths {
            for b in [false, true] {
                let re = try group(d, .reinforce, b), hn = try group(d, .hnca, b)
                let tag = "depth \(d), \(b ? "baseline" : "no baseline")"
                planned.append(Planned(check: 0, label: "ln Var: REINFORCE − HNCA, \(tag)", better: re.map(logVariance), worse: hn.map(logVariance), design: designEffect[0]))
                planned.append(Planned(check: 1, label: "train acc: HNCA − REINFORCE, \(tag)", better: hn.map(finalTrain), worse: re.map(finalTrain), design: designEffect[1]))
                planned.append(Planned(check: 1, label: "test acc: HNCA − REINFORCE, \(tag)", better: hn.map(finalTest), worse: re.map(finalTest), design: designEffect[1]))
            }
        }
        for c in [HiddenCredit.reinforce, .hnca] {
            for b in [false, true] {
                for d in [1, 2] {
                    planned.append(Planned(check: 2, label: "train acc: depth \(d) − depth \(d + 1), \(c == .hnca ? "HNCA" : "REINFORCE"), \(b ? "baseline" : "no baseline")",
                                           better: try group(d, c, b).map(finalTrain), worse: try group(d + 1, c, b).map(finalTrain), design: designEffect[2]))
                }
            }
        }
        for (c, d) in [(HiddenCredit.reinforce, 1), (.reinforce, 2), (.reinforce, 3), (.hnca, 2), (.hnca, 3)] {
            planned.append(Planned(check: 3, label: "train acc: baseline − none, \(c == .hnca ? "HNCA" : "REINFORCE"), depth \(d)",
                                   better: try group(d, c, true).map(finalTrain), worse: try group(d, c, false).map(finalTrain), design: designEffect[3]))
        }
        planned.append(Planned(check: 4, label: "train acc: baseline − none, HNCA, depth 1", better: try group(1, .hnca, true).map(finalTrain),
                               worse: try group(1, .hnca, false).map(finalTrain), design: designEffect[4], claimIsNull: true))

        let judged = judge(planned.map { ($0.label, $0.better, $0.worse, $0.design) }, familyAlpha: alpha)
        var checks: [Check] = []
        for (k, name) in checkNames.enumerated() {
            let members = planned.indices.filter { planned[$0].check == k }
            let results = members.map { judged[$0].result }
            let detail = members.map { judged[$0].detail }.joined(separator: "; ")
            switch k {
            case 0: checks.append(.allOf(name, asserts: "HNCA has lower mean gradient variance than REINFORCE at every depth (with and without baseline); per seed: mean over epochs of ln(mean gradient variance)", results, design: .claimIsAlternative, detail: detail))
            case 1: checks.append(.allOf(name, asserts: "HNCA reaches higher final train and test accuracy than REINFORCE at every depth (mean of the last \(w) epoch(s))", results, design: .claimIsAlternative, detail: detail))
            case 2: checks.append(.allOf(name, asserts: "final train accuracy falls from 1 to 2 and from 2 to 3 hidden layers, for both estimators, with and without baseline", results, design: .claimIsAlternative, detail: detail))
            case 3: checks.append(.allOf(name, asserts: "the baseline raises final train accuracy for REINFORCE at every depth and for HNCA at depths 2 and 3", results, design: .claimIsAlternative, detail: detail))
            default: checks.append(.allOf(name, asserts: "the baseline does not raise HNCA's final train accuracy with one hidden layer (H0: no gain is kept unless rejected; supported only with power at d = \(fmt(designEffect[4])))", results, design: .claimIsNull, detail: detail))
            }
        }
        // Negative control: the mutant through sub-claim (a), against REINFORCE without baseline.
        var mutantPlanned: [(String, [Double], [Double], Double)] = []
        for d in Self.depths {
            let re = try group(d, .reinforce, false), mu = try group(d, .hncaSampledOutputOnly, false)
            mutantPlanned.append(("ln Var: REINFORCE − mutant, depth \(d), no baseline", re.map(logVariance), mu.map(logVariance), designEffect[0]))
        }
        let mutantJudged = judge(mutantPlanned, familyAlpha: alpha)
        let mutant = NegativeControl(
            name: "credit on the sampled output only",
            bug: "HNCA with Eq. 3's sum over phi dropped: the sampled output's REINFORCE score is weighted by rho(Phi), so the unit is credited for whatever it happened to output",
            checks: [.allOf("(a) variance", asserts: "the mutant has lower mean gradient variance than REINFORCE at every depth",
                            mutantJudged.map(\.result), design: .claimIsAlternative, detail: mutantJudged.map(\.detail).joined(separator: "; "))])

        // Figures like Figure 1: per depth, accuracy curves and ln gradient-variance curves (mean over seeds, 95% CI).
        var figures: [Figure] = []
        let methods: [(HiddenCredit, Bool, String)] = [(.reinforce, false, "REINFORCE"), (.reinforce, true, "REINFORCE + baseline"),
                                                       (.hnca, false, "HNCA"), (.hnca, true, "HNCA + baseline")]
        for d in Self.depths {
            var accuracy: [Figure.Series] = [], variance: [Figure.Series] = []
            for (c, b, label) in methods {
                let g = try group(d, c, b)
                let epochs = g[0].records.map { Double($0.epoch) }
                accuracy.append(.meanOverSeeds("\(label), test", epochs, g.map { $0.records.map(\.testAccuracy) }, errorBars: true))
                accuracy.append(.meanOverSeeds("\(label), train (online)", epochs, g.map { $0.records.map(\.trainAccuracy) }, errorBars: false))
                variance.append(.meanOverSeeds(label, epochs, g.map { $0.records.map { log($0.gradientVariance) } }, errorBars: true))
            }
            let mu = try group(d, .hncaSampledOutputOnly, false)
            variance.append(.meanOverSeeds("mutant (negative control)", mu[0].records.map { Double($0.epoch) }, mu.map { $0.records.map { log($0.gradientVariance) } }, errorBars: false))
            figures.append(Figure(id: "variance-depth\(d)", title: "ln mean gradient variance, \(d) hidden layer\(d > 1 ? "s" : "")", xLabel: "epoch", yLabel: "ln mean gradient variance", series: variance,
                                  caption: "Mean over seeds with 95% confidence intervals; the variance is the per-parameter variance of the per-example gradient across a batch of 50, averaged over parameters and over the epoch's batches. HNCA's curves should lie well below REINFORCE's; the mutant's should not."))
            figures.append(Figure(id: "accuracy-depth\(d)", title: "Accuracy, \(d) hidden layer\(d > 1 ? "s" : "")", xLabel: "epoch", yLabel: "accuracy", series: accuracy,
                                  caption: "Test accuracy (sampled actions on a fresh binarisation, 95% CI over seeds) and online training accuracy (the mean reward of the epoch)."))
        }
        // Table of final values.
        var rows: [[String]] = []
        for d in Self.depths {
            for (c, b, label) in methods + [(.hncaSampledOutputOnly, false, "mutant")] {
                let g = try group(d, c, b)
                let tr = Summary(g.map(finalTrain)), te = Summary(g.map(finalTest)), lv = Summary(g.map(logVariance))
                rows.append(["\(d)", label, "\(g.count)", "\(fmt(tr.mean, 4)) ± \(fmt(tr.sd, 2))", "\(fmt(te.mean, 4)) ± \(fmt(te.sd, 2))", "\(fmt(lv.mean, 4)) ± \(fmt(lv.sd, 2))",
                             fmt(log(g.map { $0.records.last!.hiddenGradientVariance }.reduce(0, +) / Double(g.count)), 4)])
            }
        }
        let dataset = results.first?.result.dataset ?? "?"
        let varianceGap = Self.depths.map { d -> String in
            let re = (try? group(d, .reinforce, false).map(logVariance)) ?? [], hn = (try? group(d, .hnca, false).map(logVariance)) ?? []
            return "d\(d) \(fmt(re.mean - hn.mean, 3))"
        }.joined(separator: ", ")
        let accuracyGap = Self.depths.map { d -> String in
            let re = (try? group(d, .reinforce, false).map(finalTest)) ?? [], hn = (try? group(d, .hnca, false).map(finalTest)) ?? []
            return "d\(d) \(fmt(hn.mean, 3)) vs \(fmt(re.mean, 3))"
        }.joined(separator: ", ")
        return Evidence(
            headline: "ln-variance gap REINFORCE − HNCA (no baseline): \(varianceGap); test accuracy HNCA vs REINFORCE: \(accuracyGap) (\(dataset), \(s.epochs) epochs).",
            setup: [
                "Data set: \(dataset)" + (s.paperData ? "" : " (real MNIST digits, but a subset: the paper uses the full 60000/10000 MNIST)"),
                "Network: 784 binary inputs (dynamic binarisation each epoch), 1/2/3 hidden layers of 200 Bernoulli units with outputs in {-1, +1}, softmax over 10 actions; Glorot-uniform weights, zero biases; probabilities clipped to [1e-5, 1 - 1e-5]",
                "Training: reward 1 if the sampled action is the label; Adam (lr \(fmt(s.learningRate)), beta 0.9/0.999, eps 1e-8), batch 50, \(s.epochs) epochs" + (scale == .paper ? "" : " (the paper: lr 1e-4, 100 epochs; a larger lr here to learn within the budget)"),
                "Baseline: exponential moving average of the batch-mean reward, decay 0.99, from earlier batches only",
                "Seeds: \(s.seeds) per configuration, \(max(s.seeds, s.controlSeeds)) for REINFORCE without baseline and \(s.controlSeeds) for the mutant (the negative control's comparison)",
                "Per seed: ln variance = mean over epochs of ln(mean gradient variance); accuracy = mean of the last \(w) epoch(s)",
                "Tests: one-sided Welch t-tests on the per-seed scalars, Holm over the \(planned.count) tests of the claim at family alpha \(fmt(alpha)) (the mutant's \(mutantPlanned.count) tests form their own family); power at the design effect (Cohen's d = 4 for (a), (b), 'drastic'; d = 2 for (c), (d)); Mann-Whitney U and the probability of improvement are reported beside each test (with so few seeds their smallest attainable p-value is above the Holm thresholds, so they do not decide verdicts)",
            ],
            checks: checks,
            negativeControls: [mutant],
            tables: [Table(title: "Final values per configuration (mean ± sd over seeds)",
                           columns: ["depth", "method", "seeds", "train accuracy", "test accuracy", "ln variance (epoch mean)", "ln hidden-layer variance, last epoch"], rows: rows)],
            figures: figures,
            notes: [
                "The gradient variance is measured on each method's own trajectory (as in the paper), so it also reflects where each method's training has taken the network.",
                "The output unit is trained by REINFORCE in both methods; the variance averages over all parameters, hidden and output, as the paper's caption describes.",
            ])
    }

    /// Welch (verdict) with power at the design effect, Holm within the family, and the rank test beside it.
    func judge(_ tests: [(label: String, better: [Double], worse: [Double], design: Double)], familyAlpha alpha: Double) -> [(result: TestResult, detail: String)] {
        let raw = tests.map { t in TTest.welch(t.better, t.worse, alternative: .greater, alpha: alpha, label: t.label) }
        let adjusted = Holm.apply(raw, familyAlpha: alpha)
        return zip(tests, adjusted).map { t, r in
            let n = min(t.better.count, t.worse.count)
            let result = r.with(power: Power.welch(nPerGroup: n, effect: t.design, alpha: r.alpha), at: t.design)
            let rank = MannWhitney.test(t.better, t.worse, alternative: .greater, alpha: alpha)
            let d = CohensD.twoSample(t.better, t.worse)
            let needed = d > 0 ? Power.welchSampleSize(effect: d, alpha: r.alpha, power: 0.95) : Int.max
            let detail = "\(t.label): \(fmt(t.better.mean, 4)) vs \(fmt(t.worse.mean, 4)), t = \(fmt(r.statistic, 3)), p = \(fmt(r.pValue, 2)) (Holm alpha \(fmt(r.alpha, 2))), d = \(fmt(d, 3)), seeds for 95% power at this d: \(needed == Int.max ? "∞" : String(needed)), Mann-Whitney p = \(fmt(rank.pValue, 2)), P(better) = \(fmt(ProbabilityOfImprovement.estimate(t.better, t.worse), 2))"
            return (result, detail)
        }
    }

}

/// What one (configuration, seed) unit stores: its settings and one record per epoch.
public struct BanditUnitResult: Codable, Sendable {
    public var config: BanditRunConfig
    public var dataset: String
    public var records: [BanditEpochRecord]
}
