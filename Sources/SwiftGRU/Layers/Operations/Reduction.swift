/// A reduction over axes of each sample (Keras' `ops.mean`, `ops.max`, `ops.min` and `ops.sum`
/// in a functional model): the batch axis is kept. The output has no mask, as Keras'
/// operations give none. In training, a maximum's or minimum's gradient is shared by the
/// values equal to it, as TensorFlow shares it.
public final class Reduction<Scalar: TensorScalar>: Layer {
    /// What the reduction computes.
    public enum Kind: String, Sendable, CaseIterable {
        case mean, max, min, sum
    }

    public let kind: Kind
    /// The reduced axes (negative ones count from the end); never the batch axis.
    public let axes: [Int]
    /// Whether the reduced axes stay, of extent 1.
    public let keepdims: Bool
    public var name: String
    public var trainable = true
    /// Recorded calls: the input and the output.
    private var records: [(input: Tensor<Scalar>, output: Tensor<Scalar>)] = []

    /// Creates the operation.
    ///
    /// - Throws: ``LayerError`` for no axes.
    public init(_ kind: Kind, axes: [Int], keepdims: Bool = false, name: String? = nil) throws {
        guard !axes.isEmpty else { throw LayerError(.invalidArgument, "\(kind.rawValue): name the axes to reduce (the batch axis stays)") }
        self.kind = kind
        self.axes = axes
        self.keepdims = keepdims
        self.name = name ?? kind.rawValue
    }

    private func reduced(rank: Int) throws -> Set<Int> {
        try Set(axes.map { a in
            let resolved = a < 0 ? a + rank : a
            guard resolved >= 1, resolved < rank else {
                throw LayerError(.invalidArgument, "\(name): axis \(a) of an input of rank \(rank) (the batch axis cannot be reduced)")
            }
            return resolved
        })
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try reduced(rank: inputShape.count) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let gone = try reduced(rank: inputShape.count)
        return inputShape.indices.compactMap { d in gone.contains(d) ? (keepdims ? .some(1) : nil) : .some(inputShape[d]) }
    }

    /// Each value's output position, and the output shape.
    private func plan(_ shape: [Int]) throws -> (target: [Int], output: [Int], count: Int) {
        let gone = try reduced(rank: shape.count)
        let output = shape.indices.compactMap { gone.contains($0) ? (keepdims ? 1 : nil) : shape[$0] }
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let target = (0..<shape.reduce(1, *)).map { i in
            shape.indices.reduce(0) { gone.contains($1) ? $0 : $0 * shape[$1] + (i / strides[$1]) % shape[$1] }
        }
        return (target, output, gone.reduce(1) { $0 * shape[$1] })
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (target, shape, count) = try plan(input.shape)
        let size = shape.reduce(1, *)
        var out = [Scalar](repeating: kind == .max ? -.infinity : kind == .min ? .infinity : 0, count: size)
        for (i, value) in input.scalars.enumerated() {
            switch kind {
            case .mean, .sum: out[target[i]] += value
            case .max: if value > out[target[i]] || value.isNaN { out[target[i]] = value }
            case .min: if value < out[target[i]] || value.isNaN { out[target[i]] = value }
            }
        }
        if kind == .mean { out = out.map { $0 / Scalar(Swift.max(count, 1)) } }
        return LayerOutput(try Tensor(shape: shape, scalars: out))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(input, mask: mask, training: training)
        records.append((input, result.output))
        return result
    }

    public func clearRecords() { records.removeAll() }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let (input, result) = try popRecord(&records, layer: name)
        let (target, shape, count) = try plan(input.shape)
        let g = try gradient(outputGradients, 0, shape: shape).scalars
        let output = result.scalars
        var ties = [Int](repeating: 0, count: output.count)
        if kind == .max || kind == .min {
            for (i, value) in input.scalars.enumerated() where value == output[target[i]] { ties[target[i]] += 1 }
        }
        let dx = input.scalars.enumerated().map { i, value -> Scalar in
            let o = target[i]
            switch kind {
            case .sum: return g[o]
            case .mean: return g[o] / Scalar(Swift.max(count, 1))
            case .max, .min: return value == output[o] ? g[o] / Scalar(ties[o]) : 0
            }
        }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: dx))
    }
}

extension Reduction {
    public var stepScope: StepScope {
        axes.contains(1) ? .acrossSteps("reduces along the steps axis") : .eachStep
    }
}
