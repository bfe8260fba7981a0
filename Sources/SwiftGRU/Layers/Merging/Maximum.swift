/// Takes the element-wise maximum of its inputs (Keras' `Maximum`); masks merge as in Keras.
public final class Maximum<Scalar: TensorScalar>: ElementwiseMerge<Scalar> {
    /// Creates the layer.
    public init(name: String? = nil) { super.init(.maximum, name: name ?? "maximum") }
}
