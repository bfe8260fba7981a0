/// Pools all rows and columns to the mean of each channel (Keras' `GlobalAveragePooling2D`).
public final class GlobalAveragePooling2D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .average, spatialRank: 2, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_average_pooling2d")
    }
}
