/// The convolution of each input channel with its own filters (Keras' `DepthwiseConv1D` and
/// `DepthwiseConv2D`): output channel `c * depthMultiplier + m` sees only input channel `c`.
///
/// The kernel is `(window..., channels, depthMultiplier)`, the bias `(channels * depthMultiplier)`.
/// Prediction only: training is refused with a clear error.
public class DepthwiseConvolution<Scalar: TensorScalar>: Layer {
    /// The output channels per input channel.
    public let depthMultiplier: Int
    public var kernelSize: [Int] { geometry.size }
    public var strides: [Int] { geometry.strides }
    public var dilationRate: [Int] { geometry.dilation }
    public var padding: Padding { geometry.padding }
    public let dataFormat: DataFormat
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public var name: String
    let geometry: WindowGeometry
    /// `(window..., channels, depthMultiplier)`, once built.
    public private(set) var depthwiseKernel: Tensor<Scalar>?
    /// `(channels * depthMultiplier)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?

    init(
        spatialRank: Int, kernelSize: [Int], strides: [Int], padding: Padding, depthMultiplier: Int, dataFormat: DataFormat,
        dilationRate: [Int], activation: Activation?, useBias: Bool, depthwiseInitializer: Initializer,
        biasInitializer: Initializer, name: String
    ) throws {
        let kind = spatialRank == 1 ? "DepthwiseConv1D" : "DepthwiseConv2D"
        guard depthMultiplier > 0, depthMultiplier <= 1 << 24 else {
            throw LayerError(.invalidArgument, "\(kind): depth_multiplier must be a positive integer, got \(depthMultiplier)")
        }
        geometry = try WindowGeometry(size: kernelSize, strides: strides, dilation: dilationRate, padding: padding, layer: kind)
        guard geometry.spatialRank == spatialRank, padding != .causal || spatialRank == 1 else {
            throw LayerError(.invalidArgument, "\(kind): kernel_size must have \(spatialRank) value(s), got \(kernelSize)")
        }
        self.depthMultiplier = depthMultiplier
        self.dataFormat = dataFormat
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        self.name = name
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: geometry.spatialRank) }

    public var isBuilt: Bool { depthwiseKernel != nil }

    public func build(inputShape: [Int?]) throws {
        let (_, channels) = try layout.split(inputShape, layer: name)
        guard let channels, channels > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        let shape = kernelSize + [channels, depthMultiplier]
        if let depthwiseKernel {
            guard depthwiseKernel.shape == shape else {
                throw LayerError(.invalidInputShape, "\(name): built for kernel \(depthwiseKernel.shape), input shape \(describe(inputShape)) needs \(shape)")
            }
            return
        }
        depthwiseKernel = try depthwiseInitializer.makeTensor(shape: shape)
        bias = useBias ? try biasInitializer.makeTensor(shape: [channels * depthMultiplier]) : nil
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, channels) = try layout.split(inputShape, layer: name)
        let out = try spatial.indices.map { try geometry.output(spatial[$0], axis: $0, layer: name).extent }
        return layout.join(batch: inputShape[0], spatial: out, channels: channels.map { activation.outputWidth(for: $0 * depthMultiplier) })
    }

    public var weights: [Tensor<Scalar>] { [depthwiseKernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let n = kernelSize.count
        let channels = depthwiseKernel?.shape[n] ?? weights.first.flatMap { $0.rank == n + 2 ? $0.shape[n] : nil } ?? 0
        try checkWeights(weights, expected: [kernelSize + [channels, depthMultiplier]] + (useBias ? [[channels * depthMultiplier]] : []))
        depthwiseKernel = weights[0]
        bias = useBias ? weights[1] : nil
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try build(inputShape: optionalShape(input.shape))
        guard let depthwiseKernel else { return LayerOutput(input) }
        var (output, _) = try depthwiseProduct(input, kernel: depthwiseKernel, geometry: geometry, layout: layout, layer: name)
        let width = output.shape[output.rank - 1]
        if let bias {
            output.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] += bias.scalars[i % width] }
            }
        }
        return LayerOutput(try layout.restored(try activation.apply(to: output)))
    }
}

/// Each channel convolved with its own `depthMultiplier` filters: a channels-last result
/// `(batch, outputSpatial..., channels * depthMultiplier)` without bias, and its spatial extents.
func depthwiseProduct<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernel: Tensor<Scalar>, geometry: WindowGeometry, layout: SpatialLayout, layer: String
) throws -> (Tensor<Scalar>, [Int]) {
    let x = try layout.channelsLast(input, layer: layer)
    let batch = x.shape[0], channels = x.shape[x.rank - 1], multiplier = kernel.shape[kernel.rank - 1]
    guard kernel.shape[kernel.rank - 2] == channels else {
        throw LayerError(.invalidInputShape, "\(layer): built for \(kernel.shape[kernel.rank - 2]) channels, got input shape \(input.shape)")
    }
    let spatial = Array(x.shape[1..<(x.rank - 1)])
    let (outSpatial, padBefore) = try geometry.plan(spatial, layer: layer)
    let outPlane = layout.plane(outSpatial)
    let width = try WeightLimits.scalarCount(of: [channels, multiplier])
    let count = try WeightLimits.scalarCount(of: [batch, outPlane.height, outPlane.width, width])
    var output = [Scalar](repeating: 0, count: count)
    x.scalars.withUnsafeBufferPointer { source in
        kernel.scalars.withUnsafeBufferPointer { k in
            output.withUnsafeMutableBufferPointer { target in
                geometry.forEachTap(batch: batch, input: layout.plane(spatial), output: outPlane, padBefore: padBefore, channels: channels) { row, tap, offset in
                    for c in 0..<channels {
                        let value = source[offset + c]
                        for m in 0..<multiplier { target[row * width + c * multiplier + m] += value * k[(tap * channels + c) * multiplier + m] }
                    }
                }
            }
        }
    }
    return (try Tensor(shape: [batch] + outSpatial + [width], scalars: output), outSpatial)
}
