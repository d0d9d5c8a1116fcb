import Foundation
import Testing
import DiscreteGradients

@Suite("numerically safe functions")
struct FunctionsTests {
    let extremes: [Double] = [-1e308, -1000, -745, -40, -1e-12, 0, 1e-12, 40, 709, 1000, 1e308]

    @Test func sigmoidStaysFiniteAndSymmetric() {
        for x in extremes {
            let s = Fn.sigmoid(x)
            #expect(s.isFinite && s >= 0 && s <= 1, "sigmoid(\(x)) = \(s)")
            #expect(abs(s + Fn.sigmoid(-x) - 1) < 1e-15)
        }
        #expect(Fn.sigmoid(0) == 0.5)
        #expect(Fn.sigmoid(1000) == 1 && Fn.sigmoid(-1000) == 0)
        // Small tails keep relative precision: sigmoid(-40) = e^-40 / (1 + e^-40).
        #expect(abs(Fn.sigmoid(-40) / exp(-40) - 1) < 1e-15)
    }

    @Test func softplusAndLogSigmoidStayFinite() {
        for x in extremes {
            let sp = Fn.softplus(x), ls = Fn.logSigmoid(x)
            #expect(sp.isFinite && sp >= 0, "softplus(\(x)) = \(sp)")
            #expect(ls.isFinite && ls <= 0, "logSigmoid(\(x)) = \(ls)")
            // softplus(x) - softplus(-x) = x.
            #expect(abs((sp - Fn.softplus(-x)) - x) <= 1e-15 * max(1, abs(x)))
        }
        #expect(Fn.softplus(1000) == 1000)
        #expect(Fn.logSigmoid(-1000) == -1000)
        #expect(abs(Fn.softplus(0) - log(2)) < 1e-15)
        #expect(abs(Fn.softplus(-40) / exp(-40) - 1) < 1e-15)  // log1p keeps the tiny tail
    }

    @Test func logSumExpStaysFinite() {
        #expect(abs(Fn.logSumExp([1000, 1000]) - (1000 + log(2))) < 1e-12)
        #expect(abs(Fn.logSumExp([-1000, -1000]) - (-1000 + log(2))) < 1e-12)
        #expect(abs(Fn.logSumExp([1e308, 0]) - 1e308) <= 1e292)
        #expect(Fn.logSumExp([-.infinity, 0]) == 0)
        #expect(Fn.logSumExp([-.infinity, -.infinity]) == -.infinity)
        #expect(Fn.logSumExp([]) == -.infinity)
        #expect(abs(Fn.logSumExp([1, 2, 3]) - log(exp(1) + exp(2) + exp(3))) < 1e-14)
    }

    @Test func softmaxAndLogit() {
        let p = Fn.softmax([1000, 1001, 999])
        #expect(p.allSatisfy(\.isFinite) && abs(p.reduce(0, +) - 1) < 1e-15)
        #expect(abs(p[1] / p[0] - M_E) < 1e-12)
        // logit(sigmoid(x)) = x while 1 - sigmoid(x) is representable well (x <= ~15; beyond,
        // 1 - p itself has lost its digits, a limit of the input, not of logit).
        for x in [-30.0, -1, 0, 2.5, 15] { #expect(abs(Fn.logit(Fn.sigmoid(x)) - x) < 1e-8) }
    }
}
