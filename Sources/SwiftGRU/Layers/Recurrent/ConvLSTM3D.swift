/// A convolutional LSTM over 3D frames (Keras' `ConvLSTM3D`): input `(batch, steps, depth, rows, columns, channels)`
/// (or channels first), kernel `(window..., channels, 4 * filters)`.
public final class ConvLSTM3D<Scalar: TensorScalar>: ConvLSTM<Scalar> {
    /// Creates the layer with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, causal padding, strides and
    ///   dilation both above 1, or a rate outside `[0, 1)`.
    public convenience init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1, 1], padding: Padding = .valid, dataFormat: DataFormat = .channelsLast,
        dilationRate: [Int] = [1, 1, 1], activation: Activation? = .tanh, recurrentActivation: Activation? = .sigmoid, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil, returnSequences: Bool = false,
        returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false, name: String? = nil
    ) throws {
        guard kernelSize.count == 3 else {
            throw LayerError(.invalidArgument, "ConvLSTM3D: kernel_size must have 3 value(s), got \(kernelSize)")
        }
        self.init(
            cell: try ConvLSTMCell(
                filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate,
                activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
                unitForgetBias: unitForgetBias, kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer,
                biasRegularizer: biasRegularizer, kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint,
                biasConstraint: biasConstraint, dropout: dropout, recurrentDropout: recurrentDropout, seed: seed),
            dataFormat: dataFormat, activityRegularizer: activityRegularizer, returnSequences: returnSequences,
            returnState: returnState, goBackwards: goBackwards, stateful: stateful, name: name)
    }
}
