import DiscreteGradients
import Foundation

/// The contextual-bandit network of Section 1.3 as a library `StochasticNetwork`: binary inputs,
/// hidden layers of Bernoulli units with outputs in {-1, +1} and firing probabilities clipped to
/// [1e-5, 1 - 1e-5] (the paper's code), and a softmax output unit choosing the action. Trained by
/// the library's `NetworkTrainer` with `HiddenCredit` (REINFORCE, HNCA or the negative control).
public enum BanditNetwork {
    /// Glorot-uniform weights (U(-a, a), a = sqrt(6 / (fan-in + fan-out))) and zero biases, as in the
    /// paper's published code. The weights are drawn fan-in-major (the order of the paper's code,
    /// kept so that a seed trains exactly as it always has), then stored in the library's layout.
    public static func glorotUniform(inputs: Int, hidden: [Int], actions: Int, stream: inout RandomStream) -> StochasticNetwork {
        let sizes = [inputs] + hidden + [actions]
        var layers: [(Matrix, [Double])] = []
        for k in 0..<(sizes.count - 1) {
            let a = (6.0 / Double(sizes[k] + sizes[k + 1])).squareRoot()
            var w = Matrix(rows: sizes[k], cols: sizes[k + 1])   // fan-in x fan-out
            for i in w.data.indices { w.data[i] = stream.uniform(-a, a) }
            layers.append((w.transposed, [Double](repeating: 0, count: sizes[k + 1])))
        }
        let hiddenLayers = layers.dropLast().map {
            BernoulliLayer(weights: $0.0, bias: $0.1, encoding: .plusMinusOne, clip: BernoulliLayer.paperClip)
        }
        return StochasticNetwork(hidden: hiddenLayers, output: SoftmaxLayer(weights: layers.last!.0, bias: layers.last!.1))
    }
}
