/// Averages its inputs element-wise (Keras' `Average`); masks merge as in Keras.
public final class Average<Scalar: TensorScalar>: ElementwiseMerge<Scalar> {
    /// Creates the layer.
    public init(name: String? = nil) { super.init(.average, name: name ?? "average") }
}
