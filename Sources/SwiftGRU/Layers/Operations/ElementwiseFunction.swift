/// A function of each value (Keras' `ops.tanh`, `ops.sigmoid`, `ops.exp`, `ops.log`,
/// `ops.abs`, `ops.square`, `ops.sqrt` and `ops.negative` in a functional model). The output
/// has no mask, as Keras' operations give none.
public final class ElementwiseFunction<Scalar: TensorScalar>: ShapePreservingLayer, RecordsInputs {
    /// The function.
    public enum Kind: String, Sendable, CaseIterable {
        case tanh, sigmoid, exp, log, abs, square, sqrt, negative
    }

    public let kind: Kind
    public var name: String
    public var trainable = true
    var records: [Tensor<Scalar>] = []

    /// Creates the operation.
    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name ?? kind.rawValue
    }

    private func apply(_ x: Scalar) -> Scalar {
        switch kind {
        case .tanh: Scalar.tanh(x)
        case .sigmoid: 1 / (1 + Scalar.exp(-x))
        case .exp: Scalar.exp(x)
        case .log: Scalar.log(x)
        case .abs: Swift.abs(x)
        case .square: x * x
        case .sqrt: x.squareRoot()
        case .negative: -x
        }
    }

    private func slope(_ x: Scalar, _ y: Scalar) -> Scalar {
        switch kind {
        case .tanh: 1 - y * y
        case .sigmoid: y * (1 - y)
        case .exp: y
        case .log: 1 / x
        case .abs: x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .square: 2 * x
        case .sqrt: 1 / (2 * y)
        case .negative: -1
        }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input.map(apply))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: input.shape)
        let dx = zip(input.scalars, g.scalars).map { x, g in g * slope(x, apply(x)) }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: dx))
    }
}

extension ElementwiseFunction {
    public var stepScope: StepScope { .eachStep }
}
