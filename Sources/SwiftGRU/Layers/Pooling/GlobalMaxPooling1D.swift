/// Pools all steps to the largest value of each channel (Keras' `GlobalMaxPooling1D`).
public final class GlobalMaxPooling1D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .max, spatialRank: 1, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_max_pooling1d")
    }
}
