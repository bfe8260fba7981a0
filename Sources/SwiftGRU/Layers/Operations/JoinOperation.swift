/// Joins tensors (Keras' `ops.concatenate(xs, axis)` and `ops.stack(xs, axis)` in a functional
/// model: its `Concatenate` and `Stack` operations): concatenated along an axis they have, or
/// stacked along a new one. Unlike the Concatenate layer, the output has no mask, as Keras'
/// operations give none.
public final class JoinOperation<Scalar: TensorScalar>: Layer {
    /// How the tensors are joined.
    public enum Kind: Sendable, Hashable {
        /// Along `axis` of the inputs (negative ones count from their end).
        case concatenate(axis: Int)
        /// Along a new `axis` of the output (negative ones count from its end).
        case stack(axis: Int)
    }

    public let kind: Kind
    public var name: String
    public var trainable = true
    private let join: Concatenate<Scalar>
    private var records: [[Int]] = []

    /// Creates the operation.
    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name ?? "join"
        switch kind {
        case .concatenate(let axis), .stack(let axis): join = Concatenate(axis: axis, name: self.name)
        }
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { try build(inputShapes: [inputShape]) }
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { try outputShapes(forInputShapes: [inputShape])[0] }

    /// Where a stacked input's new axis of extent 1 goes, for inputs of `rank` axes.
    private func stackAxis(rank: Int) throws -> Int? {
        guard case .stack(let axis) = kind else { return nil }
        let resolved = axis < 0 ? axis + rank + 1 : axis
        guard resolved >= 1, resolved <= rank else {
            throw LayerError(.invalidArgument, "\(name): axis \(axis) is out of range for inputs of rank \(rank) (the batch axis stays first)")
        }
        return resolved
    }

    /// The inputs' shapes as the concatenation sees them: stacked ones with their new axis.
    private func expanded(_ shape: [Int?]) throws -> [Int?] {
        guard let axis = try stackAxis(rank: shape.count) else { return shape }
        var out = shape
        out.insert(1, at: axis)
        return out
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard let first = inputShapes.first else { throw LayerError(.invalidInputShape, "\(name): joins at least one tensor") }
        if case .stack = kind, inputShapes.contains(where: { $0 != first }) {
            throw LayerError(.invalidInputShape, "\(name): stacked tensors must have one shape, got \(inputShapes.map(describe))")
        }
        return try join.outputShapes(forInputShapes: inputShapes.map(expanded))
    }

    private func expandedInputs(_ inputs: [Tensor<Scalar>]) throws -> [Tensor<Scalar>] {
        _ = try outputShapes(forInputShapes: inputs.map { optionalShape($0.shape) })
        return try inputs.map { try $0.reshaped(to: try expanded(optionalShape($0.shape)).map { $0 ?? 0 }) }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let expanded = try expandedInputs(inputs)
        return LayerOutput(try join.forward(expanded, masks: expanded.map { _ in nil }, training: training).output)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        try forwardRecording([input], masks: [mask], training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let expanded = try expandedInputs(inputs)
        records.append(inputs.first?.shape ?? [])
        return LayerOutput(try join.forwardRecording(expanded, masks: expanded.map { _ in nil }, training: training).output)
    }

    /// The concatenation's pieces, stacked ones without their new axis.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let shape = try popRecord(&records, layer: name)
        var gradients = try join.backward(outputGradients)
        if case .stack = kind {
            if let input = gradients.input { gradients.input = try input.reshaped(to: shape) }
            gradients.otherInputs = try gradients.otherInputs.map { try $0?.reshaped(to: shape) }
        }
        return gradients
    }

    public func clearRecords() {
        records.removeAll()
        join.clearRecords()
    }
}

extension JoinOperation {
    /// Each step alone when joined along the features of `(batch, steps, ...)` inputs.
    public var stepScope: StepScope {
        switch kind {
        case .concatenate(let axis): axis >= 2 || axis == -1 ? .eachStep : .acrossSteps("joins along the steps axis")
        case .stack(let axis): axis >= 2 || axis == -1 ? .eachStep : .acrossSteps("stacks before the steps axis")
        }
    }
}
