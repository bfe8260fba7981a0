/// The LSTM cell (Keras' `LSTMCell`): gates i, f, c, o in Keras' weight layout.
///
/// ```
/// i = σ(x·W_i + h·U_i + b_i)      f = σ(x·W_f + h·U_f + b_f)
/// c' = f ⊙ c + i ⊙ tanh(x·W_c + h·U_c + b_c)
/// o = σ(x·W_o + h·U_o + b_o)      h' = o ⊙ tanh(c')
/// ```
/// with `σ` the recurrent activation and `tanh` the activation. It runs inside ``RNN`` and
/// ``LSTM``, and trains (dropout, recurrent dropout, regularizers and constraints included).
public final class LSTMCell<Scalar: TensorScalar>: RecurrentCell {
    public var name = "lstm_cell"
    public let units: Int
    public let activation: Activation
    public let recurrentActivation: Activation
    public let useBias: Bool
    /// Keras' `unit_forget_bias`: a fresh bias starts at 1 for the forget gate.
    public let unitForgetBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let recurrentRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let recurrentConstraint: Constraint?
    public let biasConstraint: Constraint?
    /// Fraction of the inputs dropped in training (one mask per sequence, as Keras 3).
    public let dropout: Double
    /// Fraction of the state dropped in training (one mask per sequence, as Keras 3).
    public let recurrentDropout: Double
    public let seed: UInt64?
    var storage: GateWeights<Scalar>
    var generator: RandomGenerator

    /// Creates an LSTM cell with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0` or a rate is outside `[0, 1)`.
    public init(
        units: Int, activation: Activation? = .tanh, recurrentActivation: Activation? = .sigmoid, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil
    ) throws {
        try WeightLimits.checkUnits(units, layer: "LSTM")
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
        self.kernelRegularizer = kernelRegularizer
        self.recurrentRegularizer = recurrentRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.recurrentConstraint = recurrentConstraint
        self.biasConstraint = biasConstraint
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.seed = seed
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
        storage = GateWeights(units: units, gates: 4, layer: "LSTM")
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    public var stateSize: [Int] { [units, units] }
    public var outputSize: Int { units }
    public var isBuilt: Bool { storage.isBuilt }
    public var inputSize: Int? { storage.inputSize }

    public func build(inputSize: Int) throws {
        try storage.build(
            inputSize: inputSize, kernel: kernelInitializer, recurrent: recurrentInitializer,
            bias: useBias ? biasInitializer : nil)
        if unitForgetBias {
            storage.bias?.withUnsafeMutableBufferPointer { b in for j in units..<(2 * units) { b[j] = 1 } }
        }
    }

    /// Kernel `(inputSize, 4 * units)`, recurrent kernel `(units, 4 * units)`, bias `(4 * units)`.
    public var weights: [Tensor<Scalar>] { storage.all }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try storage.set(weights, useBias: useBias) }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        storage.beginSequence(
            batchSize: batchSize, training: training, dropout: dropout, recurrentDropout: recurrentDropout, generator: &generator)
    }

    public func endSequence() { storage.dropoutMasks = [nil, nil] }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        guard states.count == 2 else {
            throw LayerError(.invalidInputShape, "LSTMCell: expects two states (h, c), got \(states.count)")
        }
        let batch = input.shape.first ?? 0
        let z = try storage.preactivation(input, states[0])
        guard states[1].shape == [batch, units] else {
            throw LayerError(.invalidInputShape, "LSTMCell: the carry state must have shape \([batch, units]), got \(states[1].shape)")
        }
        do {
            let (h, c) = try gates.forward(z, carry: states[1])
            return (h, [h, c])
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "LSTMCell: \(error.message)")
        }
    }

    var gates: LSTMGates<Scalar> { LSTMGates(units: units, activation: activation, recurrentActivation: recurrentActivation) }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        let copy = try LSTMCell(
            units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, unitForgetBias: unitForgetBias,
            kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
            kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
            dropout: dropout, recurrentDropout: recurrentDropout, seed: seed)
        copy.name = name
        return copy
    }
}
