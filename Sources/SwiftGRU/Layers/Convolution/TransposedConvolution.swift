/// The transposed convolution Keras' `Conv1DTranspose`, `Conv2DTranspose` and
/// `Conv3DTranspose` share: each input position spreads `kernel`-weighted copies of its
/// channels over a window of the output, windows `strides` apart (the gradient of a
/// convolution with respect to its input), then `activation(... + bias)`.
///
/// The kernel is `(window..., filters, inputChannels)` as in Keras. The output extent along
/// an axis of input extent `n` is `n * stride` for same padding and `(n - 1) * stride +
/// max(window, stride)` for valid padding, or Keras' formula with `outputPadding`.
public class TransposedConvolution<Scalar: TensorScalar>: Layer {
    /// The number of output channels.
    public let filters: Int
    /// The window's extent along each spatial axis.
    public var kernelSize: [Int] { geometry.size }
    /// The step between windows along each spatial axis.
    public var strides: [Int] { geometry.strides }
    /// The spacing of the window's taps along each spatial axis.
    public var dilationRate: [Int] { geometry.dilation }
    /// `.valid` or `.same`.
    public var padding: Padding { geometry.padding }
    /// Extra output positions at the end of each axis (Keras' `output_padding`), or `nil`.
    public let outputPadding: [Int]?
    public let dataFormat: DataFormat
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// The kernel's penalty in the training loss (Keras' `kernel_regularizer`).
    public var kernelRegularizer: Regularizer?
    /// The bias's penalty in the training loss (Keras' `bias_regularizer`).
    public var biasRegularizer: Regularizer?
    /// The penalty of the outputs, per sample (Keras' `activity_regularizer`).
    public var activityRegularizer: Regularizer?
    /// Applied to the kernel after each update (Keras' `kernel_constraint`).
    public var kernelConstraint: Constraint?
    /// Applied to the bias after each update (Keras' `bias_constraint`).
    public var biasConstraint: Constraint?
    public var name: String
    public var trainable = true
    public private(set) var activityLoss: Scalar = 0
    /// The convolution this layer transposes: from the output's shape to the input's.
    let geometry: WindowGeometry
    /// `(window..., filters, inputChannels)`, once built.
    public private(set) var kernel: Tensor<Scalar>?
    /// `(filters)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?
    /// Recorded calls: the channels-last input, the pre-activation and the output (channels last).
    var records: [(input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>)] = []

    init(
        spatialRank: Int, filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, outputPadding: [Int]?,
        dataFormat: DataFormat, dilationRate: [Int], activation: Activation?, useBias: Bool, kernelInitializer: Initializer,
        biasInitializer: Initializer, name: String
    ) throws {
        let kind = "Conv\(spatialRank)DTranspose"
        guard filters > 0, filters <= 1 << 24 else {
            throw LayerError(.invalidArgument, "\(kind): filters must be a positive integer, got \(filters)")
        }
        guard padding != .causal else { throw LayerError(.invalidArgument, "\(kind): padding must be 'valid' or 'same', got 'causal'") }
        geometry = try WindowGeometry(size: kernelSize, strides: strides, dilation: dilationRate, padding: padding, layer: kind)
        guard geometry.spatialRank == spatialRank else {
            throw LayerError(.invalidArgument, "\(kind): kernel_size must have \(spatialRank) value(s), got \(kernelSize)")
        }
        if let outputPadding {
            guard outputPadding.count == spatialRank, zip(outputPadding, strides).allSatisfy({ $0 >= 0 && $0 < $1 }) else {
                throw LayerError(.invalidArgument, "\(kind): output_padding must be \(spatialRank) value(s) each below its stride \(strides), got \(outputPadding)")
            }
        }
        self.filters = filters
        self.outputPadding = outputPadding
        self.dataFormat = dataFormat
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: geometry.spatialRank) }
    var product: WindowedProduct<Scalar> { WindowedProduct(geometry: geometry, groups: 1, layer: name) }

    /// The output extent along `axis` for an input extent (Keras' formula).
    func outputExtent(_ extent: Int, axis: Int) -> Int {
        let stride = strides[axis], span = geometry.span(axis), extra = outputPadding?[axis]
        switch (padding, extra) {
        case (.same, nil): return extent * stride
        case (.same, let extra?): return (extent - 1) * stride + span % 2 + extra
        case (_, let extra): return (extent - 1) * stride + span + (extra ?? max(span, stride) - span)
        }
    }

    public var isBuilt: Bool { kernel != nil }

    public func build(inputShape: [Int?]) throws {
        let (_, channels) = try layout.split(inputShape, layer: name)
        guard let channels, channels > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        let shape = kernelSize + [filters, channels]
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
        let out = spatial.enumerated().map { axis, extent in extent.map { outputExtent($0, axis: axis) } }
        return layout.join(batch: inputShape[0], spatial: out, channels: activation.outputWidth(for: filters))
    }

    /// Keras' order: kernel, then bias.
    public var weights: [Tensor<Scalar>] { [kernel, bias].compactMap { $0 } }
    public var weightRegularizers: [Regularizer?] { [kernelRegularizer] + (useBias ? [biasRegularizer] : []) }
    public var weightConstraints: [Constraint?] { [kernelConstraint] + (useBias ? [biasConstraint] : []) }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let rank = kernelSize.count
        let channels = kernel?.shape[rank + 1] ?? weights.first.flatMap { $0.rank == rank + 2 ? $0.shape[rank + 1] : nil } ?? 0
        try checkWeights(weights, expected: [kernelSize + [filters, channels]] + (useBias ? [[filters]] : []))
        kernel = weights[0]
        bias = useBias ? weights[1] : nil
    }

    /// The channels-last output shape for a channels-last input, checked against the
    /// convolution it transposes.
    private func outputShape(channelsLast x: Tensor<Scalar>) throws -> [Int] {
        let spatial = Array(x.shape[1..<(x.rank - 1)])
        let out = spatial.enumerated().map { outputExtent($1, axis: $0) }
        guard out.allSatisfy({ $0 > 0 }), try geometry.plan(out, layer: name).extents == spatial else {
            throw LayerError(.invalidArgument, "\(name): output_padding \(outputPadding ?? []) gives outputs \(out) that the convolution it transposes does not map back to \(spatial)")
        }
        return [x.shape[0]] + out + [filters]
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try layout.restored(run(input).output))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let record = try run(input)
        records.append(record)
        activityLoss = activityPenalty(activityRegularizer, outputs: [record.output]).loss
        return LayerOutput(try layout.restored(record.output))
    }

    private func run(_ input: Tensor<Scalar>) throws -> (input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>) {
        try build(inputShape: optionalShape(input.shape))
        guard let kernel else { throw LayerError(.unsupported, "\(name): not built") }
        let x = try layout.channelsLast(input, layer: name)
        // The input gradient of the convolution from the output's shape to the input's.
        let zeros = Tensor<Scalar>(zeros: try outputShape(channelsLast: x))
        guard var logits = try product.backward(zeros, kernel: kernel, outputGradient: x).input else {
            throw LayerError(.unsupported, "\(name): the transposed product gave no result")
        }
        if let bias { logits = try logits.addingBias(bias) }
        return (x, logits, try activation.apply(to: logits))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let kernel else { throw LayerError(.unsupported, "\(name): not built") }
        let g = try addingActivityGradient(
            activityRegularizer, output: record.output,
            to: layout.channelsLast(gradient(outputGradients, 0, shape: layout.restored(record.output).shape), layer: name))
        let dLogits = try activation.gradient(input: record.logits, output: record.output, outputGradient: g)
        // The transposed product's gradients: the convolution of dL/d(logits), and its windows times the input.
        let dInput = try product.forward(dLogits, kernel: kernel)
        let dKernel = try product.backward(dLogits, kernel: kernel, outputGradient: record.input, needsInput: false).kernel
        var weights = [dKernel]
        if useBias { weights.append(try biasGradient(dLogits, width: filters)) }
        return LayerGradients(input: try layout.restored(dInput), weights: weights)
    }

    public func clearRecords() { records.removeAll() }
}
