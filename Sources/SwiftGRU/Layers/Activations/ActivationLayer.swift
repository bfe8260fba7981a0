/// Applies an activation function (Keras' `Activation` layer).
public final class ActivationLayer<Scalar: TensorScalar>: Layer {
    public let activation: Activation
    public var name: String
    public var trainable = true
    /// Recorded calls: input and output.
    var records: [(input: Tensor<Scalar>, output: Tensor<Scalar>)] = []

    /// Creates the layer; `nil` is linear.
    public init(_ activation: Activation?, name: String? = nil) {
        self.activation = activation ?? .linear
        self.name = name ?? "activation"
    }

    public var typeName: String { "Activation" }
    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard let last = inputShape.last else { return inputShape }
        return inputShape.dropLast() + [last.map { activation.outputWidth(for: $0) }]
    }

    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        do {
            return LayerOutput(try activation.apply(to: input), mask: mask)
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "\(name): \(error.message)")
        }
    }
}

extension ActivationLayer {
    public var stepScope: StepScope { .eachStep }
}
