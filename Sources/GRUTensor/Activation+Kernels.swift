import RealModule

extension Activation {
    /// The function applied to one element; row-wise functions are not defined here.
    @inlinable
    public func value<S: TensorScalar>(_ x: S) -> S {
        switch self {
        case .linear, .softmax, .logSoftmax, .sparsemax, .glu: return x
        case .tanh: return S.tanh(x)
        case .sigmoid: return Self.sigmoid(x)
        case .hardSigmoid: return Swift.min(Swift.max(x / 6 + 0.5, 0), 1)
        case .legacyHardSigmoid: return Swift.min(Swift.max(x * S(0.2) + 0.5, 0), 1)
        case .sparseSigmoid: return x <= -1 ? 0 : (x >= 1 ? 1 : (x + 1) / 2)
        case .logSigmoid: return -Self.softplus(-x)
        case .relu: return Swift.max(x, 0)
        case .relu6: return Swift.min(Swift.max(x, 0), 6)
        case .leakyRelu: return x >= 0 ? x : x * S(0.2)
        case .elu: return x > 0 ? x : S.expMinusOne(x)
        case .selu:
            let scale = S(1.0507009873554804934193349852946)
            let alpha = S(1.6732632423543772848170429916717)
            return scale * (x > 0 ? x : alpha * S.expMinusOne(x))
        case .celu: return Swift.max(x, 0) + Swift.min(0, S.expMinusOne(x))
        case .gelu: return x / 2 * (1 + S.erf(x / S.sqrt(2)))
        case .silu: return x * Self.sigmoid(x)
        case .hardSilu: return x * Swift.min(Swift.max(x / 6 + 0.5, 0), 1)
        case .mish: return x * S.tanh(Self.softplus(x))
        case .softplus: return Self.softplus(x)
        case .softsign: return x / (1 + abs(x))
        case .squareplus: return (x + S.sqrt(x * x + 4)) / 2
        case .sparsePlus: return x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4)
        case .exponential: return S.exp(x)
        case .hardTanh: return Swift.min(Swift.max(x, -1), 1)
        case .tanhShrink: return x - S.tanh(x)
        case .softShrink: return x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0)
        case .hardShrink: return abs(x) > 0.5 ? x : 0
        }
    }

    @inlinable
    static func sigmoid<S: TensorScalar>(_ x: S) -> S {
        x >= 0 ? 1 / (1 + S.exp(-x)) : S.exp(x) / (1 + S.exp(x))
    }

    @inlinable
    static func softplus<S: TensorScalar>(_ x: S) -> S {
        // log(1 + e^x) without overflow for large x.
        x > 0 ? x + S.log(onePlus: S.exp(-x)) : S.log(onePlus: S.exp(x))
    }

    /// Applies the activation in place to consecutive rows of `rowLength` elements.
    ///
    /// ``glu`` halves the row and cannot run in place: use ``apply(to:)``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    package func apply<S: TensorScalar>(inPlace buffer: UnsafeMutableBufferPointer<S>, rowLength: Int) {
        switch self {
        case .linear, .glu: return
        case .sigmoid: S.sigmoid(inPlace: buffer)
        case .tanh: S.tanh(inPlace: buffer)
        case .softmax, .logSoftmax, .sparsemax:
            guard rowLength > 0 else { return }
            var start = 0
            while start + rowLength <= buffer.count {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + rowLength)])
                Self.applyRowwise(self, row)
                start += rowLength
            }
        default:
            for i in buffer.indices { buffer[i] = value(buffer[i]) }
        }
    }

    @usableFromInline
    static func applyRowwise<S: TensorScalar>(_ kind: Activation, _ row: UnsafeMutableBufferPointer<S>) {
        guard let maximum = row.max() else { return }
        switch kind {
        case .softmax:
            var total: S = 0
            for i in row.indices { row[i] = S.exp(row[i] - maximum); total += row[i] }
            for i in row.indices { row[i] /= total }
        case .logSoftmax:
            var total: S = 0
            for v in row { total += S.exp(v - maximum) }
            let logTotal = S.log(total) + maximum
            for i in row.indices { row[i] -= logTotal }
        case .sparsemax:
            // Keras' formula: support = {i : 1 + i * z_(i) > cumsum_i} over the sorted values,
            // tau = (sum of the cumulative sums inside the support - 1) / |support|.
            let sorted = row.sorted(by: >)
            var cumulative: S = 0, support = 0, supportSum: S = 0
            for (index, z) in sorted.enumerated() {
                cumulative += z
                if z - (cumulative - 1) / S(index + 1) > 0 { support += 1; supportSum += cumulative }
            }
            let tau = (supportSum - 1) / S(Swift.max(support, 1))
            for i in row.indices { row[i] = Swift.max(row[i] - tau, 0) }
        default:
            break
        }
    }

    /// Applies the activation along the last axis of a tensor.
    ///
    /// - Throws: ``TensorError`` when ``glu`` meets an odd last extent.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(to tensor: Tensor<S>) throws -> Tensor<S> {
        let width = tensor.shape.last ?? 1
        if self == .glu {
            guard width % 2 == 0 else {
                throw TensorError("glu needs an even last axis; got shape \(tensor.shape)")
            }
            let half = width / 2
            var result = [S]()
            result.reserveCapacity(tensor.scalarCount / 2)
            let x = tensor.scalars
            for row in stride(from: 0, to: x.count, by: width) {
                for j in 0..<half { result.append(x[row + j] * Self.sigmoid(x[row + half + j])) }
            }
            return try Tensor(shape: Array(tensor.shape.dropLast()) + [half], scalars: result)
        }
        var result = tensor
        result.withUnsafeMutableBufferPointer { apply(inPlace: $0, rowLength: width) }
        return result
    }
}
