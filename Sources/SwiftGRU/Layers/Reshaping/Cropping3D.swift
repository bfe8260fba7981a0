/// Removes positions before and after the depth, rows and columns of each frame (Keras' `Cropping3D`).
public final class Cropping3D<Scalar: TensorScalar>: SpatialCropping<Scalar> {
    /// Creates the layer; Keras' default removes nothing.
    ///
    /// - Throws: ``LayerError`` for a negative count or a pair count other than 3.
    public init(cropping: [(Int, Int)] = [(0, 0), (0, 0), (0, 0)], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 3, cropping: cropping, dataFormat: dataFormat, name: name ?? "cropping3d")
    }
}
