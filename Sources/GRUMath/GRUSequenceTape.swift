@_spi(GRUKernels) import GRUTensor

/// What a recorded forward pass keeps for the backward pass.
public struct GRUSequenceTape<Scalar: TensorScalar>: Sendable {
    let spec: GRUSpec
    let options: GRUSequenceOptions
    let batch: Int
    let steps: Int
    let inputs: Tensor<Scalar>
    let mask: Tensor<Bool>?
    let dropout: GRUDropoutMasks<Scalar>
    /// The state before each processing step: `(steps, batch, units)`.
    let previousStates: [Scalar]
    /// Per processing step, the ``GRUStepRecord`` blocks.
    let records: [Scalar]
    /// For a compacted call (``CompactedSequence``), the order of the rows of each block;
    /// only the rows running at a step hold values. `nil`: the batch's order, every row.
    var compaction: CompactedRows? = nil
}

/// Gradients of a GRU sequence with respect to its inputs, initial state and weights.
public struct GRUSequenceGradients<Scalar: TensorScalar>: Sendable {
    /// Same shape as the inputs.
    public var inputs: Tensor<Scalar>
    /// `(batch, units)`.
    public var initialState: Tensor<Scalar>
    public var kernel: Tensor<Scalar>
    public var recurrentKernel: Tensor<Scalar>
    /// Same shape as the bias, or `nil` without one.
    public var bias: Tensor<Scalar>?

    package init(
        inputs: Tensor<Scalar>, initialState: Tensor<Scalar>, kernel: Tensor<Scalar>, recurrentKernel: Tensor<Scalar>,
        bias: Tensor<Scalar>?
    ) {
        self.inputs = inputs
        self.initialState = initialState
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        self.bias = bias
    }
}
