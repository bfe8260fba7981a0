/// Subtracts the second input from the first (Keras' `Subtract`); masks merge as in Keras.
public final class Subtract<Scalar: TensorScalar>: ElementwiseMerge<Scalar> {
    /// Creates the layer.
    public init(name: String? = nil) { super.init(.subtract, name: name ?? "subtract") }
}
