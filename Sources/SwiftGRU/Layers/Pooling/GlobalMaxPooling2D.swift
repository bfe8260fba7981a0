/// Pools all rows and columns to the largest value of each channel (Keras' `GlobalMaxPooling2D`).
public final class GlobalMaxPooling2D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .max, spatialRank: 2, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_max_pooling2d")
    }
}
