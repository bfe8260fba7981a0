/// The LSTM layer (Keras' `layer_lstm`): an ``LSTMCell`` run over a sequence by ``RNN``,
/// with masks, `go_backwards`, `return_sequences`, `return_state` (output, then the states
/// h and c), stateful calls and ``Bidirectional``; it trains by backpropagation through
/// time, with dropout, recurrent dropout, regularizers and constraints.
public final class LSTM<Scalar: TensorScalar>: RNN<Scalar> {
    /// The cell that holds the weights.
    public let lstmCell: LSTMCell<Scalar>

    /// Creates an LSTM layer with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0` or a rate is outside `[0, 1)`.
    public convenience init(
        units: Int, activation: Activation? = .tanh, recurrentActivation: Activation? = .sigmoid, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil, returnSequences: Bool = false, returnState: Bool = false,
        goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, name: String? = nil
    ) throws {
        self.init(
            cell: try LSTMCell(
                units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                biasInitializer: biasInitializer, unitForgetBias: unitForgetBias,
                kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
                kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
                dropout: dropout, recurrentDropout: recurrentDropout, seed: seed),
            activityRegularizer: activityRegularizer, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards, stateful: stateful,
            unroll: unroll, name: name)
    }

    /// Creates an LSTM layer around an existing cell.
    public init(
        cell: LSTMCell<Scalar>, activityRegularizer: Regularizer? = nil, returnSequences: Bool = false, returnState: Bool = false,
        goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, timeMajor: Bool = false, name: String? = nil
    ) {
        lstmCell = cell
        super.init(
            cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
            stateful: stateful, unroll: unroll, timeMajor: timeMajor, activityRegularizer: activityRegularizer, name: name ?? "lstm")
    }

    public override func makeReversedCopy() throws -> RNN<Scalar> {
        guard let cell = try lstmCell.makeCopy() as? LSTMCell<Scalar> else {
            throw LayerError(.unsupported, "\(name): the cell could not be copied")
        }
        let copy = LSTM(
            cell: cell, activityRegularizer: activityRegularizer, returnSequences: returnSequences, returnState: returnState, goBackwards: !goBackwards,
            stateful: stateful, unroll: unroll, timeMajor: timeMajor, name: "backward_" + name)
        copy.zeroOutputForMask = zeroOutputForMask
        return copy
    }
}
