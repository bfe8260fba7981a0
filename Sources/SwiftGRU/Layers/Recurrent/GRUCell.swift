internal import GRUMath

/// The GRU cell (Keras' `GRUCell`): weights, dropout and one step of the recurrence.
///
/// Use it inside ``RNN`` or ``StackedRNNCells``; the ``GRU`` layer wraps one
/// and runs whole sequences on a faster path with the same results.
public final class GRUCell<Scalar: TensorScalar>: RecurrentCell {
    public var name = "gru_cell"
    /// The cell's arguments.
    public let configuration: Configuration

    /// Size of the state and of the output.
    public var units: Int { configuration.units }
    /// The candidate-state activation.
    public var activation: Activation { configuration.activation }
    /// The gate activation.
    public var recurrentActivation: Activation { configuration.recurrentActivation }
    /// Whether the cell has a bias.
    public var useBias: Bool { configuration.useBias }
    /// Whether the reset gate is applied after the recurrent product.
    public var resetAfter: Bool { configuration.resetAfter }
    public var kernelInitializer: Initializer { configuration.kernelInitializer }
    public var recurrentInitializer: Initializer { configuration.recurrentInitializer }
    public var biasInitializer: Initializer { configuration.biasInitializer }
    public var kernelRegularizer: Regularizer? { configuration.kernelRegularizer }
    public var recurrentRegularizer: Regularizer? { configuration.recurrentRegularizer }
    public var biasRegularizer: Regularizer? { configuration.biasRegularizer }
    public var kernelConstraint: Constraint? { configuration.kernelConstraint }
    public var recurrentConstraint: Constraint? { configuration.recurrentConstraint }
    public var biasConstraint: Constraint? { configuration.biasConstraint }
    /// Fraction of the inputs dropped in training.
    public var dropout: Double { configuration.dropout }
    /// Fraction of the state dropped in the recurrent products in training.
    public var recurrentDropout: Double { configuration.recurrentDropout }
    /// Seed of the dropout masks; `nil` draws one from `GlobalRandom`.
    public var seed: UInt64? { configuration.seed }

    /// The precision of this cell's products; `nil` (the default) follows
    /// `ComputePrecision/current`, as Keras layers follow the global dtype policy.
    public var precision: ComputePrecision?

    private var storage: GRUWeights<Scalar>?
    private var generator: RandomGenerator
    /// The masks of the call in progress.
    private(set) var dropoutMasks = GRUDropoutMasks<Scalar>.none

    /// Creates a GRU cell from its arguments.
    ///
    /// - Throws: ``LayerError`` when `units <= 0`, a rate is outside `[0, 1)`, or an
    ///   activation changes the width of its input (`glu`).
    public init(_ configuration: Configuration) throws {
        try configuration.validate()
        self.configuration = configuration
        self.generator = RandomGenerator(seed: configuration.seed ?? GlobalRandom.nextSeed())
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    /// Creates a GRU cell with Keras' arguments and defaults.
    ///
    /// - Parameters:
    ///   - activation: `nil` means linear, as Keras' `NULL`.
    ///   - recurrentActivation: `nil` means linear.
    /// - Throws: ``LayerError`` when `units <= 0`, a rate is outside `[0, 1)`, or an
    ///   activation changes the width of its input (`glu`).
    public convenience init(
        units: Int,
        activation: Activation? = .tanh,
        recurrentActivation: Activation? = .sigmoid,
        useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform(),
        recurrentInitializer: Initializer = .orthogonal(),
        biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil,
        recurrentRegularizer: Regularizer? = nil,
        biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil,
        recurrentConstraint: Constraint? = nil,
        biasConstraint: Constraint? = nil,
        dropout: Double = 0,
        recurrentDropout: Double = 0,
        seed: UInt64? = nil,
        resetAfter: Bool = true
    ) throws {
        try self.init(Configuration(
            units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernelRegularizer, recurrentRegularizer: recurrentRegularizer, biasRegularizer: biasRegularizer,
            kernelConstraint: kernelConstraint, recurrentConstraint: recurrentConstraint, biasConstraint: biasConstraint,
            dropout: dropout, recurrentDropout: recurrentDropout, seed: seed, resetAfter: resetAfter))
    }

    public var stateSize: [Int] { [units] }
    public var outputSize: Int { units }
    public var isBuilt: Bool { storage != nil }
    public var inputSize: Int? { storage?.kernel.shape[0] }

    /// The math's view of the cell for a given input size.
    func spec(inputSize: Int) -> GRUSpec {
        GRUSpec(
            units: units, inputSize: inputSize, activation: activation,
            recurrentActivation: recurrentActivation, useBias: useBias, resetAfter: resetAfter,
            precision: (precision ?? .current).effective(for: Scalar.self))
    }

    /// The cell's weights with its spec, once built.
    var parameters: (spec: GRUSpec, weights: GRUWeights<Scalar>)? {
        storage.map { (spec(inputSize: $0.kernel.shape[0]), $0) }
    }

    /// The input kernel `(inputSize, 3 * units)`, gates z, r, h; `nil` before the cell is built.
    public var kernel: Tensor<Scalar>? { storage?.kernel }
    /// The recurrent kernel `(units, 3 * units)`; `nil` before the cell is built.
    public var recurrentKernel: Tensor<Scalar>? { storage?.recurrentKernel }
    /// The bias, `(2, 3 * units)` with `resetAfter`, else `(3 * units)`; `nil` without a bias
    /// or before the cell is built.
    public var bias: Tensor<Scalar>? { storage?.bias }

    public func build(inputSize: Int) throws {
        guard inputSize > 0 else {
            throw LayerError(.invalidInputShape, "GRU: the input feature size must be positive, got \(inputSize)")
        }
        let spec = spec(inputSize: inputSize)
        storage = try GRUWeights(
            spec: spec,
            kernel: kernelInitializer.makeTensor(shape: spec.kernelShape),
            recurrentKernel: recurrentInitializer.makeTensor(shape: spec.recurrentKernelShape),
            bias: spec.biasShape.map { try biasInitializer.makeTensor(shape: $0) })
    }

    public var weights: [Tensor<Scalar>] {
        guard let storage else { return [] }
        return [storage.kernel, storage.recurrentKernel] + (storage.bias.map { [$0] } ?? [])
    }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let expected = useBias ? 3 : 2
        guard weights.count == expected else {
            throw LayerError(.invalidWeights, "GRU expects \(expected) weights (kernel, recurrent kernel\(useBias ? ", bias" : "")), got \(weights.count)")
        }
        guard weights[0].rank == 2 else {
            throw LayerError(.invalidWeights, "GRU kernel must have shape (input_size, \(3 * units)), got \(weights[0].shape)")
        }
        if let inputSize, weights[0].shape[0] != inputSize {
            throw LayerError(.invalidWeights, "GRU kernel must have shape \([inputSize, 3 * units]), got \(weights[0].shape)")
        }
        do {
            storage = try GRUWeights(
                spec: spec(inputSize: weights[0].shape[0]), kernel: weights[0],
                recurrentKernel: weights[1], bias: useBias ? weights[2] : nil)
        } catch let error as TensorError {
            throw LayerError(.invalidWeights, "GRU \(error.message)")
        }
    }

    public func beginSequence(batchSize: Int, training: Bool) throws {
        dropoutMasks = .none
        guard training, let inputSize else { return }
        let maskCount = recurrentDropout > 0 ? 3 : 1
        if dropout > 0 {
            dropoutMasks.input = (0..<maskCount).map { _ in
                dropoutMask(shape: [batchSize, inputSize], rate: dropout, generator: &generator)
            }
        }
        if recurrentDropout > 0 {
            dropoutMasks.recurrent = (0..<3).map { _ in
                dropoutMask(shape: [batchSize, units], rate: recurrentDropout, generator: &generator)
            }
        }
    }

    public func endSequence() { dropoutMasks = .none }

    public func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        if !isBuilt, input.rank == 2 { try build(inputSize: input.shape[1]) }
        guard let (spec, weights) = parameters else {
            throw LayerError(.invalidInputShape, "GRUCell: inputs must have shape (batch, features), got \(input.shape)")
        }
        let batch = input.shape.first ?? 0
        guard input.shape == [batch, spec.inputSize] else {
            throw LayerError(.invalidInputShape, "GRUCell: inputs must have shape (batch, \(spec.inputSize)), got \(input.shape)")
        }
        guard states.count == 1, states[0].shape == [batch, units] else {
            throw LayerError(.invalidInputShape, "GRUCell: expects one state of shape [\(batch), \(units)], got \(states.map(\.shape))")
        }
        guard batch > 0 else { return (input.map { _ in 0 }, states) }
        // Masks drawn for another batch size (a direct call outside an RNN) do not apply.
        let masks = dropoutMasks.input.first.map { $0.shape[0] == batch } ?? true ? dropoutMasks : .none
        let projected = input.withUnsafeBufferPointer { x in
            GRUStep.projectInputs(spec: spec, weights: weights, x: x, rows: batch, batchIndex: { $0 }, inputMasks: masks.input)
        }
        var next = Tensor<Scalar>(zeros: [batch, units])
        let kernel = masks.recurrent.isEmpty
            ? GRURecurrentKernel.prepared(spec: spec, weights: weights)
            : GRURecurrentKernel(spec: spec, weights: weights, perGate: true, rows: batch)
        let workspace = UnsafeMutablePointer<Scalar>.allocate(capacity: 4 * batch * units + masks.recurrent.count * batch * units)
        defer { workspace.deallocate() }
        let maskBase = workspace + 4 * batch * units
        for (g, mask) in masks.recurrent.enumerated() {
            mask.withUnsafeBufferPointer { if let base = $0.baseAddress { (maskBase + g * batch * units).update(from: base, count: batch * units) } }
        }
        projected.withUnsafeBufferPointer { p in
            states[0].withUnsafeBufferPointer { h in
                next.withUnsafeMutableBufferPointer { n in
                    GRUStep.forward(
                        spec: spec, batch: batch, projected: p.baseAddress!, projectedStride: 3 * units,
                        state: h.baseAddress!, recurrent: kernel,
                        recurrentMasks: masks.recurrent.isEmpty ? nil : UnsafePointer(maskBase), recurrentMaskStride: batch * units,
                        newState: n.baseAddress!, record: nil, recordStride: batch * units, workspace: workspace)
                }
            }
        }
        return (next, [next])
    }

    public func makeCopy() throws -> any RecurrentCell<Scalar> {
        let copy = try GRUCell(configuration)
        copy.name = name
        return copy
    }
}
