/// The exponential linear unit (Keras' `ELU` layer): `x` above zero, `alpha * (exp(x) - 1)` below.
public final class ELU<Scalar: TensorScalar>: ShapePreservingLayer, RecordsInputs {
    /// The scale of the negative part.
    public let alpha: Scalar
    public var name: String
    public var trainable = true

    /// Creates the layer with Keras' default `alpha` of 1.
    public init(alpha: Scalar = 1, name: String? = nil) {
        self.alpha = alpha
        self.name = name ?? "elu"
    }

    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input.map { $0 > 0 ? $0 : alpha * Scalar.expMinusOne($0) }, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let slopes = input.map { $0 > 0 ? 1 : alpha * Scalar.exp($0) }
        return LayerGradients(input: try gradient(outputGradients, 0, shape: input.shape).combined(with: slopes, *))
    }

}

extension ELU {
    public var stepScope: StepScope { .eachStep }
}
