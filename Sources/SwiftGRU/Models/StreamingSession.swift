/// A model run a step or a chunk of steps at a time, for real-time use: the recurrent layers'
/// state of every sample lives in a ``StreamState`` that the caller keeps, copies, saves and
/// resets per sample, instead of inside the layers (Keras' `stateful`).
///
/// Feeding a sequence in any chunking gives the outputs of the whole sequence: a layer with
/// `returnSequences` gives each chunk's steps, a last one without gives the output after the
/// chunk's last step (the model's output had the sequence ended there). Masked steps keep the
/// state, as in Keras, across chunk boundaries too.
///
/// A model streams when every layer works step by step: recurrent layers reading forwards
/// (GRU, LSTM, SimpleRNN, RNN over their cells and stacks), and layers that act on each step
/// or sample alone (Dense, Embedding, Masking, TimeDistributed, activations, normalization
/// over features, dropout and noise, merges). A layer that reads other steps (Bidirectional,
/// `goBackwards`, convolutions, pooling over steps, attention) is refused by name.
///
/// ```swift
/// let session = try StreamingSession(model: model)
/// var state = session.initialState(batchSize: 1)
/// for chunk in chunks { let y = try session.predict([chunk], state: &state) }
/// ```
public final class StreamingSession<Scalar: TensorScalar> {
    public let model: any Model<Scalar>
    private let graph: ModelGraph<Scalar>
    /// The graph nodes that are recurrent layers, in order: one ``StreamState`` entry each.
    private let recurrentNodes: [Int]
    /// For each model output, whether it has a steps axis (one entry per step of a chunk) or
    /// is the output after the chunk's last step.
    public let outputsHaveSteps: [Bool]

    /// Prepares a model for streaming.
    ///
    /// - Throws: ``LayerError`` naming the first layer that cannot run a step at a time.
    public init(model: any Model<Scalar>) throws {
        self.model = model
        graph = try model.graph
        var hasSteps = [Functional<Scalar>.Source: Bool]()
        for index in graph.inputs.indices { hasSteps[.input(index)] = true }
        var recurrent = [Int]()
        for (index, node) in graph.nodes.enumerated() {
            guard node.initialState.isEmpty else {
                throw LayerError(.unsupported, "layer '\(node.layer.name)' starts from another layer's state, which a stream cannot give")
            }
            let steps = node.inputs.contains { hasSteps[$0] ?? false }
            let keepsSteps = try Self.check(node.layer, hasSteps: steps)
            if node.layer is RNN<Scalar> { recurrent.append(index) }
            for k in graph.nodeShapes[index].indices { hasSteps[.output(node: index, index: k)] = k == 0 && keepsSteps }
        }
        recurrentNodes = recurrent
        outputsHaveSteps = graph.outputs.map { hasSteps[$0] ?? false }
    }

    /// Checks that a layer can run on a chunk of steps, and says whether its main output still
    /// has a steps axis.
    private static func check(_ layer: any Layer<Scalar>, hasSteps: Bool) throws -> Bool {
        func refuse(_ why: String) -> LayerError {
            LayerError(.unsupported, "layer '\(layer.name)' (\(layer.typeName)) \(why), so the model cannot run a chunk of steps at a time")
        }
        switch layer.stepScope {
        case .recurrent:
            guard hasSteps else { throw refuse("has no steps to read after an earlier layer ended them") }
            guard let rnn = layer as? RNN<Scalar> else { throw refuse("keeps a state from step to step that a stream cannot carry") }
            return rnn.returnSequences
        case .eachStep:
            return hasSteps
        case .acrossSteps(let why):
            guard hasSteps else { return false }
            throw refuse(why)
        }
    }

    /// Fresh state for `batchSize` samples: every recurrent layer at zero, as at the start of a
    /// sequence.
    public func initialState(batchSize: Int) -> StreamState<Scalar> {
        StreamState(batchSize: batchSize, layers: recurrentNodes.map { index in
            let rnn = graph.nodes[index].layer as? RNN<Scalar>
            let sizes = rnn?.cell.stateSize ?? []
            return StreamState<Scalar>.LayerState(
                states: sizes.map { [Scalar](repeating: 0, count: batchSize * $0) }, sizes: sizes,
                previousOutput: [Scalar](repeating: 0, count: batchSize * (rnn?.cell.outputSize ?? 0)))
        })
    }

    /// Runs the next steps of every sample and moves `state` past them.
    ///
    /// - Parameters:
    ///   - inputs: One tensor per model input, `(batch, steps, ...)` (token ids for an
    ///     Embedding: `(batch, steps)`); any number of steps, one included.
    ///   - masks: Optional masks `(batch, steps)` per input: a `false` step keeps its sample's
    ///     state, as a padded step does in Keras.
    ///   - state: The samples' state, from ``initialState(batchSize:)`` or earlier calls.
    /// - Returns: The model's outputs for these steps.
    /// - Throws: ``LayerError`` for inputs or a state that do not fit the model.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func predict(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?] = [], state: inout StreamState<Scalar>) throws -> [Tensor<Scalar>] {
        guard inputs.count == graph.inputs.count else {
            throw LayerError(.invalidInputShape, "model '\(model.name)' takes \(graph.inputs.count) input(s), got \(inputs.count)")
        }
        guard inputs.allSatisfy({ $0.rank >= 2 && $0.shape[0] == state.batchSize }), state.layers.count == recurrentNodes.count else {
            throw LayerError(.invalidInputShape, "the stream holds \(state.batchSize) samples; inputs of shapes \(inputs.map(\.shape)) (batch, steps, ...) do not fit it")
        }
        var results = [LayerOutput<Scalar>]()
        var next = state
        func value(_ source: Functional<Scalar>.Source) -> (Tensor<Scalar>, Tensor<Bool>?) {
            switch source {
            case .input(let i): return (inputs[i], i < masks.count ? masks[i] : nil)
            case .output(let node, let index): return (results[node].outputs[index], index == 0 ? results[node].mask : nil)
            }
        }
        for (index, node) in graph.nodes.enumerated() {
            if let slot = recurrentNodes.firstIndex(of: index), let rnn = node.layer as? RNN<Scalar> {
                let (input, mask) = value(node.input)
                let (output, layerState) = try Self.run(rnn, input, mask: mask, state: next.layers[slot], batch: state.batchSize)
                next.layers[slot] = layerState
                results.append(output)
                continue
            }
            if !node.otherInputs.isEmpty {
                let values = node.inputs.map(value)
                results.append(try node.layer.forward(values.map { $0.0 }, masks: values.map { $0.1 }, training: false))
                continue
            }
            let (input, mask) = value(node.input)
            results.append(try node.layer.forward(input, mask: mask, training: false))
        }
        state = next
        return graph.outputs.map { value($0).0 }
    }

    /// One recurrent layer over a chunk from its kept state; steps masked at the start of the
    /// chunk give the output carried from before it, as they would in the whole sequence.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private static func run(
        _ rnn: RNN<Scalar>, _ input: Tensor<Scalar>, mask: Tensor<Bool>?, state: StreamState<Scalar>.LayerState, batch: Int
    ) throws -> (LayerOutput<Scalar>, StreamState<Scalar>.LayerState) {
        let start = try zip(state.states, state.sizes).map { try Tensor(shape: [batch, $1], scalars: $0) }
        let (output, finals) = try rnn.runChunk(input, mask: mask, initialState: start)
        var out = output
        let width = rnn.cell.outputSize, steps = input.shape[1]
        if let mask, !rnn.zeroOutputForMask {
            out.withUnsafeMutableBufferPointer { values in
                for b in 0..<batch {
                    if rnn.returnSequences {
                        for t in 0..<steps {
                            guard !mask.scalars[b * steps + t] else { break }
                            for j in 0..<width { values[(b * steps + t) * width + j] = state.previousOutput[b * width + j] }
                        }
                    } else if !(0..<steps).contains(where: { mask.scalars[b * steps + $0] }) {
                        // A sample whose every step is masked keeps the output it had.
                        for j in 0..<width { values[b * width + j] = state.previousOutput[b * width + j] }
                    }
                }
            }
        }
        var last = out
        if rnn.returnSequences {
            var values = [Scalar]()
            values.reserveCapacity(batch * width)
            for b in 0..<batch {
                let end = (b + 1) * steps * width
                values += out.scalars[(end - width)..<end]
            }
            last = try Tensor(shape: [batch, width], scalars: values)
        }
        let kept = StreamState<Scalar>.LayerState(states: finals.map { $0.scalars }, sizes: state.sizes, previousOutput: last.scalars)
        let outputs = [out] + (rnn.returnState ? finals : [])
        return (LayerOutput(outputs: outputs, mask: rnn.returnSequences ? mask : nil), kept)
    }
}

/// The recurrent state of every sample of a ``StreamingSession``: a value to keep between
/// calls, copy, save (it is `Codable`) and reset one sample at a time.
public struct StreamState<Scalar: TensorScalar>: Sendable, Equatable, Codable {
    /// One recurrent layer's state: its state tensors (row-major, `batch x size`), their
    /// sizes, and its last output (carried over masked steps).
    struct LayerState: Sendable, Equatable, Codable {
        var states: [[Scalar]]
        var sizes: [Int]
        var previousOutput: [Scalar]
    }

    /// The number of samples.
    public private(set) var batchSize: Int
    var layers: [LayerState]

    init(batchSize: Int, layers: [LayerState]) {
        self.batchSize = batchSize
        self.layers = layers
    }

    /// Puts one sample back at the start of a sequence (a new utterance on that stream).
    ///
    /// - Throws: ``LayerError`` when `sample` is out of range.
    public mutating func reset(sample: Int) throws {
        guard sample >= 0, sample < batchSize else { throw LayerError(.invalidArgument, "sample \(sample) is out of range 0..<\(batchSize)") }
        for k in layers.indices {
            for (s, size) in layers[k].sizes.enumerated() {
                for j in 0..<size { layers[k].states[s][sample * size + j] = 0 }
            }
            let width = layers[k].previousOutput.count / Swift.max(batchSize, 1)
            for j in 0..<width { layers[k].previousOutput[sample * width + j] = 0 }
        }
    }

    /// The state of one sample, as a stream of one.
    ///
    /// - Throws: ``LayerError`` when `sample` is out of range.
    public func sample(_ sample: Int) throws -> StreamState {
        guard sample >= 0, sample < batchSize else { throw LayerError(.invalidArgument, "sample \(sample) is out of range 0..<\(batchSize)") }
        return StreamState(batchSize: 1, layers: layers.map { layer in
            let width = layer.previousOutput.count / Swift.max(batchSize, 1)
            return LayerState(
                states: zip(layer.states, layer.sizes).map { Array($0[(sample * $1)..<((sample + 1) * $1)]) }, sizes: layer.sizes,
                previousOutput: Array(layer.previousOutput[(sample * width)..<((sample + 1) * width)]))
        })
    }

    /// The samples of several states side by side, in order (streams joining one batch).
    ///
    /// - Throws: ``LayerError`` when the states come from different models.
    public init(stacking states: [StreamState]) throws {
        guard let first = states.first,
              states.allSatisfy({ $0.layers.count == first.layers.count && zip($0.layers, first.layers).allSatisfy { $0.sizes == $1.sizes } }) else {
            throw LayerError(.invalidArgument, "stream states of different models cannot be stacked")
        }
        self.init(batchSize: states.reduce(0) { $0 + $1.batchSize }, layers: first.layers.indices.map { k in
            LayerState(
                states: first.layers[k].sizes.indices.map { s in states.flatMap { $0.layers[k].states[s] } }, sizes: first.layers[k].sizes,
                previousOutput: states.flatMap { $0.layers[k].previousOutput })
        })
    }
}
