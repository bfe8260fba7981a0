/// Adds its inputs element-wise (Keras' `layer_add`): every input has the same shape.
///
/// The output's mask is where every input's mask is `true`, and none when some input has no
/// mask, as in Keras' merge layers.
public final class Add<Scalar: TensorScalar>: Layer {
    public var name: String
    public var trainable = true
    /// Recorded calls: how many inputs each had.
    var records: [Int] = []

    /// Creates an addition layer.
    public init(name: String? = nil) { self.name = name ?? "add" }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        [try sameShape(inputShapes, layer: name)]
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input, mask: mask)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        _ = try sameShape(inputs.map { $0.shape.map(Optional.some) }, layer: name)
        var sum = inputs[0]
        for other in inputs.dropFirst() { sum = try sum.adding(other) }
        return LayerOutput(sum, mask: try mergedMask(masks, layer: name))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        records.append(1)
        return LayerOutput(input, mask: mask)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(inputs, masks: masks, training: training)
        records.append(inputs.count)
        return result
    }

    /// Each input's gradient is the output's.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let count = try popRecord(&records, layer: name)
        guard let g = outputGradients.first ?? nil else {
            throw LayerError(.invalidInputShape, "\(name): no output gradient")
        }
        var gradients = LayerGradients(input: g)
        gradients.otherInputs = Array(repeating: g, count: count - 1)
        return gradients
    }

    public func clearRecords() { records.removeAll() }
}

/// The one shape of merge inputs that must agree (`nil` extents match any).
func sameShape(_ shapes: [[Int?]], layer: String) throws -> [Int?] {
    guard var merged = shapes.first else {
        throw LayerError(.invalidInputShape, "\(layer): a merge layer needs at least one input")
    }
    for shape in shapes.dropFirst() {
        guard shape.count == merged.count else {
            throw LayerError(.invalidInputShape, "\(layer): inputs of shapes \(shapes.map(describe)) cannot be merged; they must have the same shape")
        }
        for (axis, extent) in shape.enumerated() {
            switch (merged[axis], extent) {
            case (nil, let known): merged[axis] = known
            case (let a?, let b?) where a != b:
                throw LayerError(.invalidInputShape, "\(layer): inputs of shapes \(shapes.map(describe)) cannot be merged; they must have the same shape")
            default: break
            }
        }
    }
    return merged
}

/// Keras' merge mask: `true` where every mask is, and `nil` when some input has none.
func mergedMask(_ masks: [Tensor<Bool>?], layer: String) throws -> Tensor<Bool>? {
    let given = masks.compactMap { $0 }
    guard given.count == masks.count, var merged = given.first else { return nil }
    for mask in given.dropFirst() {
        guard mask.shape == merged.shape else {
            throw LayerError(.invalidMask, "\(layer): masks of shapes \(merged.shape) and \(mask.shape) cannot be merged")
        }
        merged = try Tensor(shape: merged.shape, scalars: zip(merged.scalars, mask.scalars).map { $0 && $1 })
    }
    return merged
}

extension Add {
    public var stepScope: StepScope { .eachStep }
}
