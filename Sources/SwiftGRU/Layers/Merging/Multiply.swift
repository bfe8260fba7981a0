/// Multiplies its inputs element-wise (Keras' `Multiply`); masks merge as in Keras.
public final class Multiply<Scalar: TensorScalar>: ElementwiseMerge<Scalar> {
    /// Creates the layer.
    public init(name: String? = nil) { super.init(.multiply, name: name ?? "multiply") }
}
