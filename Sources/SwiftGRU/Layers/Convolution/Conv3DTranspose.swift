/// A 3D transposed convolution (Keras' `Conv3DTranspose`): input `(batch, depth, rows, columns, channels)` (or channels
/// first), kernel `(window..., filters, channels)`.
public final class Conv3DTranspose<Scalar: TensorScalar>: TransposedConvolution<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, causal padding, strides and
    ///   dilation both above 1, or an output padding not below its stride.
    public init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1, 1], padding: Padding = .valid, outputPadding: [Int]? = nil,
        dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1, 1, 1], activation: Activation? = nil, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, name: String? = nil
    ) throws {
        try super.init(
            spatialRank: 3, filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, outputPadding: outputPadding,
            dataFormat: dataFormat, dilationRate: dilationRate, activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name ?? "conv3d_transpose")
    }
}
