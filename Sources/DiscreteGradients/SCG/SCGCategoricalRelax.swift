import Foundation

/// One ancestral sample of an SCG in which one node is drawn by the Gumbel-max trick (RELAX draft,
/// Appendix B), keeping its relaxation: z = theta + G, b = argmax z, z~ ~ p(z | b) for that node's
/// logits given its parents; every other node is drawn from its conditional as usual.
public struct SCGRelaxedSample: Sendable {
    /// The relaxed node.
    public var node: Int
    /// Every node's value; `values[node] == relaxed.b`.
    public var values: [Int]
    /// The node's relaxation, its logits those of p(. | Pa) at `values` (`StochasticNode.logits`).
    public var relaxed: RelaxedCategoricalSample
    public init(node: Int, values: [Int], relaxed: RelaxedCategoricalSample) {
        precondition(values[node] == relaxed.b, "SCGRelaxedSample: the node's value is not its relaxation's class")
        self.node = node; self.values = values; self.relaxed = relaxed
    }
}

public extension StochasticComputationGraph {
    /// Ancestral sampling (Algorithm 1's order) with node i drawn through its relaxation: the
    /// stream gives, in topological order, each other node's draw and, at node i, u_1..u_K then v_1..v_K.
    func relaxedSample(node i: Int, stream: inout RandomStream) -> SCGRelaxedSample {
        var x = [Int](repeating: 0, count: count)
        var relaxed: RelaxedCategoricalSample?
        for n in nodes.indices {
            if n == i {
                let s = RelaxedCategoricalSample(logits: nodes[n].logits(x), stream: &stream)
                x[n] = s.b; relaxed = s
            } else {
                x[n] = stream.categorical(nodes[n].probabilities(x))
            }
        }
        return SCGRelaxedSample(node: i, values: x, relaxed: relaxed!)
    }

    /// The costs node i can affect, summed at x: the estimators' f. The other costs read only
    /// non-descendants of i, which are independent of X_i given its parents, so leaving them out
    /// keeps every estimator unbiased and removes their noise.
    func downstreamCost(of i: Int, _ x: [Int]) -> Double {
        costs.indices.filter { reaches(i, cost: $0) }.reduce(0) { $0 + cost($1, x) }
    }
}

/// REBAR, RELAX and LAX for the parameters theta_X of one categorical (or Bernoulli) node of a
/// stochastic computation graph: the RELAX draft's Eq. 13 (RELAX), Eq. 12 (REBAR) and LAX on the node's K logits
/// (`CategoricalRelax`, `CategoricalLax`, Appendix B's reparameterisation), with f the node's
/// downstream cost at the sampled graph (a black box: the descendants are sampled given b), then
/// chained to theta_X through the logits' linear features (`StochasticNode.thetaGradient`). Each is an
/// unbiased estimate of d/dtheta_X E[sum_i f_i] for every surrogate c_phi of the node's z:
/// given the node's parents, (b, z, z~) have the single-variable law the categorical estimators
/// assume and the descendants depend on them only through b. The surrogate sees z alone.
public enum SCGCategoricalRelax {
    /// RELAX (Eq. 13); the Jacobian along phi is chained to theta_X too (for Eq. 14).
    public static func relax<S: Surrogate>(_ graph: StochasticComputationGraph, _ sample: SCGRelaxedSample, surrogate: S,
                                           varianceGradient: Bool = false) -> GradientEstimate {
        let f = graph.downstreamCost(of: sample.node, sample.values)
        return chain(graph, sample, CategoricalRelax.estimate(value: f, sample: sample.relaxed, surrogate: surrogate, varianceGradient: varianceGradient))
    }

    /// REBAR (Eq. 12): RELAX with c(z) = eta h(softmax(z / lambda)) (Eq. 15), h a differentiable
    /// function of the node's one-hot alone (e.g. a smooth fit of its expected downstream cost).
    public static func rebar<F: DifferentiableObjective>(_ graph: StochasticComputationGraph, _ sample: SCGRelaxedSample,
                                                         controlVariate: ScaledConcreteObjective<F>,
                                                         varianceGradient: Bool = false) -> GradientEstimate {
        relax(graph, sample, surrogate: controlVariate, varianceGradient: varianceGradient)
    }

    /// LAX on the node's z (no z~).
    public static func lax<S: Surrogate>(_ graph: StochasticComputationGraph, _ sample: SCGRelaxedSample, surrogate: S,
                                         varianceGradient: Bool = false) -> GradientEstimate {
        let f = graph.downstreamCost(of: sample.node, sample.values)
        return chain(graph, sample, CategoricalLax.estimate(value: f, sample: sample.relaxed, surrogate: surrogate, varianceGradient: varianceGradient))
    }

    /// A logit-space estimate as one over theta_X (the Jacobian column by column).
    static func chain(_ graph: StochasticComputationGraph, _ sample: SCGRelaxedSample, _ e: GradientEstimate) -> GradientEstimate {
        let node = graph.nodes[sample.node]
        let g = node.thetaGradient(logitGradient: e.gradient, sample.values)
        guard let P = e.jacobian.first?.count else { return GradientEstimate(gradient: g) }
        let columns = (0..<P).map { p in node.thetaGradient(logitGradient: e.jacobian.map { $0[p] }, sample.values) }
        return GradientEstimate(gradient: g, jacobian: g.indices.map { i in columns.map { $0[i] } })
    }
}
