/// Pools all of depth, rows and columns to the largest value of each channel (Keras' `GlobalMaxPooling3D`).
public final class GlobalMaxPooling3D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .max, spatialRank: 3, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_max_pooling3d")
    }
}
