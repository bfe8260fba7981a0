/// A 2D transposed convolution (Keras' `Conv2DTranspose`): input `(batch, rows, columns, channels)` (or channels
/// first), kernel `(window..., filters, channels)`.
public final class Conv2DTranspose<Scalar: TensorScalar>: TransposedConvolution<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, causal padding, strides and
    ///   dilation both above 1, or an output padding not below its stride.
    public init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, outputPadding: [Int]? = nil,
        dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1, 1], activation: Activation? = nil, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, name: String? = nil
    ) throws {
        try super.init(
            spatialRank: 2, filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, outputPadding: outputPadding,
            dataFormat: dataFormat, dilationRate: dilationRate, activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name ?? "conv2d_transpose")
    }
}
