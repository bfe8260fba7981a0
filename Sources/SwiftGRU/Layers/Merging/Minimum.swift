/// Takes the element-wise minimum of its inputs (Keras' `Minimum`); masks merge as in Keras.
public final class Minimum<Scalar: TensorScalar>: ElementwiseMerge<Scalar> {
    /// Creates the layer.
    public init(name: String? = nil) { super.init(.minimum, name: name ?? "minimum") }
}
