/// The LSTM cell (Keras' `LSTMCell`): gates i, f, c, o in Keras' weight layout.
///
/// ```
/// i = σ(x·W_i + h·U_i + b_i)      f = σ(x·W_f + h·U_f + b_f)
/// c' = f ⊙ c + i ⊙ tanh(x·W_c + h·U_c + b_c)
/// o = σ(x·W_o + h·U_o + b_o)      h' = o ⊙ tanh(c')
/// ```
/// with `σ` the recurrent activation and `tanh` the activation. It runs inside ``RNN`` and
/// ``LSTM`` for prediction; training LSTMs is not written yet (refused with an error).
public final class LSTMCell<Scalar: TensorScalar>: RecurrentCell {
    public let units: Int
    public let activation: Activation
    public let recurrentActivation: Activation
    public let useBias: Bool
    /// Keras' `unit_forget_bias`: a fresh bias starts at 1 for the forget gate.
    public let unitForgetBias: Bool
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

    /// Creates an LSTM cell with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0` or a rate is outside `[0, 1)`.
    public init(
        units: Int, activation: Activation? = .tanh, recurrentActivation: Activation? = .sigmoid, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true, dropout: Double = 0,
        recurrentDropout: Double = 0, seed: UInt64? = nil
    ) throws {
        guard units > 0 else { throw LayerError(.invalidArgument, "LSTM: units must be a positive integer, got \(units)") }
        try checkRate(dropout, "dropout", layer: "LSTM")
        try checkRate(recurrentDropout, "recurrent_dropout", layer: "LSTM")
        for (argument, function) in [("activation", activation), ("recurrent_activation", recurrentActivation)] {
            if let function, !function.preservesWidth {
                throw LayerError(.invalidArgument, "LSTM: \(argument) '\(function.name)' changes the width of its input and cannot be used in an LSTM")
            }
        }
        self.units = units
        self.activation = activation ?? .linear
        self.recurrentActivation = recurrentActivation ?? .linear
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.unitForgetBias = unitForgetBias
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.seed = seed
    }

    public var stateSize: [Int] { [units, units] }
    public var outputSize: Int { units }
    public var isBuilt: Bool { kernel != nil }
    public var inputSize: Int? { kernel?.shape[0] }

    public func build(inputSize: Int) throws {
        guard inputSize > 0 else {
            throw LayerError(.invalidInputShape, "LSTM: the input feature size must be positive, got \(inputSize)")
        }
        kernel = try kernelInitializer.makeTensor(shape: [inputSize, 4 * units])
        recurrentKernel = try recurrentInitializer.makeTensor(shape: [units, 4 * units])
        guard useBias else { return }
        var initial: Tensor<Scalar> = try biasInitializer.makeTensor(shape: [4 * units])
        if unitForgetBias {
            initial.withUnsafeMutableBufferPointer { b in for j in units..<(2 * units) { b[j] = 1 } }
        }
        bias = initial
    }

    /// Kernel `(inputSize, 4 * units)`, recurrent kernel `(units, 4 * units)`, bias `(4 * units)`.
    public var weights: [Tensor<Scalar>] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard weights.count == (useBias ? 3 : 2), weights[0].rank == 2 else {
            throw LayerError(.invalidWeights, "LSTM expects \(useBias ? 3 : 2) weights (kernel, recurrent kernel\(useBias ? ", bias" : "")), got \(weights.map(\.shape))")
        }
        let features = weights[0].shape[0]
        let expected = [[features, 4 * units], [units, 4 * units]] + (useBias ? [[4 * units]] : [])
        if let inputSize, inputSize != features {
            throw LayerError(.invalidWeights, "LSTM kernel must have shape \([inputSize, 4 * units]), got \(weights[0].shape)")
        }
        guard weights.map(\.shape) == expected else {
            throw LayerError(.invalidWeights, "LSTM weights must have shapes \(expected), got \(weights.map(\.shape))")
        }
        kernel = weights[0]
        recurrentKernel = weights[1]
        bias = useBias ? weights[2] : nil
    }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        if training, dropout > 0 || recurrentDropout > 0 {
            throw LayerError(.unsupported, "LSTM: dropout in training is not written yet; LSTMs run for prediction")
        }
    }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        guard let kernel, let recurrentKernel else { throw LayerError(.invalidInputShape, "LSTMCell: not built") }
        let batch = input.shape.first ?? 0
        guard input.shape == [batch, kernel.shape[0]], states.count == 2,
              states.allSatisfy({ $0.shape == [batch, units] }) else {
            throw LayerError(.invalidInputShape, "LSTMCell: expects inputs (batch, \(kernel.shape[0])) and two states (batch, \(units)), got \(input.shape) and \(states.map(\.shape))")
        }
        do {
            var z = try input.matmul(kernel).combined(with: states[0].matmul(recurrentKernel), +)
            if let bias {
                let b = bias.scalars, width = 4 * units
                z.withUnsafeMutableBufferPointer { values in
                    for i in 0..<values.count { values[i] += b[i % width] }
                }
            }
            let u = units, width = 4 * units
            let values = z.scalars
            func gate(_ k: Int) -> [Scalar] {
                var out = [Scalar]()
                out.reserveCapacity(batch * u)
                for row in 0..<batch {
                    let start = row * width + k * u
                    out.append(contentsOf: values[start..<(start + u)])
                }
                return out
            }
            let i = try recurrentActivation.apply(to: Tensor(shape: [batch, u], scalars: gate(0)))
            let f = try recurrentActivation.apply(to: Tensor(shape: [batch, u], scalars: gate(1)))
            let candidate = try activation.apply(to: Tensor(shape: [batch, u], scalars: gate(2)))
            let o = try recurrentActivation.apply(to: Tensor(shape: [batch, u], scalars: gate(3)))
            let c = try f.combined(with: states[1], *).combined(with: i.combined(with: candidate, *), +)
            let h = try o.combined(with: activation.apply(to: c), *)
            return (h, [h, c])
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "LSTMCell: \(error.message)")
        }
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        try LSTMCell(
            units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, unitForgetBias: unitForgetBias, dropout: dropout,
            recurrentDropout: recurrentDropout, seed: seed)
    }
}
