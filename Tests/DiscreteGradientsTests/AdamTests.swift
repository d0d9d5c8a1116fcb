import DiscreteGradients
import Testing

/// Adam against steps computed by hand (Kingma and Ba 2014, Algorithm 1; lr 0.1, defaults otherwise).
@Suite struct AdamTests {
    @Test func threeStepsMatchHandComputation() {
        var adam = Adam(parameterCount: 1, learningRate: 0.1)
        var theta = [1.0]
        // Step 1, g = 2: m = 0.2, v = 0.004; mhat = 2, vhat = 4; theta -= 0.1 * 2 / (2 + 1e-8).
        adam.update(&theta, gradient: [2])
        #expect(abs(theta[0] - 0.9000000005) < 1e-13)
        // Step 2, g = -1: m = 0.08, v = 0.004996; mhat = 0.08 / 0.19, vhat = 0.004996 / 0.001999.
        adam.update(&theta, gradient: [-1])
        #expect(abs(theta[0] - 0.8733662967024315) < 1e-13)
        // Step 3, g = 0.5.
        adam.update(&theta, gradient: [0.5])
        #expect(abs(theta[0] - 0.8393233821389425) < 1e-13)
        #expect(adam.step == 3)
    }

    @Test func firstStepMovesEachCoordinateByTheLearningRate() {
        // With mhat = g and vhat = g^2 after one step, every coordinate moves by lr * sign(g).
        var adam = Adam(parameterCount: 4, learningRate: 1e-3)
        var theta = Matrix(rows: 2, cols: 2, data: [0, 0, 0, 0])
        adam.update(&theta, gradient: Matrix(rows: 2, cols: 2, data: [5, -0.01, 300, -2]))
        for (x, s) in zip(theta.data, [-1.0, 1, -1, 1]) { #expect(abs(x - s * 1e-3) < 1e-9) }
    }

    @Test func ascentMovesAlongTheGradient() {
        var up = Adam(parameterCount: 1, learningRate: 0.1), down = up
        var a = [0.0], b = [0.0]
        up.update(&a, gradient: [3], .ascend)
        down.update(&b, gradient: [3], .descend)
        #expect(a[0] > 0 && b[0] < 0 && abs(a[0] + b[0]) < 1e-15)
    }
}
