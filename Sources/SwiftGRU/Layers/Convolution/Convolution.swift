/// The convolution Keras' `Conv1D`, `Conv2D` and `Conv3D` share: `activation(conv(x, kernel) + bias)`
/// along one to three spatial axes, with strides, dilation, padding, groups and data format.
///
/// The kernel is `(window..., inputChannels / groups, filters)` as in Keras.
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
    /// The activity penalty of the most recent recorded call.
    public private(set) var activityLoss: Scalar = 0
    let geometry: WindowGeometry
    /// `(window..., inputChannels / groups, filters)`, once built.
    public private(set) var kernel: Tensor<Scalar>?
    /// `(filters)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?
    /// Recorded calls: the channels-last input, the pre-activation and the output (channels last).
    var records: [(input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>)] = []

    init(
        spatialRank: Int, filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dataFormat: DataFormat,
        dilationRate: [Int], groups: Int, activation: Activation?, useBias: Bool, kernelInitializer: Initializer,
        biasInitializer: Initializer, name: String
    ) throws {
        let kind = "Conv\(spatialRank)D"
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

    public var weightRegularizers: [Regularizer?] { [kernelRegularizer] + (useBias ? [biasRegularizer] : []) }

    public var weightConstraints: [Constraint?] { [kernelConstraint] + (useBias ? [biasConstraint] : []) }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let channels = kernel?.shape[kernelSize.count] ?? weights.first.flatMap { $0.rank == kernelSize.count + 2 ? $0.shape[kernelSize.count] : nil } ?? 0
        try checkWeights(weights, expected: [kernelSize + [channels, filters]] + (useBias ? [[filters]] : []))
        kernel = weights[0]
        bias = useBias ? weights[1] : nil
    }

    /// Convolutions drop the mask, as in Keras.
    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (_, _, output) = try run(input)
        return LayerOutput(try layout.restored(output))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let record = try run(input)
        records.append(record)
        activityLoss = activityPenalty(activityRegularizer, outputs: [record.output]).loss
        return LayerOutput(try layout.restored(record.output))
    }

    var product: WindowedProduct<Scalar> { WindowedProduct(geometry: geometry, groups: groups, layer: name) }

    /// The channels-last input, pre-activation and output of a call.
    private func run(_ input: Tensor<Scalar>) throws -> (input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>) {
        try build(inputShape: optionalShape(input.shape))
        guard let kernel else { throw LayerError(.unsupported, "\(name): not built") }
        let x = try layout.channelsLast(input, layer: name)
        var logits = try product.forward(x, kernel: kernel)
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
        let (dInput, dKernel) = try product.backward(record.input, kernel: kernel, outputGradient: dLogits)
        var weights = [dKernel]
        if useBias { weights.append(try biasGradient(dLogits, width: filters)) }
        return LayerGradients(input: try dInput.map { try layout.restored($0) }, weights: weights)
    }

    public func clearRecords() { records.removeAll() }
}
