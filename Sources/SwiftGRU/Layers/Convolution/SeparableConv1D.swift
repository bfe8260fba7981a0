/// A depthwise convolution over steps followed by a pointwise one (Keras' `SeparableConv1D`):
/// each channel convolved with its own `depthMultiplier` filters, then every result mixed into
/// `filters` outputs.
///
/// Weights in Keras' order: the depthwise kernel `(kernelSize, channels, depthMultiplier)`, the
/// pointwise kernel `(1, channels * depthMultiplier, filters)`, the bias `(filters)`.
public final class SeparableConv1D<Scalar: TensorScalar>: Layer {
    public let filters: Int
    public let depthMultiplier: Int
    public var kernelSize: Int { geometry.size[0] }
    public var strides: Int { geometry.strides[0] }
    public var dilationRate: Int { geometry.dilation[0] }
    public var padding: Padding { geometry.padding }
    public let dataFormat: DataFormat
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    /// The depthwise kernel's penalty in the training loss (Keras' `depthwise_regularizer`).
    public var depthwiseRegularizer: Regularizer?
    /// The pointwise kernel's penalty in the training loss (Keras' `pointwise_regularizer`).
    public var pointwiseRegularizer: Regularizer?
    /// The bias's penalty in the training loss (Keras' `bias_regularizer`).
    public var biasRegularizer: Regularizer?
    /// The penalty of the outputs, per sample (Keras' `activity_regularizer`).
    public var activityRegularizer: Regularizer?
    /// Applied to the depthwise kernel after each update (Keras' `depthwise_constraint`).
    public var depthwiseConstraint: Constraint?
    /// Applied to the pointwise kernel after each update (Keras' `pointwise_constraint`).
    public var pointwiseConstraint: Constraint?
    /// Applied to the bias after each update (Keras' `bias_constraint`).
    public var biasConstraint: Constraint?
    public var name: String
    public var trainable = true
    /// The activity penalty of the most recent recorded call.
    public private(set) var activityLoss: Scalar = 0
    let geometry: WindowGeometry
    public private(set) var depthwiseKernel: Tensor<Scalar>?
    public private(set) var pointwiseKernel: Tensor<Scalar>?
    public private(set) var bias: Tensor<Scalar>?
    /// Recorded calls: the input, the depthwise result, the pre-activation and the output (channels last).
    var records: [(input: Tensor<Scalar>, depthwise: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>)] = []

    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, or strides and dilation both above 1.
    public init(
        filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dataFormat: DataFormat = .channelsLast,
        dilationRate: Int = 1, depthMultiplier: Int = 1, activation: Activation? = nil, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform(), pointwiseInitializer: Initializer = .glorotUniform(),
        biasInitializer: Initializer = .zeros, name: String? = nil
    ) throws {
        guard filters > 0, filters <= 1 << 24, depthMultiplier > 0, depthMultiplier <= 1 << 24 else {
            throw LayerError(.invalidArgument, "SeparableConv1D: filters and depth_multiplier must be positive integers, got \(filters) and \(depthMultiplier)")
        }
        geometry = try WindowGeometry(size: [kernelSize], strides: [strides], dilation: [dilationRate], padding: padding, layer: "SeparableConv1D")
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.dataFormat = dataFormat
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.pointwiseInitializer = pointwiseInitializer
        self.biasInitializer = biasInitializer
        self.name = name ?? "separable_conv1d"
    }

    var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: 1) }

    public var isBuilt: Bool { depthwiseKernel != nil }

    public func build(inputShape: [Int?]) throws {
        let (_, channels) = try layout.split(inputShape, layer: name)
        guard let channels, channels > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        let shape = [kernelSize, channels, depthMultiplier]
        if let depthwiseKernel {
            guard depthwiseKernel.shape == shape else {
                throw LayerError(.invalidInputShape, "\(name): built for kernel \(depthwiseKernel.shape), input shape \(describe(inputShape)) needs \(shape)")
            }
            return
        }
        depthwiseKernel = try depthwiseInitializer.makeTensor(shape: shape)
        pointwiseKernel = try pointwiseInitializer.makeTensor(shape: [1, try WeightLimits.scalarCount(of: [channels, depthMultiplier]), filters])
        bias = useBias ? try biasInitializer.makeTensor(shape: [filters]) : nil
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let (spatial, _) = try layout.split(inputShape, layer: name)
        let steps = try geometry.output(spatial[0], axis: 0, layer: name).extent
        return layout.join(batch: inputShape[0], spatial: [steps], channels: activation.outputWidth(for: filters))
    }

    public var weights: [Tensor<Scalar>] { [depthwiseKernel, pointwiseKernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let channels = depthwiseKernel?.shape[1] ?? weights.first.flatMap { $0.rank == 3 ? $0.shape[1] : nil } ?? 0
        try checkWeights(
            weights,
            expected: [[kernelSize, channels, depthMultiplier], [1, channels * depthMultiplier, filters]] + (useBias ? [[filters]] : []))
        depthwiseKernel = weights[0]
        pointwiseKernel = weights[1]
        bias = useBias ? weights[2] : nil
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

    public var weightRegularizers: [Regularizer?] {
        [depthwiseRegularizer, pointwiseRegularizer] + (useBias ? [biasRegularizer] : [])
    }

    public var weightConstraints: [Constraint?] { [depthwiseConstraint, pointwiseConstraint] + (useBias ? [biasConstraint] : []) }

    private func run(_ input: Tensor<Scalar>) throws -> (input: Tensor<Scalar>, depthwise: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>) {
        try build(inputShape: optionalShape(input.shape))
        guard let depthwiseKernel, let pointwiseKernel else { throw LayerError(.unsupported, "\(name): not built") }
        let (depthwise, _) = try depthwiseProduct(input, kernel: depthwiseKernel, geometry: geometry, layout: layout, layer: name)
        var logits = try depthwise.matmul(pointwiseKernel.reshaped(to: Array(pointwiseKernel.shape.dropFirst())))
        if let bias {
            logits.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] += bias.scalars[i % filters] }
            }
        }
        return (input, depthwise, logits, try activation.apply(to: logits))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let depthwiseKernel, let pointwiseKernel else { throw LayerError(.unsupported, "\(name): not built") }
        let g = try addingActivityGradient(
            activityRegularizer, output: record.output,
            to: layout.channelsLast(gradient(outputGradients, 0, shape: layout.restored(record.output).shape), layer: name))
        let dLogits = try activation.gradient(input: record.logits, output: record.output, outputGradient: g)
        let mixing = try pointwiseKernel.reshaped(to: Array(pointwiseKernel.shape.dropFirst()))
        let width = mixing.shape[0]
        let rows = record.depthwise.scalarCount / max(width, 1)
        let d = try record.depthwise.reshaped(to: [rows, width]), gRows = try dLogits.reshaped(to: [rows, filters])
        let dPointwise = try d.transposed([1, 0]).matmul(gRows).reshaped(to: pointwiseKernel.shape)
        let dDepthwise = try gRows.matmul(mixing.transposed([1, 0])).reshaped(to: record.depthwise.shape)
        let (dInput, dKernel) = try depthwiseBackward(
            record.input, kernel: depthwiseKernel, outputGradient: dDepthwise, geometry: geometry, layout: layout, layer: name)
        var weights = [dKernel, dPointwise]
        if useBias { weights.append(try biasGradient(dLogits, width: filters)) }
        return LayerGradients(input: dInput, weights: weights)
    }

    public func clearRecords() { records.removeAll() }
}
