/// Repeats the rows and columns of each frame (Keras' `UpSampling2D`, nearest interpolation).
public final class UpSampling2D<Scalar: TensorScalar>: SpatialUpSampling<Scalar> {
    /// Creates the layer with Keras' default of two repetitions per axis.
    ///
    /// - Throws: ``LayerError`` when a size is not positive.
    public init(size: [Int] = [2, 2], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 2, size: size, dataFormat: dataFormat, name: name ?? "up_sampling2d")
    }
}
