/// The LSTM's gate arithmetic on pre-activations `z` `(rows, 4 * units)`, gates in Keras'
/// order i, f, c, o: what ``LSTMCell`` computes per sample and the ConvLSTM cells per
/// position, and its gradients.
struct LSTMGates<Scalar: TensorScalar> {
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation

    /// The four gates' pre-activations, each `(rows, units)`.
    private func split(_ z: Tensor<Scalar>) throws -> [Tensor<Scalar>] {
        let rows = z.shape.first ?? 0, u = units, width = 4 * units
        guard z.scalarCount == rows * width else {
            throw LayerError(.invalidInputShape, "the gates' pre-activations have shape \(z.shape), expected [\(rows), \(width)]")
        }
        return try (0..<4).map { k in
            var out = [Scalar]()
            out.reserveCapacity(rows * u)
            z.scalars.withUnsafeBufferPointer { values in
                for row in 0..<rows { out.append(contentsOf: values[(row * width + k * u)..<(row * width + (k + 1) * u)]) }
            }
            return try Tensor(shape: [rows, u], scalars: out)
        }
    }

    /// `h' = o ⊙ act(c')` and `c' = f ⊙ c + i ⊙ act(z_c)` from `z` and the carry `c`.
    // Specialized: the cells are called through their protocol, which would run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(_ z: Tensor<Scalar>, carry: Tensor<Scalar>) throws -> (h: Tensor<Scalar>, c: Tensor<Scalar>) {
        let gates = try split(z)
        let i = try recurrentActivation.apply(to: gates[0]), f = try recurrentActivation.apply(to: gates[1])
        let candidate = try activation.apply(to: gates[2]), o = try recurrentActivation.apply(to: gates[3])
        let c = try f.multiplied(by: carry).adding(i.multiplied(by: candidate))
        return (try o.multiplied(by: activation.apply(to: c)), c)
    }

    /// dL/dz and dL/d(carry) from dL/dh' and dL/dc', recomputing the gates from `z`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        _ z: Tensor<Scalar>, carry: Tensor<Scalar>, hGradient dh: Tensor<Scalar>, cGradient: Tensor<Scalar>
    ) throws -> (z: Tensor<Scalar>, carry: Tensor<Scalar>) {
        let gates = try split(z)
        let (zi, zf, zc, zo) = (gates[0], gates[1], gates[2], gates[3])
        let i = try recurrentActivation.apply(to: zi), f = try recurrentActivation.apply(to: zf)
        let g = try activation.apply(to: zc), o = try recurrentActivation.apply(to: zo)
        let c = try f.multiplied(by: carry).adding(i.multiplied(by: g))
        let actC = try activation.apply(to: c)
        // dc' = dL/dc' + dh * o * act'(c').
        let dc = try cGradient.adding(activation.gradient(input: c, output: actC, outputGradient: dh.multiplied(by: o)))
        let dzi = try recurrentActivation.gradient(input: zi, output: i, outputGradient: dc.multiplied(by: g))
        let dzf = try recurrentActivation.gradient(input: zf, output: f, outputGradient: dc.multiplied(by: carry))
        let dzc = try activation.gradient(input: zc, output: g, outputGradient: dc.multiplied(by: i))
        let dzo = try recurrentActivation.gradient(input: zo, output: o, outputGradient: dh.multiplied(by: actC))
        let rows = z.shape[0], u = units, width = 4 * units
        var dz = [Scalar](repeating: 0, count: rows * width)
        for (k, gradient) in [dzi, dzf, dzc, dzo].enumerated() {
            for row in 0..<rows {
                for j in 0..<u { dz[row * width + k * u + j] = gradient.scalars[row * u + j] }
            }
        }
        return (try Tensor(shape: z.shape, scalars: dz), try dc.multiplied(by: f))
    }
}
