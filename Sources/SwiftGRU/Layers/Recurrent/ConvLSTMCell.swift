/// The convolutional LSTM cell (Keras' `ConvLSTMCell`): an LSTM whose input and recurrent
/// transformations are convolutions over one to three spatial axes.
///
/// ```
/// z = conv(x, W; strides, padding, dilation) + b + conv(h, U; same padding)
/// i, f, o = σ(z_i), σ(z_f), σ(z_o)     c' = f ⊙ c + i ⊙ tanh(z_c)     h' = o ⊙ tanh(c')
/// ```
/// Kernel `(window..., channels, 4 * filters)`, recurrent kernel `(window..., filters, 4 *
/// filters)`, bias `(4 * filters)`, gates in Keras' order i, f, c, o.
///
/// The cell computes on channels-last positions flattened per sample: a step's input is
/// `(batch, spatial... * channels)` and its states `(batch, outputSpatial... * filters)`.
/// ``ConvLSTM`` sets ``spatialExtents`` from each call's input and restores the shapes.
public final class ConvLSTMCell<Scalar: TensorScalar>: RecurrentCell {
    public var name = "conv_lstm_cell"
    /// The number of output channels (Keras' `filters`).
    public let filters: Int
    /// The input convolution's window extent per spatial axis.
    public var kernelSize: [Int] { geometry.size }
    /// The input convolution's strides.
    public var strides: [Int] { geometry.strides }
    /// The input convolution's dilation.
    public var dilationRate: [Int] { geometry.dilation }
    /// The input convolution's padding (`.valid` or `.same`; the recurrent one is always same).
    public var padding: Padding { geometry.padding }
    public let activation: Activation
    public let recurrentActivation: Activation
    public let useBias: Bool
    /// Keras' `unit_forget_bias`: a fresh bias starts at 1 for the forget gate.
    public let unitForgetBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let recurrentRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let recurrentConstraint: Constraint?
    public let biasConstraint: Constraint?
    /// Fraction of the inputs dropped in training (one mask per sequence, the same for every gate).
    public let dropout: Double
    /// Fraction of the state dropped in training (one mask per sequence, the same for every gate).
    public let recurrentDropout: Double
    public let seed: UInt64?
    /// The spatial extents of the current input, channels last (set by ``ConvLSTM`` per call).
    public var spatialExtents: [Int]?
    let geometry: WindowGeometry
    let recurrentGeometry: WindowGeometry
    public private(set) var kernel: Tensor<Scalar>?
    public private(set) var recurrentKernel: Tensor<Scalar>?
    public private(set) var bias: Tensor<Scalar>?
    var generator: RandomGenerator
    /// The input and state dropout masks of the current sequence.
    var dropoutMasks: [Tensor<Scalar>?] = [nil, nil]

    /// Creates a cell with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, causal padding, strides and
    ///   dilation both above 1, or a rate outside `[0, 1)`.
    public init(
        filters: Int, kernelSize: [Int], strides: [Int]? = nil, padding: Padding = .valid, dilationRate: [Int]? = nil,
        activation: Activation? = .tanh, recurrentActivation: Activation? = .sigmoid, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil
    ) throws {
        let kind = "ConvLSTM\(kernelSize.count)D"
        try WeightLimits.checkUnits(filters, layer: kind)
        try checkRate(dropout, "dropout", layer: kind)
        try checkRate(recurrentDropout, "recurrent_dropout", layer: kind)
        guard padding != .causal else { throw LayerError(.invalidArgument, "\(kind): padding must be 'valid' or 'same', got 'causal'") }
        let ones = kernelSize.map { _ in 1 }
        geometry = try WindowGeometry(
            size: kernelSize, strides: strides ?? ones, dilation: dilationRate ?? ones, padding: padding, layer: kind)
        recurrentGeometry = try WindowGeometry(size: kernelSize, strides: ones, dilation: ones, padding: .same, layer: kind)
        for (argument, function) in [("activation", activation), ("recurrent_activation", recurrentActivation)] {
            if let function, !function.preservesWidth {
                throw LayerError(.invalidArgument, "\(kind): \(argument) '\(function.name)' changes the width of its input and cannot be used in a ConvLSTM")
            }
        }
        self.filters = filters
        self.activation = activation ?? .linear
        self.recurrentActivation = recurrentActivation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.unitForgetBias = unitForgetBias
        self.kernelRegularizer = kernelRegularizer
        self.recurrentRegularizer = recurrentRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.recurrentConstraint = recurrentConstraint
        self.biasConstraint = biasConstraint
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.seed = seed
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    /// The number of spatial axes (1, 2 or 3).
    public var spatialRank: Int { geometry.spatialRank }
    /// The input channels, once built.
    public var channels: Int? { kernel.map { $0.shape[spatialRank] } }

    /// The output's spatial extents for input extents `spatial`.
    func outputExtents(_ spatial: [Int?], layer: String) throws -> [Int?] {
        try spatial.indices.map { try geometry.output(spatial[$0], axis: $0, layer: layer).extent }
    }

    /// The current output's spatial extents.
    private var outputSpatial: [Int]? {
        guard let spatialExtents else { return nil }
        return try? geometry.plan(spatialExtents, layer: name).extents
    }

    public var stateSize: [Int] {
        let size = outputSpatial.map { $0.reduce(filters, *) } ?? 0
        return [size, size]
    }

    public var outputSize: Int { stateSize[0] }
    public var isBuilt: Bool { kernel != nil }

    public var inputSize: Int? {
        guard let channels, let spatialExtents else { return nil }
        return spatialExtents.reduce(channels, *)
    }

    /// Creates the weights for steps of `inputSize` values: ``spatialExtents`` times the channels.
    public func build(inputSize: Int) throws {
        let positions = spatialExtents?.reduce(1, *) ?? 0
        guard positions > 0, inputSize > 0, inputSize % positions == 0 else {
            throw LayerError(.invalidInputShape, "\(name): \(inputSize) values per step do not fill the spatial extents \(spatialExtents ?? [])")
        }
        try build(channels: inputSize / positions)
    }

    /// Creates the weights for inputs of `channels` channels.
    public func build(channels: Int) throws {
        guard channels > 0 else { throw LayerError(.invalidInputShape, "\(name): the channel axis must be known and positive") }
        if let built = self.channels {
            guard built == channels else { throw LayerError(.invalidInputShape, "\(name): built for \(built) channels, got \(channels)") }
            return
        }
        let gates = try WeightLimits.scalarCount(of: [4, filters])
        kernel = try kernelInitializer.makeTensor(shape: kernelSize + [channels, gates])
        recurrentKernel = try recurrentInitializer.makeTensor(shape: kernelSize + [filters, gates])
        guard useBias else { return }
        var b: Tensor<Scalar> = try biasInitializer.makeTensor(shape: [gates])
        if unitForgetBias {
            b.withUnsafeMutableBufferPointer { values in for j in filters..<(2 * filters) { values[j] = 1 } }
        }
        bias = b
    }

    /// Kernel, recurrent kernel, then bias (Keras' order).
    public var weights: [Tensor<Scalar>] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let gates = 4 * filters
        let channels = self.channels ?? weights.first.flatMap { $0.rank == spatialRank + 2 ? $0.shape[spatialRank] : nil } ?? 0
        let expected = [kernelSize + [channels, gates], kernelSize + [filters, gates]] + (useBias ? [[gates]] : [])
        guard weights.map(\.shape) == expected else {
            throw LayerError(.invalidWeights, "\(name): expects weights of shapes \(expected), got \(weights.map(\.shape))")
        }
        kernel = weights[0]
        recurrentKernel = weights[1]
        bias = useBias ? weights[2] : nil
    }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        dropoutMasks = [nil, nil]
        guard training, let inputSize else { return }
        if dropout > 0 { dropoutMasks[0] = dropoutMask(shape: [batchSize, inputSize], rate: dropout, generator: &generator) }
        if recurrentDropout > 0 { dropoutMasks[1] = dropoutMask(shape: [batchSize, outputSize], rate: recurrentDropout, generator: &generator) }
    }

    public func endSequence() { dropoutMasks = [nil, nil] }

    /// `value` (a step's input, `k` 0, or state, `k` 1, or their gradients) times its dropout
    /// mask when one is drawn.
    ///
    /// - Throws: ``LayerError`` when the mask was drawn for another shape.
    private func droppedOut(_ value: Tensor<Scalar>, _ k: Int) throws -> Tensor<Scalar> {
        guard let mask = dropoutMasks[k] else { return value }
        guard mask.shape == value.shape else {
            throw LayerError(.invalidInputShape, "\(name): a \(k == 0 ? "dropout" : "recurrent_dropout") mask of shape \(mask.shape) was drawn for the sequence; the step has \(value.shape)")
        }
        return try value.combined(with: mask, *)
    }

    /// The step's input and state as channels-last tensors, after dropout.
    private func operands(_ input: Tensor<Scalar>, _ state: Tensor<Scalar>) throws -> (x: Tensor<Scalar>, h: Tensor<Scalar>, outSpatial: [Int]) {
        guard let spatialExtents, let channels, let outSpatial = outputSpatial else {
            throw LayerError(.unsupported, "\(name): the cell is not built for an input's spatial extents")
        }
        let batch = input.shape.first ?? 0
        guard input.shape == [batch, inputSize ?? 0], state.shape == [batch, outputSize] else {
            throw LayerError(.invalidInputShape, "\(name): expects inputs (batch, \(inputSize ?? 0)) and states (batch, \(outputSize)), got \(input.shape) and \(state.shape)")
        }
        return (
            try droppedOut(input, 0).reshaped(to: [batch] + spatialExtents + [channels]),
            try droppedOut(state, 1).reshaped(to: [batch] + outSpatial + [filters]), outSpatial)
    }

    private var inputProduct: WindowedProduct<Scalar> { WindowedProduct(geometry: geometry, groups: 1, layer: name) }
    private var recurrentProduct: WindowedProduct<Scalar> { WindowedProduct(geometry: recurrentGeometry, groups: 1, layer: name) }
    var gates: LSTMGates<Scalar> { LSTMGates(units: filters, activation: activation, recurrentActivation: recurrentActivation) }

    /// `(positions, 4 * filters)` pre-activations of a step.
    private func preactivation(_ x: Tensor<Scalar>, _ h: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard let kernel, let recurrentKernel else { throw LayerError(.unsupported, "\(name): the cell is not built") }
        var z = try inputProduct.forward(x, kernel: kernel).adding(recurrentProduct.forward(h, kernel: recurrentKernel))
        if let bias { z = try z.addingBias(bias) }
        return try z.reshaped(to: [z.scalarCount / (4 * filters), 4 * filters])
    }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        guard states.count == 2 else { throw LayerError(.invalidInputShape, "\(name): expects two states (h, c), got \(states.count)") }
        let batch = input.shape.first ?? 0
        let (x, h, _) = try operands(input, states[0])
        guard states[1].shape == states[0].shape else {
            throw LayerError(.invalidInputShape, "\(name): the carry state must have shape \(states[0].shape), got \(states[1].shape)")
        }
        let z = try preactivation(x, h)
        let (newH, newC) = try gates.forward(z, carry: states[1].reshaped(to: [z.shape[0], filters]))
        let hFlat = try newH.reshaped(to: [batch, outputSize])
        return (hFlat, [hFlat, try newC.reshaped(to: [batch, outputSize])])
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        let copy = try ConvLSTMCell(
            filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate,
            activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            unitForgetBias: unitForgetBias, kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer,
            biasRegularizer: biasRegularizer, kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint,
            biasConstraint: biasConstraint, dropout: dropout, recurrentDropout: recurrentDropout, seed: seed)
        copy.name = name
        copy.spatialExtents = spatialExtents
        return copy
    }

    /// Backpropagates one step (``DifferentiableRecurrentCell``): the gates recomputed, then
    /// both convolutions' gradients.
    func stepBackward(
        input: Tensor<Scalar>, states: [Tensor<Scalar>], outputGradient: Tensor<Scalar>, stateGradients: [Tensor<Scalar>]
    ) throws -> (input: Tensor<Scalar>, states: [Tensor<Scalar>], weights: [Tensor<Scalar>]) {
        guard let kernel, let recurrentKernel else { throw LayerError(.unsupported, "\(name): the cell is not built") }
        let batch = input.shape.first ?? 0
        let (x, h, outSpatial) = try operands(input, states[0])
        let z = try preactivation(x, h)
        let rows = z.shape[0]
        let (dz, dCarry) = try gates.backward(
            z, carry: states[1].reshaped(to: [rows, filters]),
            hGradient: outputGradient.adding(stateGradients[0]).reshaped(to: [rows, filters]),
            cGradient: stateGradients[1].reshaped(to: [rows, filters]))
        let dzSpatial = try dz.reshaped(to: [batch] + outSpatial + [4 * filters])
        let (dx, dKernel) = try inputProduct.backward(x, kernel: kernel, outputGradient: dzSpatial)
        let (dh, dRecurrent) = try recurrentProduct.backward(h, kernel: recurrentKernel, outputGradient: dzSpatial)
        func undropped(_ gradient: Tensor<Scalar>?, _ k: Int, width: Int) throws -> Tensor<Scalar> {
            try droppedOut((gradient ?? Tensor(zeros: [batch * width])).reshaped(to: [batch, width]), k)
        }
        var weights = [dKernel, dRecurrent]
        if useBias { weights.append(try biasGradient(dz, width: 4 * filters)) }
        return (
            try undropped(dx, 0, width: inputSize ?? 0),
            [try undropped(dh, 1, width: outputSize), try dCarry.reshaped(to: [batch, outputSize])], weights)
    }
}
