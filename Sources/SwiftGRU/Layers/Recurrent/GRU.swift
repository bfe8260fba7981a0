package import GRUMath

/// The GRU layer (Keras' `layer_gru`): a ``GRUCell`` run over a sequence.
///
/// ```swift
/// let inputs = try Tensor<Float>(shape: [32, 10, 8], scalars: ...)
/// let gru = try GRU<Float>(units: 4, returnSequences: true, returnState: true)
/// let result = try gru(inputs)
/// result.output.shape     // [32, 10, 4]
/// result.states[0].shape  // [32, 4]
/// ```
///
/// The arguments are Keras' in camel case; `timeMajor` and `resetStates(to:)`
/// come from tf.keras 2. Weights are in Keras' layout, so Keras weights load as they are.
public final class GRU<Scalar: TensorScalar>: RNN<Scalar> {
    /// The cell that holds the weights and the dropout settings.
    public let gruCell: GRUCell<Scalar>
    /// Whether to run on cuDNN.
    public let useCuDNN: UseCuDNN
    /// A device used in place of the GPU (tests run the device path on the CPU with it).
    package var deviceBackendOverride: (any GRUDeviceBackend)?

    /// Creates a GRU layer with Keras' arguments and defaults.
    ///
    /// - Parameters:
    ///   - units: Size of the output and the state; must be positive.
    ///   - activation: Candidate activation; `nil` is linear.
    ///   - recurrentActivation: Gate activation; `nil` is linear.
    ///   - dropout: Fraction of the inputs dropped in training, in `[0, 1)`.
    ///   - recurrentDropout: Fraction of the state dropped in training, in `[0, 1)`.
    ///   - seed: Seed of the dropout masks.
    ///   - stateful: Requires a fixed batch size, given by ``RNN/build(inputShape:)``
    ///     or by the first call.
    ///   - name: Defaults to `"gru"`.
    /// - Throws: ``LayerError`` for `units <= 0`, a rate outside `[0, 1)` or a width-changing activation.
    public convenience init(
        units: Int,
        activation: Activation? = .tanh,
        recurrentActivation: Activation? = .sigmoid,
        useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(),
        recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil,
        recurrentRegularizer: Regularizer? = nil,
        biasRegularizer: Regularizer? = nil,
        activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil,
        recurrentConstraint: Constraint? = nil,
        biasConstraint: Constraint? = nil,
        dropout: Double = 0,
        recurrentDropout: Double = 0,
        seed: UInt64? = nil,
        returnSequences: Bool = false,
        returnState: Bool = false,
        goBackwards: Bool = false,
        stateful: Bool = false,
        unroll: Bool = false,
        timeMajor: Bool = false,
        resetAfter: Bool = true,
        useCuDNN: UseCuDNN = .auto,
        name: String? = nil
    ) throws {
        var c = Configuration(cell: GRUCell<Scalar>.Configuration(
            units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
            kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
            dropout: dropout, recurrentDropout: recurrentDropout, seed: seed, resetAfter: resetAfter))
        c.activityRegularizer = activityRegularizer
        c.returnSequences = returnSequences
        c.returnState = returnState
        c.goBackwards = goBackwards
        c.stateful = stateful
        c.unroll = unroll
        c.timeMajor = timeMajor
        c.useCuDNN = useCuDNN
        c.name = name
        try self.init(c)
    }

    /// Creates a GRU layer around an existing cell (the cell's settings are the layer's).
    public init(
        cell: GRUCell<Scalar>, activityRegularizer: Regularizer? = nil, returnSequences: Bool = false,
        returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false,
        timeMajor: Bool = false, useCuDNN: UseCuDNN = .auto, name: String? = nil
    ) {
        self.gruCell = cell
        self.useCuDNN = useCuDNN
        super.init(
            cell: cell, returnSequences: returnSequences, returnState: returnState,
            goBackwards: goBackwards, stateful: stateful, unroll: unroll, timeMajor: timeMajor,
            activityRegularizer: activityRegularizer, name: name ?? "gru")
    }

    public var units: Int { gruCell.units }
    public var activation: Activation { gruCell.activation }
    public var recurrentActivation: Activation { gruCell.recurrentActivation }
    public var useBias: Bool { gruCell.useBias }
    public var resetAfter: Bool { gruCell.resetAfter }
    /// See ``GRUCell/precision``.
    public var precision: ComputePrecision? {
        get { gruCell.precision }
        set { gruCell.precision = newValue }
    }
    public var dropout: Double { gruCell.dropout }
    public var recurrentDropout: Double { gruCell.recurrentDropout }
    /// See ``GRUCell/kernel``.
    public var kernel: Tensor<Scalar>? { gruCell.kernel }
    /// See ``GRUCell/recurrentKernel``.
    public var recurrentKernel: Tensor<Scalar>? { gruCell.recurrentKernel }
    /// See ``GRUCell/bias``.
    public var bias: Tensor<Scalar>? { gruCell.bias }

    /// The first of cuDNN's conditions this layer and mask fail, or `nil` when all hold.
    public func cuDNNIncompatibility(mask: Tensor<Bool>?) -> String? {
        if activation != .tanh { return "activation is \(activation.name), not tanh" }
        if recurrentActivation != .sigmoid { return "recurrent_activation is \(recurrentActivation.name), not sigmoid" }
        if recurrentDropout != 0 { return "recurrent_dropout is not 0" }
        if unroll { return "unroll is true" }
        if !useBias { return "use_bias is false" }
        if !resetAfter { return "reset_after is false" }
        if let mask, !Self.isRightPadded(mask) { return "the mask is not strictly right-padded" }
        return nil
    }

    /// Whether every row of the mask is a run of `true` followed by a run of `false`.
    static func isRightPadded(_ mask: Tensor<Bool>) -> Bool {
        guard mask.rank == 2 else { return false }
        let steps = mask.shape[1]
        for b in 0..<mask.shape[0] {
            var ended = false
            for t in 0..<steps {
                let value = mask.scalars[b * steps + t]
                if ended && value { return false }
                if !value { ended = true }
            }
        }
        return true
    }

    override func runSequence(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialStates: [Tensor<Scalar>],
        constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        if constants.isEmpty, let (backend, layout) = try deviceChoice(inputs: inputs, mask: mask) {
            let result = try runOnDevice(backend, layout: layout, inputs: inputs, initialState: initialStates[0], recording: false)
            return (result.output, [result.finalState])
        }
        return try super.runSequence(inputs, mask: mask, initialStates: initialStates, constants: constants, training: training)
    }

    override func recordSequence(
        _ cells: [GRUCell<Scalar>], _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialStates: [Tensor<Scalar>]
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], record: RecurrentRecord<Scalar>) {
        guard let (backend, layout) = try deviceChoice(inputs: inputs, mask: mask) else {
            return try super.recordSequence(cells, inputs, mask: mask, initialStates: initialStates)
        }
        let result = try runOnDevice(backend, layout: layout, inputs: inputs, initialState: initialStates[0], recording: true)
        guard let record = result.record else {
            throw LayerError(.unsupported, "\(name): the device recorded nothing for training")
        }
        let outputs = [result.output] + (returnState ? [result.finalState] : [])
        return (result.output, [result.finalState], RecurrentRecord(
            sequences: [.device(record)], reversed: false, outputs: outputs, hadInitialState: false))
    }

    public override func makeReversedCopy() throws -> RNN<Scalar> {
        guard let cell = try gruCell.makeCopy() as? GRUCell<Scalar> else {
            throw LayerError(.unsupported, "\(name): the cell could not be copied")
        }
        let copy = GRU(
            cell: cell, activityRegularizer: activityRegularizer, returnSequences: returnSequences,
            returnState: returnState, goBackwards: !goBackwards, stateful: stateful, unroll: unroll,
            timeMajor: timeMajor, useCuDNN: useCuDNN, name: "backward_" + name)
        copy.zeroOutputForMask = zeroOutputForMask
        copy.deviceBackendOverride = deviceBackendOverride
        return copy
    }
}
