/// Runs a recurrent layer forwards and a copy backwards, and merges the two
/// (Keras' `Bidirectional`).
///
/// The backward half's sequence output is flipped back to input order before
/// merging. Both halves output zeros at masked steps when returning sequences,
/// as in Keras.
public final class Bidirectional<Scalar: TensorScalar>: Layer {
    /// How the two halves' outputs are combined.
    public enum MergeMode: String, Sendable, Hashable, CaseIterable {
        case concat, sum, mul, ave
    }

    /// The half that reads the sequence in the wrapped layer's direction.
    public let forwardLayer: RNN<Scalar>
    /// The half that reads it the other way.
    public let backwardLayer: RNN<Scalar>
    /// The merge mode; `nil` returns both outputs (Keras' `merge_mode = NULL`).
    public let mergeMode: MergeMode?
    public var name: String
    public var trainable: Bool {
        get { forwardLayer.trainable }
        set {
            forwardLayer.trainable = newValue
            backwardLayer.trainable = newValue
        }
    }
    /// Recorded calls: the two halves' main outputs (the backward one flipped back).
    var records: [(forward: Tensor<Scalar>, backward: Tensor<Scalar>, stateCounts: (Int, Int))] = []

    /// Wraps `layer`.
    ///
    /// - Parameters:
    ///   - layer: The forward half.
    ///   - mergeMode: Defaults to `.concat`; `nil` keeps both outputs.
    ///   - backwardLayer: The backward half; by default a copy of `layer` with the
    ///     opposite `goBackwards` and fresh weights.
    /// - Throws: ``LayerError`` when the halves read in the same direction or differ in
    ///   `returnSequences`, `returnState` or `stateful`.
    public init(
        _ layer: RNN<Scalar>, mergeMode: MergeMode? = .concat, backwardLayer: RNN<Scalar>? = nil,
        name: String? = nil
    ) throws {
        let backward = try backwardLayer ?? layer.makeReversedCopy()
        guard backward !== layer else {
            throw LayerError(.invalidArgument, "Bidirectional: the backward layer must be a different layer object")
        }
        guard backward.goBackwards != layer.goBackwards else {
            throw LayerError(.invalidArgument, "Bidirectional: the forward and backward layers must have opposite go_backwards values; both are \(layer.goBackwards)")
        }
        for (attribute, a, b) in [
            ("return_sequences", layer.returnSequences, backward.returnSequences),
            ("return_state", layer.returnState, backward.returnState),
            ("stateful", layer.stateful, backward.stateful),
        ] where a != b {
            throw LayerError(.invalidArgument, "Bidirectional: the forward and backward layers must have the same \(attribute); got \(a) and \(b)")
        }
        guard layer.timeMajor == backward.timeMajor else {
            throw LayerError(.invalidArgument, "Bidirectional: the forward and backward layers must agree on time_major")
        }
        self.forwardLayer = layer
        self.backwardLayer = backward
        self.mergeMode = mergeMode
        self.name = name ?? "bidirectional"
        layer.zeroOutputForMask = layer.returnSequences
        backward.zeroOutputForMask = backward.returnSequences
    }

    /// Whether the sequence of every step is returned.
    public var returnSequences: Bool { forwardLayer.returnSequences }
    /// Whether the final states are returned (forward states, then backward).
    public var returnState: Bool { forwardLayer.returnState }

    public var isBuilt: Bool { forwardLayer.isBuilt && backwardLayer.isBuilt }

    public func build(inputShape: [Int?]) throws {
        try forwardLayer.build(inputShape: inputShape)
        try backwardLayer.build(inputShape: inputShape)
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let forward = try forwardLayer.outputShape(forInputShape: inputShape)
        let backward = try backwardLayer.outputShape(forInputShape: inputShape)
        guard mergeMode == .concat else { return forward }
        return forward.dropLast() + [(forward.last ?? nil).flatMap { f in (backward.last ?? nil).map { f + $0 } }]
    }

    public func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]] {
        let forward = try forwardLayer.outputShapes(forInputShape: inputShape)
        let backward = try backwardLayer.outputShapes(forInputShape: inputShape)
        let states = Array(forward.dropFirst()) + Array(backward.dropFirst())
        guard mergeMode != nil else { return [forward[0], backward[0]] + states }
        return [try outputShape(forInputShape: inputShape)] + states
    }

    public var weights: [Tensor<Scalar>] { forwardLayer.weights + backwardLayer.weights }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let half = weights.count / 2
        guard weights.count % 2 == 0 else {
            throw LayerError(.invalidWeights, "Bidirectional '\(name)' expects an even number of weights (forward then backward), got \(weights.count)")
        }
        try forwardLayer.setWeights(Array(weights[..<half]))
        try backwardLayer.setWeights(Array(weights[half...]))
    }

    public var isStateful: Bool { forwardLayer.stateful }

    /// Zeroes the states of both halves when stateful.
    public func resetStates() {
        forwardLayer.resetStates()
        backwardLayer.resetStates()
    }

    public var randomState: [UInt64] { forwardLayer.randomState + backwardLayer.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        try forwardLayer.restoreRandomState(&state)
        try backwardLayer.restoreRandomState(&state)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward(input, mask: mask, initialState: [], training: training)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try callAsFunction(input, mask: mask, training: training, initialState: initialState.isEmpty ? nil : initialState)
        return LayerOutput(outputs: result.all, mask: returnSequences ? mask : nil)
    }

    /// Runs both halves and merges them.
    ///
    /// - Parameters:
    ///   - initialState: The forward states followed by the backward states.
    /// - Throws: ``LayerError`` for inputs, masks or states that do not fit.
    public func callAsFunction(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>? = nil, training: Bool = false,
        initialState: [Tensor<Scalar>]? = nil
    ) throws -> RecurrentOutput<Scalar> {
        var forwardState: [Tensor<Scalar>]?, backwardState: [Tensor<Scalar>]?
        if let initialState {
            guard initialState.count % 2 == 0 else {
                throw LayerError(.invalidInputShape, "Bidirectional '\(name)': initial_state must hold the forward states then the backward states; got \(initialState.count) tensors")
            }
            forwardState = Array(initialState[..<(initialState.count / 2)])
            backwardState = Array(initialState[(initialState.count / 2)...])
        }
        let (y, yBackward) = try halves(
            { try self.forwardLayer(inputs, mask: mask, training: training, initialState: forwardState) },
            { try self.backwardLayer(inputs, mask: mask, training: training, initialState: backwardState) })
        return try merge(y.output, yBackward.output, states: y.states + yBackward.states)
    }

    /// Runs the two halves: at once, each on half the threads, when the CPU computes them with
    /// two threads or more (each half's numbers do not depend on its threads); else one after
    /// the other.
    func halves<A, B>(_ forward: () throws -> A, _ backward: () throws -> B) throws -> (A, B) {
        let onDevice = [forwardLayer, backwardLayer].contains { ($0 as? GRU<Scalar>)?.deviceBackendOverride != nil }
            || (ComputeDevice.current != .cpu && ComputeDevice.gpuUnavailableReason == nil)
        guard ThreadCount.current > 1, !onDevice else { return (try forward(), try backward()) }
        return try concurrently(forward, backward)
    }

    /// Flips the backward half's sequence back and merges the two halves.
    func merge(_ forward: Tensor<Scalar>, _ backward: Tensor<Scalar>, states: [Tensor<Scalar>]) throws -> RecurrentOutput<Scalar> {
        let reversed = returnSequences ? try backward.reversed(alongAxis: timeAxis) : backward
        guard let mergeMode else {
            return RecurrentOutput(output: forward, states: states, backwardOutput: reversed)
        }
        let merged: Tensor<Scalar>
        switch mergeMode {
        case .concat: merged = try Tensor.concatenate([forward, reversed], alongAxis: forward.rank - 1)
        case .sum: merged = try forward.adding(reversed)
        case .mul: merged = try forward.combined(with: reversed, *)
        case .ave: merged = try forward.combined(with: reversed) { ($0 + $1) / 2 }
        }
        return RecurrentOutput(output: merged, states: states)
    }

    var timeAxis: Int { forwardLayer.timeMajor ? 0 : 1 }
}

extension Bidirectional {
    public var stepScope: StepScope { .acrossSteps("reads the sequence backwards too") }
}
