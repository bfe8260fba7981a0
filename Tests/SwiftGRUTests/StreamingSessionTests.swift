import Foundation
import Testing
@testable import SwiftGRU

/// A model fed a step or a chunk at a time gives the outputs of the whole sequence, in every
/// chunking; the stream's state is a value that is copied, saved and reset per sample.
@Suite("Streaming")
struct StreamingSessionTests {
    /// Token ids with padding (0) at the start, in the middle and at the end of samples.
    static let tokens = (try? Tensor<Float>(shape: [3, 9], scalars: [
        0, 0, 3, 4, 1, 0, 2, 5, 6,
        7, 1, 2, 0, 0, 0, 3, 0, 0,
        1, 2, 3, 4, 5, 6, 7, 8, 9,
    ])) ?? Tensor(zeros: [3, 9])

    static func model(zeroOutputForMask: Bool) throws -> Sequential<Float> {
        let gru = try GRU<Float>(units: 4, returnSequences: true)
        gru.zeroOutputForMask = zeroOutputForMask
        let model = try Sequential<Float>(inputShape: [9], layers: [
            Embedding<Float>(inputDim: 10, outputDim: 3, maskZero: true),
            gru,
            LSTM<Float>(units: 3, returnSequences: true),
            TimeDistributed<Float>(Dense<Float>(units: 3, activation: .tanh)),
            RNN<Float>(cell: StackedRNNCells([try SimpleRNNCell<Float>(units: 2), try GRUCell<Float>(units: 2, resetAfter: false)])),
            Dense<Float>(units: 2),
        ])
        _ = try model.predict([tokens], batchSize: nil)
        for (k, layer) in model.layers.enumerated() {
            try layer.setWeights(layer.weights.enumerated().map { i, w in
                var rng = RandomGenerator(seed: UInt64(10 * k + i))
                return try Tensor(shape: w.shape, scalars: (0..<w.scalarCount).map { _ in Float(rng.nextNormal() * 0.5) })
            })
        }
        return model
    }

    /// Random chunkings of the 9 steps: the last chunk's output is the whole sequence's, and a
    /// model that keeps the steps gives them chunk by chunk.
    @Test(arguments: [false, true])
    func anyChunkingGivesTheWholeSequence(zeroOutputForMask: Bool) throws {
        let model = try Self.model(zeroOutputForMask: zeroOutputForMask)
        let whole = try model.predict([Self.tokens], batchSize: nil)[0]
        let session = try StreamingSession(model: model)
        var rng = RandomGenerator(seed: 42)
        for _ in 0..<6 {
            var state = session.initialState(batchSize: 3)
            var start = 0, last = Tensor<Float>(zeros: [0])
            while start < 9 {
                let size = Swift.min(1 + Int(rng.next() % 4), 9 - start)
                let chunk = try Tensor<Float>(shape: [3, size], scalars: (0..<3).flatMap { b in Self.tokens.scalars[(b * 9 + start)..<(b * 9 + start + size)] })
                last = try session.predict([chunk], state: &state)[0]
                start += size
            }
            #expect(try last.maxAbsoluteDifference(to: whole) <= 1e-5)
        }
        // Without the last layers, the per-step outputs chunk by chunk.
        let steps = try Sequential<Float>(inputShape: [9], layers: Array(model.layers.prefix(4)))
        let sequence = try steps.predict([Self.tokens], batchSize: nil)[0]
        let stepSession = try StreamingSession(model: steps)
        var state = stepSession.initialState(batchSize: 3)
        var pieces = [Tensor<Float>]()
        for t in 0..<9 {
            let step = try Tensor<Float>(shape: [3, 1], scalars: (0..<3).map { Self.tokens.scalars[$0 * 9 + t] })
            pieces.append(try stepSession.predict([step], state: &state)[0])
        }
        let joined = try Tensor.concatenate(pieces, alongAxis: 1)
        #expect(try joined.maxAbsoluteDifference(to: sequence) <= 1e-5)
    }

    /// The state is a value: one sample's state taken out and put back, saved as JSON and read
    /// again, or reset to start that sample over, gives the same outputs as a fresh run.
    @Test func stateIsCopiedSavedAndResetPerSample() throws {
        let model = try Self.model(zeroOutputForMask: false)
        let session = try StreamingSession(model: model)
        let first = try Self.tokens.samples(in: 0..<3).reshaped(to: [3, 9])
        var state = session.initialState(batchSize: 3)
        _ = try session.predict([first.samples(at: [0, 1, 2]).reshapedColumns(0..<5)], state: &state)
        let saved = try JSONDecoder().decode(StreamState<Float>.self, from: JSONEncoder().encode(state))
        #expect(saved == state)
        let restacked = try StreamState(stacking: [state.sample(0), state.sample(1), state.sample(2)])
        #expect(restacked == state)
        var a = state, b = restacked
        let rest = try first.reshapedColumns(5..<9)
        #expect(try session.predict([rest], state: &a) == session.predict([rest], state: &b))
        // Resetting sample 2 runs it as a fresh stream of the remaining steps.
        var reset = state
        try reset.reset(sample: 2)
        var fresh = session.initialState(batchSize: 1)
        let resetOut = try session.predict([rest], state: &reset)[0]
        let freshOut = try session.predict([rest.samples(at: [2])], state: &fresh)[0]
        #expect(try resetOut.samples(at: [2]).maxAbsoluteDifference(to: freshOut) <= 1e-6)
        #expect(throws: LayerError.self) { try reset.reset(sample: 3) }
        #expect(throws: LayerError.self) { try session.predict([rest.samples(at: [0, 1])], state: &reset) }
    }

    /// A layer that reads other steps is refused by name.
    @Test func layersThatReadOtherStepsAreRefused() throws {
        let refused: [any Layer<Float>] = [
            try Bidirectional<Float>(try GRU<Float>(units: 2, returnSequences: true)),
            try GRU<Float>(units: 2, returnSequences: true, goBackwards: true),
            try Conv1D<Float>(filters: 2, kernelSize: 2),
        ]
        for layer in refused {
            let model = try Sequential<Float>(inputShape: [5, 3], layers: [layer, GRU<Float>(units: 2)])
            #expect(throws: LayerError.self) { try StreamingSession(model: model) }
        }
        let afterLast = try Sequential<Float>(inputShape: [5, 3], layers: [GRU<Float>(units: 2), RepeatVector<Float>(n: 3), GRU<Float>(units: 2)])
        #expect(throws: LayerError.self) { try StreamingSession(model: afterLast) }
    }
}

extension Tensor where Scalar == Float {
    /// The columns `range` of a `(batch, steps)` tensor.
    func reshapedColumns(_ range: Range<Int>) throws -> Tensor {
        let steps = shape[1]
        return try Tensor(shape: [shape[0], range.count], scalars: (0..<shape[0]).flatMap { b in scalars[(b * steps + range.lowerBound)..<(b * steps + range.upperBound)] })
    }
}
