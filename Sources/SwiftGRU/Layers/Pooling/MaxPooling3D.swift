/// Pools depth, rows and columns to the largest value of each window (Keras' `MaxPooling3D`).
public final class MaxPooling3D<Scalar: TensorScalar>: Pooling<Scalar> {
    /// Creates the layer with Keras' defaults; `strides` defaults to the pool size.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive or causal padding.
    public init(poolSize: [Int] = [2, 2, 2], strides: [Int]? = nil, padding: Padding = .valid, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(mode: .max, poolSize: poolSize, strides: strides, padding: padding, dataFormat: dataFormat, name: name ?? "max_pooling3d")
    }
}
