/// A depthwise convolution over steps (Keras' `DepthwiseConv1D`): each channel convolved with
/// its own `depthMultiplier` filters; kernel `(kernelSize, channels, depthMultiplier)`.
public final class DepthwiseConv1D<Scalar: TensorScalar>: DepthwiseConvolution<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive, or strides and dilation both above 1.
    public init(
        kernelSize: Int, strides: Int = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
        dataFormat: DataFormat = .channelsLast, dilationRate: Int = 1, activation: Activation? = nil, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, name: String? = nil
    ) throws {
        try super.init(
            spatialRank: 1, kernelSize: [kernelSize], strides: [strides], padding: padding, depthMultiplier: depthMultiplier,
            dataFormat: dataFormat, dilationRate: [dilationRate], activation: activation, useBias: useBias,
            depthwiseInitializer: depthwiseInitializer, biasInitializer: biasInitializer, name: name ?? "depthwise_conv1d")
    }
}
