/// Pools all of depth, rows and columns to the mean of each channel (Keras' `GlobalAveragePooling3D`).
public final class GlobalAveragePooling3D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .average, spatialRank: 3, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_average_pooling3d")
    }
}
