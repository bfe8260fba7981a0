/// Adds zeros before and after the rows and columns of each frame (Keras' `ZeroPadding2D`).
public final class ZeroPadding2D<Scalar: TensorScalar>: SpatialZeroPadding<Scalar> {
    /// Creates the layer; Keras' default adds one position on each side of every axis.
    ///
    /// - Throws: ``LayerError`` for a negative count or a pair count other than 2.
    public init(padding: [(Int, Int)] = [(1, 1), (1, 1)], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        try super.init(rank: 2, padding: padding, dataFormat: dataFormat, name: name ?? "zero_padding2d")
    }
}
