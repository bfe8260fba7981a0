/// The fully connected recurrent cell (Keras' `SimpleRNNCell`):
/// `h' = activation(x·W + h·U + b)`. It runs inside ``RNN`` and ``SimpleRNN`` for
/// prediction; training it is not written yet (refused with an error).
public final class SimpleRNNCell<Scalar: TensorScalar>: RecurrentCell {
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    /// Fraction of the inputs dropped in training (training is not written yet).
    public let dropout: Double
    /// Fraction of the state dropped in training (training is not written yet).
    public let recurrentDropout: Double
    public let seed: UInt64?
    private var kernel: Tensor<Scalar>?
    private var recurrentKernel: Tensor<Scalar>?
    private var bias: Tensor<Scalar>?

    /// Creates a cell with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0`, a rate is outside `[0, 1)`, or the
    ///   activation changes the width of its input.
    public init(
        units: Int, activation: Activation? = .tanh, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil
    ) throws {
        guard units > 0 else { throw LayerError(.invalidArgument, "SimpleRNN: units must be a positive integer, got \(units)") }
        try checkRate(dropout, "dropout", layer: "SimpleRNN")
        try checkRate(recurrentDropout, "recurrent_dropout", layer: "SimpleRNN")
        if let activation, !activation.preservesWidth {
            throw LayerError(.invalidArgument, "SimpleRNN: activation '\(activation.name)' changes the width of its input")
        }
        self.units = units
        self.activation = activation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.seed = seed
    }

    public var stateSize: [Int] { [units] }
    public var outputSize: Int { units }
    public var isBuilt: Bool { kernel != nil }
    public var inputSize: Int? { kernel?.shape[0] }

    public func build(inputSize: Int) throws {
        guard inputSize > 0 else {
            throw LayerError(.invalidInputShape, "SimpleRNN: the input feature size must be positive, got \(inputSize)")
        }
        kernel = try kernelInitializer.makeTensor(shape: [inputSize, units])
        recurrentKernel = try recurrentInitializer.makeTensor(shape: [units, units])
        bias = useBias ? try biasInitializer.makeTensor(shape: [units]) : nil
    }

    /// Kernel `(inputSize, units)`, recurrent kernel `(units, units)`, bias `(units)`.
    public var weights: [Tensor<Scalar>] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard weights.count == (useBias ? 3 : 2), weights[0].rank == 2 else {
            throw LayerError(.invalidWeights, "SimpleRNN expects \(useBias ? 3 : 2) weights, got \(weights.map(\.shape))")
        }
        let features = weights[0].shape[0]
        let expected = [[features, units], [units, units]] + (useBias ? [[units]] : [])
        guard weights.map(\.shape) == expected, inputSize == nil || inputSize == features else {
            throw LayerError(.invalidWeights, "SimpleRNN weights must have shapes \(expected), got \(weights.map(\.shape))")
        }
        kernel = weights[0]
        recurrentKernel = weights[1]
        bias = useBias ? weights[2] : nil
    }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        if training, dropout > 0 || recurrentDropout > 0 {
            throw LayerError(.unsupported, "SimpleRNN: dropout in training is not written yet; SimpleRNNs run for prediction")
        }
    }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        guard let kernel, let recurrentKernel else { throw LayerError(.invalidInputShape, "SimpleRNNCell: not built") }
        let batch = input.shape.first ?? 0
        guard input.shape == [batch, kernel.shape[0]], states.count == 1, states[0].shape == [batch, units] else {
            throw LayerError(.invalidInputShape, "SimpleRNNCell: expects inputs (batch, \(kernel.shape[0])) and one state (batch, \(units)), got \(input.shape) and \(states.map(\.shape))")
        }
        do {
            var z = try input.matmul(kernel).combined(with: states[0].matmul(recurrentKernel), +)
            if let bias {
                let b = bias.scalars, u = units
                z.withUnsafeMutableBufferPointer { values in
                    for i in 0..<values.count { values[i] += b[i % u] }
                }
            }
            let h = try activation.apply(to: z)
            return (h, [h])
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "SimpleRNNCell: \(error.message)")
        }
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        try SimpleRNNCell(
            units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, dropout: dropout,
            recurrentDropout: recurrentDropout, seed: seed)
    }
}
