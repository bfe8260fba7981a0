/// Repeats the depth, rows and columns of each frame (Keras' `UpSampling3D`).
public final class UpSampling3D<Scalar: TensorScalar>: SpatialUpSampling<Scalar> {
    /// Creates the layer with Keras' default of two repetitions per axis.
    ///
    /// - Throws: ``LayerError`` when a size is not positive.
    public init(size: [Int] = [2, 2, 2], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 3, size: size, dataFormat: dataFormat, name: name ?? "up_sampling3d")
    }
}
