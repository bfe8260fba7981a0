/// What a recurrent layer returns: Keras' `output` or `list(output, states...)`.
public struct RecurrentOutput<Scalar: TensorScalar>: Sendable {
    /// The whole sequence `(batch, steps, units)` with `returnSequences`, else the last
    /// output `(batch, units)`.
    public var output: Tensor<Scalar>
    /// The final states with `returnState` (one for a GRU, one per cell when stacked,
    /// forward then backward for ``Bidirectional``); empty otherwise.
    public var states: [Tensor<Scalar>]
    /// The second output of a ``Bidirectional`` layer whose merge mode is `nil`.
    public var backwardOutput: Tensor<Scalar>?

    /// Creates a result.
    public init(output: Tensor<Scalar>, states: [Tensor<Scalar>] = [], backwardOutput: Tensor<Scalar>? = nil) {
        self.output = output
        self.states = states
        self.backwardOutput = backwardOutput
    }

    /// All outputs in Keras' order: output (and backward output), then states.
    public var all: [Tensor<Scalar>] { [output] + (backwardOutput.map { [$0] } ?? []) + states }
}
