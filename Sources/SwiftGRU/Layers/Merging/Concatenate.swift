/// Joins its inputs along one axis (Keras' `layer_concatenate`): the inputs agree on every
/// other axis.
///
/// The output's mask follows Keras: joined along the features, a step counts where any
/// input's counts (an input without a mask counts everywhere); joined along another axis,
/// the masks are joined along it too.
public final class Concatenate<Scalar: TensorScalar>: Layer {
    /// The axis to join along; negative counts from the last (`-1`, Keras' default).
    public let axis: Int
    public var name: String
    public var trainable = true
    /// Recorded calls: each input's extent along the axis, and the axis.
    var records: [(extents: [Int], axis: Int)] = []

    /// Creates a concatenation layer.
    public init(axis: Int = -1, name: String? = nil) {
        self.axis = axis
        self.name = name ?? "concatenate"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    /// The axis as an index for inputs of `rank` axes.
    private func resolvedAxis(rank: Int) throws -> Int {
        let resolved = axis < 0 ? rank + axis : axis
        guard resolved >= 1, resolved < rank else {
            throw LayerError(.invalidArgument, "\(name): axis \(axis) is out of range for inputs of rank \(rank) (the batch axis cannot be joined)")
        }
        return resolved
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard let first = inputShapes.first else {
            throw LayerError(.invalidInputShape, "\(name): a merge layer needs at least one input")
        }
        let along = try resolvedAxis(rank: first.count)
        var others = inputShapes.map { shape -> [Int?] in
            var copy = shape
            if copy.count == first.count { copy[along] = 0 }
            return copy
        }
        others = [try sameShape(others, layer: name)]
        var output = others[0]
        var total: Int? = 0
        for shape in inputShapes {
            guard let sum = total, let extent = shape[along] else { total = nil; continue }
            let (joined, overflow) = sum.addingReportingOverflow(extent)
            guard !overflow else { throw LayerError(.invalidInputShape, "\(name): the joined axis of shapes \(inputShapes.map(describe)) is too long") }
            total = joined
        }
        output[along] = total
        return [output]
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input, mask: mask)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        _ = try outputShapes(forInputShapes: inputs.map { $0.shape.map(Optional.some) })
        let along = try resolvedAxis(rank: inputs[0].rank)
        let output: Tensor<Scalar>
        do { output = try Tensor.concatenate(inputs, alongAxis: along) } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "\(name): \(error.message)")
        }
        return LayerOutput(output, mask: try joinedMask(inputs, masks, along: along))
    }

    /// Keras' `Concatenate.compute_mask`: each input's mask spread over its features (all
    /// `true` without one), joined along the axis, then any over the features.
    private func joinedMask(_ inputs: [Tensor<Scalar>], _ masks: [Tensor<Bool>?], along: Int) throws -> Tensor<Bool>? {
        guard masks.contains(where: { $0 != nil }) else { return nil }
        let shapes = inputs.map { Array($0.shape.dropLast()) }
        for (mask, shape) in zip(masks, shapes) where mask != nil && mask?.shape != shape {
            throw LayerError(.invalidMask, "\(name): a mask of shape \(mask?.shape ?? []) does not fit an input of shape \(shape + [0])")
        }
        let full = zip(masks, shapes).map { mask, shape in mask?.scalars ?? [Bool](repeating: true, count: shape.reduce(1, *)) }
        guard let first = shapes.first else { return nil }
        if along == first.count {
            // Joined along the features: any input counts.
            let values = (0..<full[0].count).map { i in full.contains { $0[i] } }
            return try Tensor(shape: first, scalars: values)
        }
        let outer = first[..<along].reduce(1, *)
        var values = [Bool]()
        for o in 0..<outer {
            for (mask, shape) in zip(full, shapes) {
                let width = shape[along...].reduce(1, *)
                values.append(contentsOf: mask[(o * width)..<((o + 1) * width)])
            }
        }
        var shape = first
        shape[along] = shapes.reduce(0) { $0 + $1[along] }
        return try Tensor(shape: shape, scalars: values)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        records.append(([input.shape[input.rank - 1]], input.rank - 1))
        return LayerOutput(input, mask: mask)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(inputs, masks: masks, training: training)
        let along = try resolvedAxis(rank: inputs[0].rank)
        records.append((inputs.map { $0.shape[along] }, along))
        return result
    }

    /// The output gradient cut back into the inputs' pieces along the axis.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let g = outputGradients.first ?? nil, record.axis < g.rank,
              g.shape[record.axis] == record.extents.reduce(0, +) else {
            throw LayerError(.invalidInputShape, "\(name): the output gradient does not fit the recorded call")
        }
        let outer = g.shape[..<record.axis].reduce(1, *), inner = g.shape[(record.axis + 1)...].reduce(1, *)
        let total = g.shape[record.axis]
        var pieces = [Tensor<Scalar>]()
        var start = 0
        for extent in record.extents {
            var values = [Scalar]()
            values.reserveCapacity(outer * extent * inner)
            for o in 0..<outer {
                let from = (o * total + start) * inner
                values.append(contentsOf: g.scalars[from..<(from + extent * inner)])
            }
            var shape = g.shape
            shape[record.axis] = extent
            pieces.append(try Tensor(shape: shape, scalars: values))
            start += extent
        }
        var gradients = LayerGradients(input: pieces[0])
        gradients.otherInputs = Array(pieces.dropFirst())
        return gradients
    }

    public func clearRecords() { records.removeAll() }
}

extension Concatenate {
    public var stepScope: StepScope { axis == 1 ? .acrossSteps("joins along the steps axis") : .eachStep }
}
