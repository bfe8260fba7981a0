/// The pooling over all spatial positions Keras' `GlobalMaxPooling1D/2D` and
/// `GlobalAveragePooling1D/2D` share: `(batch, spatial..., channels)` to `(batch, channels)`
/// (or, with `keepdims`, spatial extents of 1).
///
/// `GlobalAveragePooling1D` averages only the unmasked steps when given a mask, as in Keras;
/// the others ignore it. None passes a mask on. Prediction only.
public class GlobalPooling<Scalar: TensorScalar>: Layer {
    public let mode: PoolingMode
    public let dataFormat: DataFormat
    /// Whether the pooled spatial axes stay, with extent 1.
    public let keepdims: Bool
    public var name: String
    let spatialRank: Int

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
        for b in 0..<batch {
            var counted = 0
            for p in 0..<positions {
                if let weights, !weights[b * positions + p] { continue }
                counted += 1
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
                let divisor = Scalar(counted)
                for c in 0..<channels { output[b * channels + c] /= divisor }
            }
        }
        let pooled = try Tensor(shape: [batch, channels], scalars: output)
        guard keepdims else { return LayerOutput(pooled) }
        return LayerOutput(try layout.restored(pooled.reshaped(to: [batch] + Array(repeating: 1, count: spatialRank) + [channels])))
    }
}
