/// A 1D transposed convolution (Keras' `Conv1DTranspose`): input `(batch, steps, channels)` (or channels
/// first), kernel `(window..., filters, channels)`.
public final class Conv1DTranspose<Scalar: TensorScalar>: TransposedConvolution<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, causal padding, strides and
    ///   dilation both above 1, or an output padding not below its stride.
    public init(
        filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, outputPadding: Int? = nil,
        dataFormat: DataFormat = .channelsLast, dilationRate: Int = 1, activation: Activation? = nil, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, name: String? = nil
    ) throws {
        try super.init(
            spatialRank: 1, filters: filters, kernelSize: [kernelSize], strides: [strides], padding: padding, outputPadding: outputPadding.map { [$0] },
            dataFormat: dataFormat, dilationRate: [dilationRate], activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name ?? "conv1d_transpose")
    }
}
