/// What an element-wise merge computes from its inputs.
public enum MergeOperation: String, Sendable {
    case subtract, multiply, average, maximum, minimum
}

/// The element-wise merges of Keras' `Subtract`, `Multiply`, `Average`, `Maximum` and
/// `Minimum`: every input has the same shape; the output's mask is where every input's mask is
/// `true` (none when some input has none), as in Keras' merge layers.
public class ElementwiseMerge<Scalar: TensorScalar>: Layer {
    public let operation: MergeOperation
    public var name: String
    public var trainable = true
    /// Recorded calls: the inputs.
    var records: [[Tensor<Scalar>]] = []

    init(_ operation: MergeOperation, name: String) {
        self.operation = operation
        self.name = name
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    private func checkCount(_ count: Int) throws {
        if operation == .subtract, count != 2 {
            throw LayerError(.invalidArgument, "\(name): Subtract takes exactly 2 inputs, got \(count)")
        }
        if count < 1 { throw LayerError(.invalidArgument, "\(name): a merge layer needs at least one input") }
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        try checkCount(inputShapes.count)
        return [try sameShape(inputShapes, layer: name)]
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try checkCount(inputs.count)
        _ = try sameShape(inputs.map { optionalShape($0.shape) }, layer: name)
        var result = inputs[0]
        for other in inputs.dropFirst() {
            switch operation {
            case .subtract: result = try result.combined(with: other, -)
            case .multiply: result = try result.combined(with: other, *)
            case .average: result = try result.adding(other)
            case .maximum: result = try result.combined(with: other) { Swift.max($0, $1) }
            case .minimum: result = try result.combined(with: other) { Swift.min($0, $1) }
            }
        }
        if operation == .average { result = result.scaled(by: 1 / Scalar(inputs.count)) }
        return LayerOutput(result, mask: try mergedMask(masks, layer: name))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        try forwardRecording([input], masks: [mask], training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(inputs, masks: masks, training: training)
        records.append(inputs)
        return result
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let inputs = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: inputs[0].shape)
        var gradients = [Tensor<Scalar>]()
        switch operation {
        case .subtract: gradients = [g, g.scaled(by: -1)]
        case .average: gradients = inputs.map { _ in g.scaled(by: 1 / Scalar(inputs.count)) }
        case .multiply:
            for i in inputs.indices {
                var product = g
                for (j, other) in inputs.enumerated() where j != i { product = try product.combined(with: other, *) }
                gradients.append(product)
            }
        case .maximum, .minimum:
            // The gradient goes to the first input holding the extreme value, as a chain of
            // two-input maxima (or minima) in TensorFlow does.
            var winner = [Int](repeating: 0, count: g.scalarCount)
            for i in 0..<g.scalarCount {
                for j in inputs.indices.dropFirst() {
                    let (best, candidate) = (inputs[winner[i]].scalars[i], inputs[j].scalars[i])
                    if operation == .maximum ? candidate > best : candidate < best { winner[i] = j }
                }
            }
            for j in inputs.indices {
                gradients.append(try Tensor(shape: g.shape, scalars: g.scalars.indices.map { winner[$0] == j ? g.scalars[$0] : 0 }))
            }
        }
        var result = LayerGradients(input: gradients[0])
        result.otherInputs = Array(gradients.dropFirst())
        return result
    }

    public func clearRecords() { records.removeAll() }
}

extension ElementwiseMerge {
    public var stepScope: StepScope { .eachStep }
}
