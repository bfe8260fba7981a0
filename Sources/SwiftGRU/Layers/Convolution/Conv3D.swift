/// A three-dimensional convolution (Keras' `Conv3D`): input `(batch, depth, rows, columns,
/// channels)` (or channels first), kernel `(kernelDepth, kernelRows, kernelColumns, channels /
/// groups, filters)`.
public final class Conv3D<Scalar: TensorScalar>: Convolution<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Parameters:
    ///   - kernelSize: `[depth, rows, columns]`.
    ///   - padding: `.valid` or `.same`.
    /// - Throws: ``LayerError`` for sizes that are not positive, groups that do not divide the
    ///   filters, or strides and dilation both above 1.
    public init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1, 1], padding: Padding = .valid,
        dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1, 1, 1], groups: Int = 1, activation: Activation? = nil,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
        name: String? = nil
    ) throws {
        try super.init(
            spatialRank: 3, filters: filters, kernelSize: kernelSize, strides: strides, padding: padding,
            dataFormat: dataFormat, dilationRate: dilationRate, groups: groups, activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name ?? "conv3d")
    }
}
