/// The convolution Keras' `Conv1D` and `Conv2D` share: `activation(conv(x, kernel) + bias)`
/// along one or two spatial axes, with strides, dilation, padding, groups and data format.
///
/// The kernel is `(window..., inputChannels / groups, filters)` as in Keras. Prediction only:
/// training a convolution is refused with a clear error.
public class Convolution<Scalar: TensorScalar>: Layer {
    /// The number of output channels.
    public let filters: Int
    /// The window's extent along each spatial axis.
    public var kernelSize: [Int] { geometry.size }
    /// The step between windows along each spatial axis.
    public var strides: [Int] { geometry.strides }
    /// The spacing of the window's taps along each spatial axis.
    public var dilationRate: [Int] { geometry.dilation }
    /// How windows meet the edges.
    public var padding: Padding { geometry.padding }
    /// Where the channels are.
    public let dataFormat: DataFormat
    /// The number of channel groups convolved separately (Keras' `groups`).
    public let groups: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var name: String
    let geometry: WindowGeometry
    /// `(window..., inputChannels / groups, filters)`, once built.
    public private(set) var kernel: Tensor<Scalar>?
    /// `(filters)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?

    init(
        spatialRank: Int, filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dataFormat: DataFormat,
        dilationRate: [Int], groups: Int, activation: Activation?, useBias: Bool, kernelInitializer: Initializer,
        biasInitializer: Initializer, name: String
    ) throws {
        let kind = spatialRank == 1 ? "Conv1D" : "Conv2D"
        guard filters > 0, filters <= 1 << 24 else {
            throw LayerError(.invalidArgument, "\(kind): filters must be a positive integer, got \(filters)")
        }
        guard groups > 0, filters % groups == 0 else {
            throw LayerError(.invalidArgument, "\(kind): groups must be a positive divisor of filters (\(filters)), got \(groups)")
        }
        guard padding != .causal || spatialRank == 1 else {
            throw LayerError(.invalidArgument, "\(kind): causal padding is for one spatial axis only")
        }
        geometry = try WindowGeometry(size: kernelSize, strides: strides, dilation: dilationRate, padding: padding, layer: kind)
        guard geometry.spatialRank == spatialRank else {
            throw LayerError(.invalidArgument, "\(kind): kernel_size must have \(spatialRank) value(s), got \(kernelSize)")
        }
        self.filters = filters
        self.dataFormat = dataFormat
        self.groups = groups
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: geometry.spatialRank) }

    public var isBuilt: Bool { kernel != nil }

    public func build(inputShape: [Int?]) throws {
        let (_, channels) = try layout.split(inputShape, layer: name)
        guard let channels, channels > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        guard channels % groups == 0 else {
            throw LayerError(.invalidInputShape, "\(name): \(channels) input channels cannot be split into \(groups) groups")
        }
        let shape = kernelSize + [channels / groups, filters]
        if let kernel {
            guard kernel.shape == shape else {
                throw LayerError(.invalidInputShape, "\(name): built for kernel \(kernel.shape), input shape \(describe(inputShape)) needs \(shape)")
            }
            return
        }
        kernel = try kernelInitializer.makeTensor(shape: shape)
        bias = useBias ? try biasInitializer.makeTensor(shape: [filters]) : nil
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, _) = try layout.split(inputShape, layer: name)
        let out = try spatial.indices.map { try geometry.output(spatial[$0], axis: $0, layer: name).extent }
        return layout.join(batch: inputShape[0], spatial: out, channels: activation.outputWidth(for: filters))
    }

    /// Keras' order: kernel, then bias.
    public var weights: [Tensor<Scalar>] { [kernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let channels = kernel?.shape[kernelSize.count] ?? weights.first.flatMap { $0.rank == kernelSize.count + 2 ? $0.shape[kernelSize.count] : nil } ?? 0
        try checkWeights(weights, expected: [kernelSize + [channels, filters]] + (useBias ? [[filters]] : []))
        kernel = weights[0]
        bias = useBias ? weights[1] : nil
    }

    /// Convolutions drop the mask, as in Keras.
    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try build(inputShape: optionalShape(input.shape))
        guard let kernel else { return LayerOutput(input) }
        let x = try layout.channelsLast(input, layer: name)
        let batch = x.shape[0], channels = x.shape[x.rank - 1]
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let (outSpatial, padBefore) = try geometry.plan(spatial, layer: name)
        let inPlane = layout.plane(spatial), outPlane = layout.plane(outSpatial)
        let rows = try WeightLimits.scalarCount(of: [batch, outPlane.height, outPlane.width])
        let taps = kernelSize.reduce(1, *), groupChannels = channels / groups, groupFilters = filters / groups
        let depth = taps * groupChannels
        _ = try WeightLimits.scalarCount(of: [rows, depth])
        var output = [Scalar](repeating: 0, count: rows * filters)
        for group in 0..<groups {
            // The group's windows as rows (im2col), times its slice of the kernel.
            var patches = [Scalar](repeating: 0, count: rows * depth)
            x.scalars.withUnsafeBufferPointer { source in
                patches.withUnsafeMutableBufferPointer { target in
                    geometry.forEachTap(batch: batch, input: inPlane, output: outPlane, padBefore: padBefore, channels: channels) { row, tap, offset in
                        let from = offset + group * groupChannels, to = row * depth + tap * groupChannels
                        for c in 0..<groupChannels { target[to + c] = source[from + c] }
                    }
                }
            }
            var slice = [Scalar](repeating: 0, count: depth * groupFilters)
            for k in 0..<depth {
                for f in 0..<groupFilters { slice[k * groupFilters + f] = kernel.scalars[k * filters + group * groupFilters + f] }
            }
            let product = try Tensor(shape: [rows, depth], scalars: patches).matmul(Tensor(shape: [depth, groupFilters], scalars: slice))
            for r in 0..<rows {
                for f in 0..<groupFilters { output[r * filters + group * groupFilters + f] = product.scalars[r * groupFilters + f] }
            }
        }
        if let bias {
            for r in 0..<rows {
                for f in 0..<filters { output[r * filters + f] += bias.scalars[f] }
            }
        }
        let result = try activation.apply(to: Tensor(shape: [batch] + outSpatial + [filters], scalars: output))
        return LayerOutput(try layout.restored(result))
    }
}
