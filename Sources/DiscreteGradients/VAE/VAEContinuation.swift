import Foundation

public extension DiscreteVAE {
    /// The learning signal of encoder layer e as a differentiable function of relaxed values v
    /// of Phi_{e+1} (rows; coded values, in [0, 1] or [-1, 1]), Phi_e held at its value in `pass`:
    ///
    ///   F_e(v) = log p_e(Phi_e | v) + sum_{k > e} [H(q_{k+1}(. | m_k)) + log p_k(m_k | m_{k+1})] + log p_L(m_L),
    ///
    /// with m_{e+1} = v and m_{k+1} = E[Phi_{k+1} | Phi_k = m_k] the mean field of the layers above
    /// (the RELAX draft's Section 6.2 objective f continued to relaxed arguments, as MuProp's
    /// Taylor expansion (Gu et al. 2016, Eq. 6) and REBAR/RELAX's c(z) (Eq. 12-13) need it). Every
    /// log-probability uses the relaxed log-likelihood y log sigma(l) + (1 - y) log sigma(-l) of
    /// the indicator y, linear in y and exact at 0/1. For the top layer, F equals the sampled
    /// signal at v = b; below it, it is the mean-field surrogate, which keeps control variates
    /// unbiased (they only need F to be differentiable). Returns F per row and dF/dv. A nonlinear
    /// model's stacks are part of each map: dF/dv is backpropagated through decoder stack e, and
    /// the mean field above through the stacks of the layers above (`TanhStack.backward`).
    func continuation(layer e: Int, pass: VAEPass, values v: Matrix) -> (value: [Double], gradient: Matrix) {
        let L = layerCount, B = v.rows, gap = coding.gap, off = coding.off
        precondition(v.rows == pass.batchSize && v.cols == latentSizes[e])
        var value = [Double](repeating: 0, count: B)
        func addRelaxedLogLikelihood(_ y: Matrix, _ l: Matrix) {
            for b in 0..<B { for j in 0..<l.cols {
                let yi = y[b, j], li = l[b, j]
                value[b] += yi * Fn.logSigmoid(li) + (1 - yi) * Fn.logSigmoid(-li)
            } }
        }
        // log p_e(Phi_e | v).
        let target = indicators(of: pass, e)
        let f0 = decoderFeatures(e, v)
        let l0 = decoder[e].logits(f0.input)
        addRelaxedLogLikelihood(target, l0)
        var dl0 = target
        for k in dl0.data.indices { dl0.data[k] -= Fn.sigmoid(l0.data[k]) }
        var gradient = Matrix(rows: B, cols: f0.input.cols)
        Matrix.gemm(dl0, decoder[e].parameters.weights, into: &gradient)
        if !decoderStacks[e].isEmpty { gradient = decoderStacks[e].backward(activations: f0.hidden, outputGradient: gradient).input! }
        // The mean field above: ms[j] = m_{e+1+j}; each map's stack activations kept for the backward pass.
        var ms = [v], encoderLogits: [Matrix] = [], decoderLogits: [Matrix] = []
        var encoderHidden: [[Matrix]] = [], decoderHidden: [[Matrix]] = []
        for k in (e + 1)..<max(L, e + 1) {
            let fa = encoderFeatures(k, ms.last!)
            let a = encoder[k].logits(fa.input)
            for b in 0..<B { for j in 0..<a.cols { value[b] += ELBOComponents.bernoulliEntropy(logit: a[b, j]) } }
            let m = a.map { off + gap * Fn.sigmoid($0) }
            let fl = decoderFeatures(k, m)
            let l = decoder[k].logits(fl.input)
            addRelaxedLogLikelihood(indicators(ms.last!), l)
            encoderLogits.append(a); decoderLogits.append(l); ms.append(m)
            encoderHidden.append(fa.hidden); decoderHidden.append(fl.hidden)
        }
        let top = indicators(ms.last!)
        var gm = ms.map { Matrix(rows: B, cols: $0.cols) }
        for b in 0..<B { for j in 0..<top.cols {
            let a = priorLogits[j], y = top[b, j]
            value[b] += y * Fn.logSigmoid(a) + (1 - y) * Fn.logSigmoid(-a)
            gm[gm.count - 1][b, j] = a / gap
        } }
        // Backward through the mean field, top down: layer k's pieces sit at index k - e - 1.
        for j in stride(from: ms.count - 2, through: 0, by: -1) {
            let k = e + 1 + j
            let l = decoderLogits[j], child = indicators(ms[j])
            var dl = child
            for i in dl.data.indices { dl.data[i] -= Fn.sigmoid(l.data[i]) }
            Self.backpropagate(dl, through: decoder[k].parameters.weights, decoderStacks[k], decoderHidden[j], into: &gm[j + 1])
            for i in gm[j].data.indices { gm[j].data[i] += l.data[i] / gap }
            let a = encoderLogits[j]
            var da = a
            for i in da.data.indices {
                let s = Fn.sigmoid(a.data[i]), slope = s * (1 - s)
                da.data[i] = -a.data[i] * slope + gm[j + 1].data[i] * gap * slope
            }
            Self.backpropagate(da, through: encoder[k].parameters.weights, encoderStacks[k], encoderHidden[j], into: &gm[j])
        }
        for i in gradient.data.indices { gradient.data[i] += gm[0].data[i] }
        return (value, gradient)
    }

    /// Adds dl W (backpropagated through `stack` when it is non-empty) to `target`: the gradient
    /// along a map's input of logits l = stack(input) W^T + b. An affine map is one gemm with beta 1.
    private static func backpropagate(_ dl: Matrix, through w: Matrix, _ stack: TanhStack, _ hidden: [Matrix], into target: inout Matrix) {
        guard !stack.isEmpty else { Matrix.gemm(dl, w, beta: 1, into: &target); return }
        var dh = Matrix(rows: dl.rows, cols: w.cols)
        Matrix.gemm(dl, w, into: &dh)
        let d = stack.backward(activations: hidden, outputGradient: dh).input!
        for i in target.data.indices { target.data[i] += d.data[i] }
    }
}
