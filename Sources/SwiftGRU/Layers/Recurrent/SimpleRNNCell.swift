/// The fully connected recurrent cell (Keras' `SimpleRNNCell`):
/// `h' = activation(x·W + h·U + b)`. It runs inside ``RNN`` and ``SimpleRNN``, and trains
/// (dropout, recurrent dropout, regularizers and constraints included).
public final class SimpleRNNCell<Scalar: TensorScalar>: RecurrentCell {
    public var name = "simple_rnn_cell"
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
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

    /// Creates a cell with Keras' arguments and defaults.
    ///
    /// - Throws: ``LayerError`` when `units <= 0`, a rate is outside `[0, 1)`, or the
    ///   activation changes the width of its input.
    public init(
        units: Int, activation: Activation? = .tanh, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(), recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64? = nil
    ) throws {
        try WeightLimits.checkUnits(units, layer: "SimpleRNN")
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
        storage = GateWeights(units: units, gates: 1, layer: "SimpleRNN")
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    public var stateSize: [Int] { [units] }
    public var outputSize: Int { units }
    public var isBuilt: Bool { storage.isBuilt }
    public var inputSize: Int? { storage.inputSize }

    public func build(inputSize: Int) throws {
        try storage.build(
            inputSize: inputSize, kernel: kernelInitializer, recurrent: recurrentInitializer,
            bias: useBias ? biasInitializer : nil)
    }

    /// Kernel `(inputSize, units)`, recurrent kernel `(units, units)`, bias `(units)`.
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
        guard states.count == 1 else {
            throw LayerError(.invalidInputShape, "SimpleRNNCell: expects one state, got \(states.count)")
        }
        do {
            let h = try activation.apply(to: storage.preactivation(input, states[0]))
            return (h, [h])
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "SimpleRNNCell: \(error.message)")
        }
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        let copy = try SimpleRNNCell(
            units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
            kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
            dropout: dropout, recurrentDropout: recurrentDropout, seed: seed)
        copy.name = name
        return copy
    }
}
