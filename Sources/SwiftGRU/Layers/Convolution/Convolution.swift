/// The convolution Keras' `Conv1D` and `Conv2D` share: `activation(conv(x, kernel) + bias)`
/// along one or two spatial axes, with strides, dilation, padding, groups and data format.
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

    /// The channels-last input, pre-activation and output of a call.
    private func run(_ input: Tensor<Scalar>) throws -> (input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>) {
        try build(inputShape: optionalShape(input.shape))
        guard let kernel else { throw LayerError(.unsupported, "\(name): not built") }
        let x = try layout.channelsLast(input, layer: name)
        let plan = try Plan(self, x)
        var output = [Scalar](repeating: 0, count: plan.rows * filters)
        for group in 0..<groups {
            let product = try plan.patches(x, group: group).matmul(plan.kernelSlice(kernel, group: group))
            for r in 0..<plan.rows {
                for f in 0..<plan.groupFilters { output[r * filters + group * plan.groupFilters + f] = product.scalars[r * plan.groupFilters + f] }
            }
        }
        if let bias {
            for r in 0..<plan.rows {
                for f in 0..<filters { output[r * filters + f] += bias.scalars[f] }
            }
        }
        let logits = try Tensor(shape: [plan.batch] + plan.outSpatial + [filters], scalars: output)
        return (x, logits, try activation.apply(to: logits))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let kernel else { throw LayerError(.unsupported, "\(name): not built") }
        let g = try addingActivityGradient(
            activityRegularizer, output: record.output,
            to: layout.channelsLast(gradient(outputGradients, 0, shape: layout.restored(record.output).shape), layer: name))
        let dLogits = try activation.gradient(input: record.logits, output: record.output, outputGradient: g)
        let x = record.input
        let plan = try Plan(self, x)
        var dKernel = [Scalar](repeating: 0, count: kernel.scalarCount)
        var dInput = [Scalar](repeating: 0, count: x.scalarCount)
        for group in 0..<groups {
            var slice = [Scalar](repeating: 0, count: plan.rows * plan.groupFilters)
            for r in 0..<plan.rows {
                for f in 0..<plan.groupFilters { slice[r * plan.groupFilters + f] = dLogits.scalars[r * filters + group * plan.groupFilters + f] }
            }
            let gGroup = try Tensor(shape: [plan.rows, plan.groupFilters], scalars: slice)
            // dW = patches^T g; d(patches) = g W^T, folded back onto the input (col2im).
            let dSlice = try plan.patches(x, group: group).transposed([1, 0]).matmul(gGroup)
            for k in 0..<plan.depth {
                for f in 0..<plan.groupFilters { dKernel[k * filters + group * plan.groupFilters + f] = dSlice.scalars[k * plan.groupFilters + f] }
            }
            let dPatches = try gGroup.matmul(plan.kernelSlice(kernel, group: group).transposed([1, 0]))
            geometry.forEachTap(batch: plan.batch, input: plan.inPlane, output: plan.outPlane, padBefore: plan.padBefore, channels: plan.channels) { row, tap, offset in
                let from = row * plan.depth + tap * plan.groupChannels, to = offset + group * plan.groupChannels
                for c in 0..<plan.groupChannels { dInput[to + c] += dPatches.scalars[from + c] }
            }
        }
        var weights = [try Tensor(shape: kernel.shape, scalars: dKernel)]
        if useBias { weights.append(try biasGradient(dLogits, width: filters)) }
        return LayerGradients(input: try layout.restored(Tensor(shape: x.shape, scalars: dInput)), weights: weights)
    }

    public func clearRecords() { records.removeAll() }

    /// The sizes of one call: windows as rows (im2col), each group's slice of the kernel.
    private struct Plan {
        let batch: Int, channels: Int, rows: Int, depth: Int, groupChannels: Int, groupFilters: Int
        let outSpatial: [Int], padBefore: [Int]
        let inPlane: (height: Int, width: Int), outPlane: (height: Int, width: Int)
        let geometry: WindowGeometry
        let filters: Int

        init(_ layer: Convolution, _ x: Tensor<Scalar>) throws {
            batch = x.shape[0]
            channels = x.shape[x.rank - 1]
            let spatial = Array(x.shape[1..<(x.rank - 1)])
            (outSpatial, padBefore) = try layer.geometry.plan(spatial, layer: layer.name)
            inPlane = layer.layout.plane(spatial)
            outPlane = layer.layout.plane(outSpatial)
            rows = try WeightLimits.scalarCount(of: [batch, outPlane.height, outPlane.width])
            groupChannels = channels / layer.groups
            groupFilters = layer.filters / layer.groups
            depth = layer.kernelSize.reduce(1, *) * groupChannels
            _ = try WeightLimits.scalarCount(of: [rows, depth])
            geometry = layer.geometry
            filters = layer.filters
        }

        /// The group's windows of the channels-last input, one row per output position.
        func patches(_ x: Tensor<Scalar>, group: Int) throws -> Tensor<Scalar> {
            var patches = [Scalar](repeating: 0, count: rows * depth)
            x.scalars.withUnsafeBufferPointer { source in
                patches.withUnsafeMutableBufferPointer { target in
                    geometry.forEachTap(batch: batch, input: inPlane, output: outPlane, padBefore: padBefore, channels: channels) { row, tap, offset in
                        let from = offset + group * groupChannels, to = row * depth + tap * groupChannels
                        for c in 0..<groupChannels { target[to + c] = source[from + c] }
                    }
                }
            }
            return try Tensor(shape: [rows, depth], scalars: patches)
        }

        /// The group's `(depth, groupFilters)` slice of the kernel.
        func kernelSlice(_ kernel: Tensor<Scalar>, group: Int) throws -> Tensor<Scalar> {
            var slice = [Scalar](repeating: 0, count: depth * groupFilters)
            for k in 0..<depth {
                for f in 0..<groupFilters { slice[k * groupFilters + f] = kernel.scalars[k * filters + group * groupFilters + f] }
            }
            return try Tensor(shape: [depth, groupFilters], scalars: slice)
        }
    }
}
