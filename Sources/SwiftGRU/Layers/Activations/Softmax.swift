/// The softmax along one or more axes (Keras' `Softmax` layer). With a mask, masked positions
/// take no part and come out as zero, as in Keras.
public final class Softmax<Scalar: TensorScalar>: Layer {
    /// The axes normalized together (negative ones count from the end).
    public let axis: [Int]
    public var name: String
    public var trainable = true
    /// Recorded calls: the outputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer over the last axis by default.
    public init(axis: [Int] = [-1], name: String? = nil) {
        self.axis = axis
        self.name = name ?? "softmax"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try axes(rank: inputShape.count) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    private func axes(rank: Int) throws -> [Int] {
        let resolved = axis.map { $0 < 0 ? $0 + rank : $0 }
        guard !resolved.isEmpty, resolved.allSatisfy({ $0 >= 0 && $0 < rank }), Set(resolved).count == resolved.count else {
            throw LayerError(.invalidInputShape, "\(name): axis \(axis) does not fit input of rank \(rank)")
        }
        return resolved.sorted()
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        var keep: [Bool]? = nil
        if let mask {
            // Keras broadcasts the mask against the input's trailing axes.
            guard mask.rank <= input.rank else {
                throw LayerError(.invalidMask, "\(name): a mask of shape \(mask.shape) does not broadcast to inputs of shape \(input.shape)")
            }
            let padded = Array(repeating: 1, count: input.rank - mask.rank) + mask.shape
            let expanded = try mask.reshaped(to: padded).map { $0 ? Scalar(1) : 0 }
            keep = try broadcast(expanded, to: input.shape, layer: name).map { $0 != 0 }
        }
        let normalized = try axes(rank: input.rank)
        let kept = (0..<input.rank).filter { !normalized.contains($0) }
        let order = kept + normalized
        let identity = order == Array(0..<input.rank)
        let moved = identity ? input : try input.transposed(order)
        var flags = keep ?? []
        if keep != nil, !identity {
            flags = try Tensor(shape: input.shape, scalars: flags.map { $0 ? Scalar(1) : 0 }).transposed(order).scalars.map { $0 != 0 }
        }
        let width = normalized.reduce(1) { $0 * input.shape[$1] }
        var values = moved.scalars
        for start in stride(from: 0, to: values.count, by: max(width, 1)) {
            if keep != nil {
                for j in start..<(start + width) where !flags[j] { values[j] = -1e9 }
            }
            let largest = values[start..<(start + width)].max() ?? 0
            var total: Scalar = 0
            for j in start..<(start + width) {
                values[j] = Scalar.exp(values[j] - largest)
                total += values[j]
            }
            for j in start..<(start + width) {
                values[j] /= total
                if keep != nil, !flags[j] { values[j] = 0 }
            }
        }
        var output = try Tensor(shape: moved.shape, scalars: values)
        if !identity {
            var inverse = [Int](repeating: 0, count: order.count)
            for (i, axis) in order.enumerated() { inverse[axis] = i }
            output = try output.transposed(inverse)
        }
        return LayerOutput(output, mask: mask)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let output = try forward(input, mask: mask, training: training)
        records.append(output.output)
        return output
    }

    /// dL/dx = y * (g - sum(g * y)) over the normalized axes; masked positions (output 0) get none.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let output = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: output.shape)
        let normalized = try axes(rank: output.rank)
        let order = (0..<output.rank).filter { !normalized.contains($0) } + normalized
        let identity = order == Array(0..<output.rank)
        let y = identity ? output : try output.transposed(order), gMoved = identity ? g : try g.transposed(order)
        let width = max(normalized.reduce(1) { $0 * output.shape[$1] }, 1)
        var dx = [Scalar](repeating: 0, count: y.scalarCount)
        for start in stride(from: 0, to: y.scalarCount, by: width) {
            var dot: Scalar = 0
            for j in start..<(start + width) { dot += gMoved.scalars[j] * y.scalars[j] }
            for j in start..<(start + width) { dx[j] = y.scalars[j] * (gMoved.scalars[j] - dot) }
        }
        var result = try Tensor(shape: y.shape, scalars: dx)
        if !identity {
            var inverse = [Int](repeating: 0, count: order.count)
            for (i, axis) in order.enumerated() { inverse[axis] = i }
            result = try result.transposed(inverse)
        }
        return LayerGradients(input: result)
    }

    public func clearRecords() { records.removeAll() }
}

extension Softmax {
    public var stepScope: StepScope { axis.contains(1) ? .acrossSteps("normalizes along the steps axis") : .eachStep }
}
