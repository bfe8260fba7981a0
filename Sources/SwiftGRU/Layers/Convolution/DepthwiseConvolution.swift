/// The convolution of each input channel with its own filters (Keras' `DepthwiseConv1D` and
/// `DepthwiseConv2D`): output channel `c * depthMultiplier + m` sees only input channel `c`.
///
/// The kernel is `(window..., channels, depthMultiplier)`, the bias `(channels * depthMultiplier)`.
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
    /// The depthwise kernel's penalty in the training loss (Keras' `depthwise_regularizer`).
    public var depthwiseRegularizer: Regularizer?
    /// The bias's penalty in the training loss (Keras' `bias_regularizer`).
    public var biasRegularizer: Regularizer?
    /// The penalty of the outputs, per sample (Keras' `activity_regularizer`).
    public var activityRegularizer: Regularizer?
    /// Applied to the depthwise kernel after each update (Keras' `depthwise_constraint`).
    public var depthwiseConstraint: Constraint?
    /// Applied to the bias after each update (Keras' `bias_constraint`).
    public var biasConstraint: Constraint?
    public var name: String
    public var trainable = true
    /// The activity penalty of the most recent recorded call.
    public private(set) var activityLoss: Scalar = 0
    let geometry: WindowGeometry
    /// `(window..., channels, depthMultiplier)`, once built.
    public private(set) var depthwiseKernel: Tensor<Scalar>?
    /// `(channels * depthMultiplier)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?
    /// Recorded calls: the input (as given), the pre-activation and the output, channels last.
    var records: [(input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>)] = []

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
        LayerOutput(try layout.restored(try run(input).output))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let record = try run(input)
        records.append(record)
        activityLoss = activityPenalty(activityRegularizer, outputs: [record.output]).loss
        return LayerOutput(try layout.restored(record.output))
    }

    public var weightRegularizers: [Regularizer?] { [depthwiseRegularizer] + (useBias ? [biasRegularizer] : []) }

    public var weightConstraints: [Constraint?] { [depthwiseConstraint] + (useBias ? [biasConstraint] : []) }

    private func run(_ input: Tensor<Scalar>) throws -> (input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>) {
        try build(inputShape: optionalShape(input.shape))
        guard let depthwiseKernel else { throw LayerError(.unsupported, "\(name): not built") }
        var (logits, _) = try depthwiseProduct(input, kernel: depthwiseKernel, geometry: geometry, layout: layout, layer: name)
        let width = logits.shape[logits.rank - 1]
        if let bias {
            logits.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] += bias.scalars[i % width] }
            }
        }
        return (input, logits, try activation.apply(to: logits))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let depthwiseKernel else { throw LayerError(.unsupported, "\(name): not built") }
        let g = try addingActivityGradient(
            activityRegularizer, output: record.output,
            to: layout.channelsLast(gradient(outputGradients, 0, shape: layout.restored(record.output).shape), layer: name))
        let dLogits = try activation.gradient(input: record.logits, output: record.output, outputGradient: g)
        let (dInput, dKernel) = try depthwiseBackward(
            record.input, kernel: depthwiseKernel, outputGradient: dLogits, geometry: geometry, layout: layout, layer: name)
        var weights = [dKernel]
        if let bias { weights.append(try biasGradient(dLogits, width: bias.scalarCount)) }
        return LayerGradients(input: dInput, weights: weights)
    }

    public func clearRecords() { records.removeAll() }
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
    let width = try WeightLimits.scalarCount(of: [channels, multiplier])
    let count = try WeightLimits.scalarCount(of: [batch] + outSpatial + [width])
    var output = [Scalar](repeating: 0, count: count)
    x.scalars.withUnsafeBufferPointer { source in
        kernel.scalars.withUnsafeBufferPointer { k in
            output.withUnsafeMutableBufferPointer { target in
                geometry.forEachTap(batch: batch, input: spatial, output: outSpatial, padBefore: padBefore, channels: channels) { row, tap, offset in
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

/// The gradients of ``depthwiseProduct(_:kernel:geometry:layout:layer:)`` given dL/d(its
/// channels-last result): dL/d(input) in the layer's format, and dL/d(kernel).
func depthwiseBackward<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernel: Tensor<Scalar>, outputGradient g: Tensor<Scalar>, geometry: WindowGeometry, layout: SpatialLayout,
    layer: String
) throws -> (input: Tensor<Scalar>, kernel: Tensor<Scalar>) {
    let x = try layout.channelsLast(input, layer: layer)
    let batch = x.shape[0], channels = x.shape[x.rank - 1], multiplier = kernel.shape[kernel.rank - 1]
    let spatial = Array(x.shape[1..<(x.rank - 1)])
    let (outSpatial, padBefore) = try geometry.plan(spatial, layer: layer)
    let width = channels * multiplier
    var dx = [Scalar](repeating: 0, count: x.scalarCount), dKernel = [Scalar](repeating: 0, count: kernel.scalarCount)
    geometry.forEachTap(batch: batch, input: spatial, output: outSpatial, padBefore: padBefore, channels: channels) { row, tap, offset in
        for c in 0..<channels {
            let value = x.scalars[offset + c]
            for m in 0..<multiplier {
                let gradient = g.scalars[row * width + c * multiplier + m], k = (tap * channels + c) * multiplier + m
                dKernel[k] += value * gradient
                dx[offset + c] += kernel.scalars[k] * gradient
            }
        }
    }
    return (try layout.restored(Tensor(shape: x.shape, scalars: dx)), try Tensor(shape: kernel.shape, scalars: dKernel))
}
