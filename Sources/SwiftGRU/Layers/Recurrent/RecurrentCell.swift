/// One step of a recurrent network: what the generic ``RNN`` layer runs at
/// every timestep (Keras' RNN cell protocol).
///
/// A cell keeps per-call data such as dropout masks between
/// ``beginSequence(batchSize:training:)`` and ``endSequence()``, so that the
/// same masks serve every step of one call.
public protocol RecurrentCell<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The cell's name (Keras' cells are layers with names: `gru_cell`).
    var name: String { get set }
    /// The size of each state tensor (one entry per state).
    var stateSize: [Int] { get }
    /// The size of each step's output.
    var outputSize: Int { get }
    /// Whether the weights exist.
    var isBuilt: Bool { get }
    /// The input size the cell was built for, once built.
    var inputSize: Int? { get }

    /// Creates the weights for steps of `inputSize` features.
    ///
    /// - Throws: ``LayerError`` when the size does not suit the cell.
    func build(inputSize: Int) throws

    /// The weights in Keras' order.
    var weights: [Tensor<Scalar>] { get }
    /// Replaces the weights, in Keras' order.
    ///
    /// - Throws: ``LayerError`` when the count or a shape does not fit.
    func setWeights(_ weights: [Tensor<Scalar>]) throws

    /// The states a sequence starts from when none are given (zeros by default).
    func initialState(batchSize: Int) -> [Tensor<Scalar>]

    /// Whether ``step(_:states:constants:training:)`` uses constants.
    var acceptsConstants: Bool { get }

    /// Prepares one call over a sequence (draws dropout masks in training).
    func beginSequence(batchSize: Int, training: Bool) throws
    /// Forgets the per-call data of ``beginSequence(batchSize:training:)``.
    func endSequence()

    /// Computes one step.
    ///
    /// - Parameters:
    ///   - input: `(batch, inputSize)`.
    ///   - states: One `(batch, size)` tensor per entry of ``stateSize``.
    ///   - constants: Tensors that are the same at every step (attention-style conditioning).
    /// - Returns: The step's output `(batch, outputSize)` and the new states.
    /// - Throws: ``LayerError`` for inputs the cell cannot take.
    func step(
        _ input: Tensor<Scalar>, states: [Tensor<Scalar>], constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>])

    /// Where the cell's random draws (dropout masks) stand; see ``Layer/randomState``.
    var randomState: [UInt64] { get }

    /// Puts back a ``randomState``, taking the cell's words from the front of `state`.
    ///
    /// - Throws: ``LayerError`` when `state` runs out or holds a position no generator reaches.
    func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws

    /// A new cell with the same configuration and freshly initialised weights
    /// (how ``Bidirectional`` makes its backward half).
    func makeCopy() throws -> any RecurrentCell<Scalar>
}

extension RecurrentCell {
    public func initialState(batchSize: Int) -> [Tensor<Scalar>] {
        stateSize.map { Tensor(zeros: [batchSize, $0]) }
    }

    public var acceptsConstants: Bool { false }

    public var randomState: [UInt64] { [] }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {}

    public func beginSequence(batchSize: Int, training: Bool) throws {}

    public func endSequence() {}
}
