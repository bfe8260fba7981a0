/// The fully connected recurrent layer (Keras' `layer_simple_rnn`): a ``SimpleRNNCell`` run
/// over a sequence by ``RNN``; it trains by backpropagation through time, with dropout,
/// recurrent dropout, regularizers and constraints.
public final class SimpleRNN<Scalar: TensorScalar>: RNN<Scalar> {
    /// The cell that holds the weights.
    public let simpleCell: SimpleRNNCell<Scalar>

    /// Creates a layer with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0` or a rate is outside `[0, 1)`.
    public convenience init(
        units: Int, activation: Activation? = .tanh, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil,
        returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        unroll: Bool = false, name: String? = nil
    ) throws {
        self.init(
            cell: try SimpleRNNCell(
                units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
                kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
                kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
                dropout: dropout, recurrentDropout: recurrentDropout, seed: seed),
            activityRegularizer: activityRegularizer, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards, stateful: stateful,
            unroll: unroll, name: name)
    }

    /// Creates a layer around an existing cell.
    public init(
        cell: SimpleRNNCell<Scalar>, activityRegularizer: Regularizer? = nil, returnSequences: Bool = false,
        returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, timeMajor: Bool = false,
        name: String? = nil
    ) {
        simpleCell = cell
        super.init(
            cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
            stateful: stateful, unroll: unroll, timeMajor: timeMajor, activityRegularizer: activityRegularizer, name: name ?? "simple_rnn")
    }

    public override func makeReversedCopy() throws -> RNN<Scalar> {
        guard let cell = try simpleCell.makeCopy() as? SimpleRNNCell<Scalar> else {
            throw LayerError(.unsupported, "\(name): the cell could not be copied")
        }
        let copy = SimpleRNN(
            cell: cell, activityRegularizer: activityRegularizer, returnSequences: returnSequences, returnState: returnState, goBackwards: !goBackwards,
            stateful: stateful, unroll: unroll, timeMajor: timeMajor, name: "backward_" + name)
        copy.zeroOutputForMask = zeroOutputForMask
        return copy
    }
}
