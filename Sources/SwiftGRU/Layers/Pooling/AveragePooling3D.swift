/// Pools depth, rows and columns to the mean of each window's values (padding not counted) (Keras' `AveragePooling3D`).
public final class AveragePooling3D<Scalar: TensorScalar>: Pooling<Scalar> {
    /// Creates the layer with Keras' defaults; `strides` defaults to the pool size.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive or causal padding.
    public init(poolSize: [Int] = [2, 2, 2], strides: [Int]? = nil, padding: Padding = .valid, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(mode: .average, poolSize: poolSize, strides: strides, padding: padding, dataFormat: dataFormat, name: name ?? "average_pooling3d")
    }
}
