/// Adds zeros before and after the depth, rows and columns of each frame (Keras' `ZeroPadding3D`).
public final class ZeroPadding3D<Scalar: TensorScalar>: SpatialZeroPadding<Scalar> {
    /// Creates the layer; Keras' default adds one position on each side of every axis.
    ///
    /// - Throws: ``LayerError`` for a negative count or a pair count other than 3.
    public init(padding: [(Int, Int)] = [(1, 1), (1, 1), (1, 1)], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 3, padding: padding, dataFormat: dataFormat, name: name ?? "zero_padding3d")
    }
}
