/// Removes positions before and after the rows and columns of each frame (Keras' `Cropping2D`).
public final class Cropping2D<Scalar: TensorScalar>: SpatialCropping<Scalar> {
    /// Creates the layer; Keras' default removes nothing.
    ///
    /// - Throws: ``LayerError`` for a negative count or a pair count other than 2.
    public init(cropping: [(Int, Int)] = [(0, 0), (0, 0)], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 2, cropping: cropping, dataFormat: dataFormat, name: name ?? "cropping2d")
    }
}
