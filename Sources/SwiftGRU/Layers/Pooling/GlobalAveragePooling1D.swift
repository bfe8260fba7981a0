/// Pools all steps to the mean of each channel (of the unmasked steps when a mask is given) (Keras' `GlobalAveragePooling1D`).
public final class GlobalAveragePooling1D<Scalar: TensorScalar>: GlobalPooling<Scalar> {
    /// Creates the layer with Keras' defaults.
    public init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil) {
        super.init(mode: .average, spatialRank: 1, dataFormat: dataFormat, keepdims: keepdims, name: name ?? "global_average_pooling1d")
    }
}
