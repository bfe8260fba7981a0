import RealModule

extension Activation {
    /// The derivative at `x`, given `y = value(x)`; row-wise functions are not defined here.
    @inlinable
    public func derivative<S: TensorScalar>(_ x: S, _ y: S) -> S {
        switch self {
        case .linear, .softmax, .logSoftmax, .sparsemax, .glu: return 1
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .hardSigmoid: return x > -3 && x < 3 ? 1 / 6 : 0
        case .legacyHardSigmoid: return x > -2.5 && x < 2.5 ? S(0.2) : 0
        case .sparseSigmoid: return x > -1 && x < 1 ? 0.5 : 0
        case .logSigmoid: return Self.sigmoid(-x)
        case .relu: return x > 0 ? 1 : 0
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .leakyRelu: return x > 0 ? 1 : S(0.2)
        case .elu: return x > 0 ? 1 : y + 1
        case .selu:
            let scale = S(1.0507009873554804934193349852946)
            let alpha = S(1.6732632423543772848170429916717)
            return x > 0 ? scale : scale * alpha * S.exp(x)
        case .celu: return x > 0 ? 1 : S.exp(x)
        case .gelu:
            let cdf = (1 + S.erf(x / S.sqrt(2))) / 2
            let pdf = S.exp(-x * x / 2) / S.sqrt(2 * S.pi)
            return cdf + x * pdf
        case .silu:
            let s = Self.sigmoid(x)
            return s + x * s * (1 - s)
        case .hardSilu: return x <= -3 ? 0 : (x >= 3 ? 1 : x / 3 + 0.5)
        case .mish:
            let t = S.tanh(Self.softplus(x))
            return t + x * (1 - t * t) * Self.sigmoid(x)
        case .softplus: return Self.sigmoid(x)
        case .softsign: return 1 / ((1 + abs(x)) * (1 + abs(x)))
        case .squareplus: return (1 + x / S.sqrt(x * x + 4)) / 2
        case .sparsePlus: return x <= -1 ? 0 : (x >= 1 ? 1 : (x + 1) / 2)
        case .exponential: return y
        case .hardTanh: return x > -1 && x < 1 ? 1 : 0
        case .tanhShrink:
            let t = S.tanh(x)
            return t * t
        case .softShrink, .hardShrink: return abs(x) > 0.5 ? 1 : 0
        }
    }

    /// Turns gradients with respect to the outputs into gradients with respect to the
    /// inputs, in place, for consecutive rows of `rowLength` elements.
    ///
    /// - Parameters:
    ///   - gradient: On entry dL/dy, on return dL/dx.
    ///   - input: The values `x` the function was applied to.
    ///   - output: The results `y`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    package func backward<S: TensorScalar>(
        inPlace gradient: UnsafeMutableBufferPointer<S>, input: UnsafeBufferPointer<S>,
        output: UnsafeBufferPointer<S>, rowLength: Int
    ) {
        switch self {
        case .linear, .glu: return
        // The recurrent layers' gates: ``derivative(_:_:)``'s values without a switch per element.
        case .tanh:
            for i in gradient.indices { gradient[i] *= 1 - output[i] * output[i] }
        case .sigmoid:
            for i in gradient.indices { gradient[i] *= output[i] * (1 - output[i]) }
        case .softmax, .logSoftmax, .sparsemax:
            guard rowLength > 0 else { return }
            for start in stride(from: 0, to: gradient.count - rowLength + 1, by: rowLength) {
                Self.rowwiseBackward(self, gradient, input, output, start: start, count: rowLength)
            }
        default:
            for i in gradient.indices { gradient[i] *= derivative(input[i], output[i]) }
        }
    }

    @usableFromInline
    static func rowwiseBackward<S: TensorScalar>(
        _ kind: Activation, _ g: UnsafeMutableBufferPointer<S>, _ x: UnsafeBufferPointer<S>,
        _ y: UnsafeBufferPointer<S>, start: Int, count: Int
    ) {
        let range = start..<(start + count)
        switch kind {
        case .softmax:
            var dot: S = 0
            for i in range { dot += g[i] * y[i] }
            for i in range { g[i] = y[i] * (g[i] - dot) }
        case .logSoftmax:
            var total: S = 0
            for i in range { total += g[i] }
            for i in range { g[i] -= S.exp(y[i]) * total }
        case .sparsemax:
            // y = max(x - tau, 0) with Keras' tau = (sum over the support of the cumulative
            // sums - 1) / k, so d tau / d x_(j) = (k - rank_j + 1) / k inside the support.
            let order = range.sorted { x[$0] > x[$1] }
            var cumulative: S = 0, k = 0
            for (rank, i) in order.enumerated() {
                cumulative += x[i]
                if x[i] - (cumulative - 1) / S(rank + 1) > 0 { k += 1 }
            }
            var active: S = 0
            for i in range where y[i] > 0 { active += g[i] }
            var gradients = [S](repeating: 0, count: count)
            for (rank, i) in order.enumerated() {
                let dTau = rank < k ? S(k - rank) / S(Swift.max(k, 1)) : 0
                gradients[i - start] = (y[i] > 0 ? g[i] : 0) - dTau * active
            }
            for i in range { g[i] = gradients[i - start] }
        default:
            break
        }
    }

    /// The gradient with respect to the input of ``apply(to:)``, for a tensor-wide call.
    ///
    /// - Throws: ``TensorError`` when the shapes do not match.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func gradient<S: TensorScalar>(input: Tensor<S>, output: Tensor<S>, outputGradient: Tensor<S>) throws -> Tensor<S> {
        guard outputGradient.shape == output.shape else {
            throw TensorError("gradient shape \(outputGradient.shape) does not match output shape \(output.shape)")
        }
        let width = input.shape.last ?? 1
        if self == .glu {
            let half = width / 2
            var result = Tensor<S>(zeros: input.shape)
            result.withUnsafeMutableBufferPointer { dx in
                for (row, start) in stride(from: 0, to: input.scalarCount, by: width).enumerated() {
                    for j in 0..<half {
                        let a = input.scalars[start + j], s = Self.sigmoid(input.scalars[start + half + j])
                        let g = outputGradient.scalars[row * half + j]
                        dx[start + j] = g * s
                        dx[start + half + j] = g * a * s * (1 - s)
                    }
                }
            }
            return result
        }
        var result = outputGradient
        input.withUnsafeBufferPointer { x in
            output.withUnsafeBufferPointer { y in
                result.withUnsafeMutableBufferPointer { g in backward(inPlace: g, input: x, output: y, rowLength: width) }
            }
        }
        return result
    }
}
