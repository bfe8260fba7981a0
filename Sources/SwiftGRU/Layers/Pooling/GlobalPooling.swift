/// The pooling over all spatial positions Keras' `GlobalMaxPooling1D/2D/3D` and
/// `GlobalAveragePooling1D/2D/3D` share: `(batch, spatial..., channels)` to `(batch, channels)`
/// (or, with `keepdims`, spatial extents of 1).
///
/// `GlobalAveragePooling1D` averages only the unmasked steps when given a mask, as in Keras;
/// the others ignore it. None passes a mask on. In training, a max's gradient goes to the
/// first largest value, an average's is shared by the values averaged.
public class GlobalPooling<Scalar: TensorScalar>: Layer {
    public let mode: PoolingMode
    public let dataFormat: DataFormat
    /// Whether the pooled spatial axes stay, with extent 1.
    public let keepdims: Bool
    public var name: String
    public var trainable = true
    /// The number of pooled spatial axes (1, 2 or 3).
    public let spatialRank: Int
    /// Recorded calls: the input and its mask.
    var records: [(Tensor<Scalar>, Tensor<Bool>?)] = []

    init(mode: PoolingMode, spatialRank: Int, dataFormat: DataFormat, keepdims: Bool, name: String) {
        self.mode = mode
        self.spatialRank = spatialRank
        self.dataFormat = dataFormat
        self.keepdims = keepdims
        self.name = name
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: spatialRank) }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try layout.split(inputShape, layer: name) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, channels) = try layout.split(inputShape, layer: name)
        guard keepdims else { return [inputShape[0], channels] }
        return layout.join(batch: inputShape[0], spatial: spatial.map { _ in 1 }, channels: channels)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try pool(input, mask: mask, outputGradient: nil).0)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let output = try forward(input, mask: mask, training: training)
        records.append((input, mask))
        return output
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let (input, mask) = try popRecord(&records, layer: name)
        let shape = try outputShape(forInputShape: optionalShape(input.shape)).map { $0 ?? 0 }
        return LayerGradients(input: try pool(input, mask: mask, outputGradient: gradient(outputGradients, 0, shape: shape)).1)
    }

    public func clearRecords() { records.removeAll() }

    /// The pooled input and, given dL/d(output), dL/d(input).
    private func pool(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, outputGradient: Tensor<Scalar>?) throws -> (Tensor<Scalar>, Tensor<Scalar>?) {
        let x = try layout.channelsLast(input, layer: name)
        let batch = x.shape[0], channels = x.shape[x.rank - 1]
        let positions = x.shape[1..<(x.rank - 1)].reduce(1, *)
        var weights: [Bool]? = nil
        if let mask, mode == .average, spatialRank == 1 {
            guard mask.shape == [batch, positions] else {
                throw LayerError(.invalidMask, "\(name): mask of shape \(mask.shape) does not fit input shape \(input.shape)")
            }
            weights = mask.scalars
        }
        var output = [Scalar](repeating: mode == .max ? -.infinity : 0, count: batch * channels)
        var counts = [Scalar](repeating: 0, count: batch)
        for b in 0..<batch {
            for p in 0..<positions {
                if let weights, !weights[b * positions + p] { continue }
                counts[b] += 1
                let offset = (b * positions + p) * channels
                for c in 0..<channels {
                    let value = x.scalars[offset + c]
                    switch mode {
                    case .max: if value > output[b * channels + c] || value.isNaN { output[b * channels + c] = value }
                    case .average: output[b * channels + c] += value
                    }
                }
            }
            if mode == .average {
                // Keras divides by the count of unmasked steps: 0/0 (NaN) when all are masked.
                for c in 0..<channels { output[b * channels + c] /= counts[b] }
            }
        }
        let pooled = try Tensor(shape: [batch, channels], scalars: output)
        let result = keepdims
            ? try layout.restored(pooled.reshaped(to: [batch] + Array(repeating: 1, count: spatialRank) + [channels])) : pooled
        guard let outputGradient else { return (result, nil) }
        let g = outputGradient.scalars  // (batch, channels) in either layout: the pooled axes have extent 1
        var dx = [Scalar](repeating: 0, count: x.scalarCount)
        var routed = [Bool](repeating: false, count: batch * channels)
        for b in 0..<batch {
            for p in 0..<positions {
                if let weights, !weights[b * positions + p] { continue }
                let offset = (b * positions + p) * channels
                for c in 0..<channels {
                    let o = b * channels + c
                    switch mode {
                    case .average: dx[offset + c] = g[o] / counts[b]
                    case .max:
                        if !routed[o], x.scalars[offset + c] == output[o] {
                            dx[offset + c] = g[o]
                            routed[o] = true
                        }
                    }
                }
            }
        }
        return (result, try layout.restored(Tensor(shape: x.shape, scalars: dx)))
    }
}
