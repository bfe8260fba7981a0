/// What a pooling window reduces to.
public enum PoolingMode: String, Sendable {
    /// The largest value in the window.
    case max
    /// The mean of the window's values inside the input (padding is not counted).
    case average
}

/// The windowed pooling Keras' `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D` share.
///
/// Pooling drops the mask, as in Keras. In training, a max pooling's gradient goes to the
/// first largest value of each window, an average pooling's is shared by the window's values.
public class Pooling<Scalar: TensorScalar>: Layer, RecordsInputs {
    public let mode: PoolingMode
    /// The window's extent along each spatial axis.
    public var poolSize: [Int] { geometry.size }
    /// The step between windows (Keras' default: the pool size).
    public var strides: [Int] { geometry.strides }
    /// `.valid` or `.same`.
    public var padding: Padding { geometry.padding }
    public let dataFormat: DataFormat
    public var name: String
    public var trainable = true
    let geometry: WindowGeometry
    /// Recorded calls: the input.
    var records: [Tensor<Scalar>] = []

    init(mode: PoolingMode, poolSize: [Int], strides: [Int]?, padding: Padding, dataFormat: DataFormat, name: String) throws {
        let kind = (mode == .max ? "MaxPooling" : "AveragePooling") + "\(poolSize.count)D"
        guard padding != .causal else {
            throw LayerError(.invalidArgument, "\(kind): padding must be 'valid' or 'same', got 'causal'")
        }
        geometry = try WindowGeometry(
            size: poolSize, strides: strides ?? poolSize, dilation: poolSize.map { _ in 1 }, padding: padding, layer: kind)
        self.mode = mode
        self.dataFormat = dataFormat
        self.name = name
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: geometry.spatialRank) }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try layout.split(inputShape, layer: name) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, channels) = try layout.split(inputShape, layer: name)
        let out = try spatial.indices.map { try geometry.output(spatial[$0], axis: $0, layer: name).extent }
        return layout.join(batch: inputShape[0], spatial: out, channels: channels)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (pooled, _) = try pool(input, outputGradient: nil)
        return LayerOutput(pooled)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let shape = try outputShape(forInputShape: optionalShape(input.shape)).map { $0 ?? 0 }
        let (_, inputGradient) = try pool(input, outputGradient: gradient(outputGradients, 0, shape: shape))
        return LayerGradients(input: inputGradient)
    }


    /// The pooled input and, given dL/d(output), dL/d(input).
    private func pool(_ input: Tensor<Scalar>, outputGradient: Tensor<Scalar>?) throws -> (Tensor<Scalar>, Tensor<Scalar>?) {
        let x = try layout.channelsLast(input, layer: name)
        let batch = x.shape[0], channels = x.shape[x.rank - 1]
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let (outSpatial, padBefore) = try geometry.plan(spatial, layer: name)
        let rows = try WeightLimits.scalarCount(of: [batch] + outSpatial)
        let count = try WeightLimits.scalarCount(of: [rows, channels])
        var output = [Scalar](repeating: mode == .max ? -.infinity : 0, count: count)
        var taps = [Int](repeating: 0, count: rows)
        x.scalars.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                geometry.forEachTap(batch: batch, input: spatial, output: outSpatial, padBefore: padBefore, channels: channels) { row, _, offset in
                    taps[row] += 1
                    for c in 0..<channels {
                        let value = source[offset + c]
                        switch mode {
                        case .max: if value > target[row * channels + c] || value.isNaN { target[row * channels + c] = value }
                        case .average: target[row * channels + c] += value
                        }
                    }
                }
            }
        }
        if mode == .average {
            for row in 0..<rows where taps[row] > 0 {
                let scale = 1 / Scalar(taps[row])
                for c in 0..<channels { output[row * channels + c] *= scale }
            }
        }
        let pooled = try layout.restored(Tensor(shape: [batch] + outSpatial + [channels], scalars: output))
        guard let outputGradient else { return (pooled, nil) }
        let g = try layout.channelsLast(outputGradient, layer: name).scalars
        var dx = [Scalar](repeating: 0, count: x.scalarCount)
        var routed = [Bool](repeating: false, count: mode == .max ? count : 0)
        geometry.forEachTap(batch: batch, input: spatial, output: outSpatial, padBefore: padBefore, channels: channels) { row, _, offset in
            for c in 0..<channels {
                let o = row * channels + c
                switch mode {
                case .average: dx[offset + c] += g[o] / Scalar(taps[row])
                case .max:
                    if !routed[o], x.scalars[offset + c] == output[o] {
                        dx[offset + c] += g[o]
                        routed[o] = true
                    }
                }
            }
        }
        return (pooled, try layout.restored(Tensor(shape: x.shape, scalars: dx)))
    }
}
