import Foundation

/// One encoder layer drawn through the RELAX reparameterisation (RELAX draft Eq. 7 and REBAR's
/// conditional z~ ~ p(z | b)), for a minibatch: z = a + log u - log(1 - u), the unit fires iff
/// z > 0 (probability sigma(a)), z~ drawn from v in the part of the noise consistent with b.
public struct VAERelaxation: Sendable {
    public var z: Matrix
    public var zTilde: Matrix
    /// dz~/da along the unit's own logit (dz/da = 1).
    public var dzTildeDa: Matrix

    /// From the layer's logits and explicit noise (u, v); returns the coded values too.
    public static func draw(logits a: Matrix, u: Matrix, v: Matrix, coding: UnitEncoding) -> (values: Matrix, relaxation: VAERelaxation) {
        precondition(u.rows == a.rows && u.cols == a.cols && v.rows == a.rows && v.cols == a.cols, "VAERelaxation: noise shape")
        var values = a, z = a, zt = a, dz = a
        for k in a.data.indices {
            let ak = a.data[k]
            let zk = BernoulliReparameterization.z(logit: ak, u: u.data[k])
            let hard = BernoulliReparameterization.hard(zk)
            let c = BernoulliReparameterization.conditional(logit: ak, b: hard, v: v.data[k])
            values.data[k] = coding.value(fired: hard > 0.5)
            z.data[k] = zk; zt.data[k] = c.z; dz.data[k] = c.dzda
        }
        return (values, VAERelaxation(z: z, zTilde: zt, dzTildeDa: dz))
    }

    /// REBAR's relaxed unit value s_lambda(z) = off + gap sigma(z / lambda) (the binary concrete
    /// sigma_lambda of Eq. 12 in the unit's coding) and its derivative along z.
    @inlinable public static func relaxed(_ z: Double, logTemperature: Double, coding: UnitEncoding) -> (value: Double, slope: Double) {
        let lambda = exp(logTemperature), s = Fn.sigmoid(z / lambda)
        return (coding.off + coding.gap * s, coding.gap * s * (1 - s) / lambda)
    }
}

public extension DiscreteVAE {
    /// One ancestral pass through the encoder by the RELAX reparameterisation: per layer, u for
    /// every unit and example, then v; returns the pass and every layer's relaxation.
    func reparameterizedForward(_ x: Matrix, stream: inout RandomStream) -> (pass: VAEPass, relaxations: [VAERelaxation]) {
        var samples: [BernoulliLayerSample] = [], relaxations: [VAERelaxation] = [], hidden: [[Matrix]] = []
        var below = encoderInput(x)
        for (e, layer) in encoder.enumerated() {
            let f = encoderFeatures(e, below)
            let a = layer.logits(f.input)
            var u = Matrix(rows: a.rows, cols: a.cols), v = u
            stream.fillUniform(&u.data); stream.fillUniform(&v.data)
            let (values, r) = VAERelaxation.draw(logits: a, u: u, v: v, coding: coding)
            samples.append(BernoulliLayerSample(input: f.input, logits: a, probabilities: a.map(layer.firingProbability(logit:)), values: values))
            relaxations.append(r); hidden.append(f.hidden)
            below = values
        }
        var pass = VAEPass(input: x, encoder: samples, encoderHidden: hidden)
        for k in decoder.indices { pass.setDecoder(k, decoderForward(k, samples[k].values)) }
        return (pass, relaxations)
    }
}
