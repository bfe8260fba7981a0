/// A fully connected layer on the last axis: `activation(x @ kernel + bias)` (Keras' `Dense`).
public final class Dense<Scalar: TensorScalar>: Layer {
    /// The output size.
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let activityRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?
    public var name: String
    public var trainable = true
    /// `(inputSize, units)`, once built.
    public private(set) var kernel: Tensor<Scalar>?
    /// `(units)`, once built with a bias.
    public private(set) var bias: Tensor<Scalar>?
    /// Recorded calls: input, pre-activation, output.
    var records: [(input: Tensor<Scalar>, logits: Tensor<Scalar>, output: Tensor<Scalar>)] = []
    public internal(set) var activityLoss: Scalar = 0

    /// Creates a dense layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` when `units` is not positive.
    public init(
        units: Int, activation: Activation? = nil, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
        biasConstraint: Constraint? = nil, name: String? = nil
    ) throws {
        guard units > 0 else {
            throw LayerError(.invalidArgument, "Dense: units must be a positive integer, got \(units)")
        }
        self.units = units
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.activityRegularizer = activityRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.name = name ?? "dense"
    }

    public var isBuilt: Bool { kernel != nil }

    public func build(inputShape: [Int?]) throws {
        guard let last = inputShape.last, let features = last, features > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the last axis of the input must be known and positive, got shape \(describe(inputShape))")
        }
        if let kernel {
            guard kernel.shape[0] == features else {
                throw LayerError(.invalidInputShape, "\(name): expects \(kernel.shape[0]) input features, got shape \(describe(inputShape))")
            }
            return
        }
        kernel = try kernelInitializer.makeTensor(shape: [features, units])
        bias = useBias ? try biasInitializer.makeTensor(shape: [units]) : nil
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard !inputShape.isEmpty else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 1 or more")
        }
        return inputShape.dropLast() + [activation.outputWidth(for: units)]
    }

    public var weights: [Tensor<Scalar>] { (kernel.map { [$0] } ?? []) + (bias.map { [$0] } ?? []) }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let inputSize = kernel?.shape[0] ?? weights.first?.shape.first ?? 0
        try checkWeights(weights, expected: [[inputSize, units]] + (useBias ? [[units]] : []))
        kernel = weights[0]
        bias = useBias ? weights[1] : nil
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try activation.apply(to: logits(input)), mask: mask)
    }

    /// `x @ kernel + bias`, before the activation.
    func logits(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try build(inputShape: optionalShape(input.shape))
        guard let kernel else { return input }
        var output = try input.matmul(kernel)
        if let bias {
            output.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] += bias.scalars[i % units] }
            }
        }
        return output
    }
}

extension Dense {
    public var stepScope: StepScope { .eachStep }
}
