import Testing

@testable import SwiftGRU

/// ConvLSTM1D/2D/3D beyond the Keras fixtures: the data formats agree, states carry over
/// stateful calls and come back in the layer's format, bad shapes are named.
@Suite("ConvLSTM")
struct ConvLSTMTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor<Double> { TrainingGradientTests.random(shape, seed: seed, scale: 0.5) }

    /// Steps `range` of a `(batch, steps, ...)` tensor.
    static func steps(_ x: Tensor<Double>, _ range: Range<Int>) throws -> Tensor<Double> {
        let batch = x.shape[0], steps = x.shape[1], frame = x.scalarCount / max(batch * steps, 1)
        var values = [Double]()
        for b in 0..<batch { values += x.scalars[((b * steps + range.lowerBound) * frame)..<((b * steps + range.upperBound) * frame)] }
        return try Tensor(shape: [batch, range.count] + x.shape.dropFirst(2), scalars: values)
    }

    /// The same weights in channels_first read the transposed frames and give the transposed
    /// outputs and states.
    @Test func channelsFirstIsTheTransposedComputation() throws {
        let last = try ConvLSTM2D<Double>(filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: .same, returnSequences: true, returnState: true)
        let first = try ConvLSTM2D<Double>(
            filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: .same, dataFormat: .channelsFirst, returnSequences: true, returnState: true)
        let x = Self.random([2, 3, 5, 4, 2], seed: 1)
        try last.build(inputShape: optionalShape(x.shape))
        let weights = last.weights.enumerated().map { Self.random($1.shape, seed: UInt64(10 + $0)) }
        try last.setWeights(weights)
        try first.setWeights(weights)
        let a = try last(x), b = try first(x.transposed([0, 1, 4, 2, 3]))
        #expect(a.output.shape == [2, 3, 3, 4, 3] && b.output.shape == [2, 3, 3, 3, 4])
        #expect(try b.output.transposed([0, 1, 3, 4, 2]).maxAbsoluteDifference(to: a.output) <= 1e-12)
        #expect(a.states.map(\.shape) == [[2, 3, 4, 3], [2, 3, 4, 3]])
        for (p, q) in zip(a.states, b.states) { #expect(try q.transposed([0, 2, 3, 1]).maxAbsoluteDifference(to: p) <= 1e-12) }
        #expect(try first.outputShapes(forInputShape: [nil, 3, 2, 5, 4]) == [[nil, 3, 3, 3, 4], [nil, 3, 3, 4], [nil, 3, 3, 4]])
    }

    /// Two stateful calls run as one call over both halves; an initial state given in the
    /// layer's format starts a call where the earlier one ended.
    @Test func statesCarryOver() throws {
        let x = Self.random([2, 4, 6, 2], seed: 2)
        let whole = try ConvLSTM1D<Double>(filters: 2, kernelSize: 3, padding: .same, returnSequences: true, returnState: true)
        let stateful = try ConvLSTM1D<Double>(filters: 2, kernelSize: 3, padding: .same, returnSequences: true, stateful: true)
        try whole.build(inputShape: optionalShape(x.shape))
        try stateful.build(inputShape: [2, 2, 6, 2])
        try stateful.setWeights(whole.weights)
        let expected = try whole(x)
        let first = try stateful(Self.steps(x, 0..<2)).output
        let second = try stateful(Self.steps(x, 2..<4)).output
        #expect(try Tensor.concatenate([first, second], alongAxis: 1).maxAbsoluteDifference(to: expected.output) <= 1e-12)
        let head = try whole(Self.steps(x, 0..<2))
        let tail = try whole(Self.steps(x, 2..<4), initialState: head.states)
        #expect(try tail.output.maxAbsoluteDifference(to: second) <= 1e-12)
        stateful.resetStates()
        #expect(try stateful(Self.steps(x, 0..<2)).output.maxAbsoluteDifference(to: first) <= 1e-12)
        #expect(throws: LayerError.self) { try stateful(Self.random([2, 2, 5, 2], seed: 3)) }
    }

    @Test func badShapesAreNamed() throws {
        let layer = try ConvLSTM2D<Double>(filters: 2, kernelSize: [3, 3])
        #expect { try layer(Self.random([2, 3, 4, 2], seed: 4)) } throws: { "\($0)".contains("rank 5") }
        #expect { try layer(Self.random([2, 3, 2, 2, 1], seed: 4)) } throws: { "\($0)".contains("leaves no output") }
        let built = try ConvLSTM1D<Double>(filters: 2, kernelSize: 2)
        _ = try built(Self.random([1, 2, 4, 3], seed: 5))
        #expect { try built(Self.random([1, 2, 4, 2], seed: 5)) } throws: { "\($0)".contains("built for 3 channels") }
        #expect(throws: LayerError.self) { try ConvLSTM2D<Double>(filters: 2, kernelSize: [3]) }
        #expect(throws: LayerError.self) { try ConvLSTM1D<Double>(filters: 2, kernelSize: 2, padding: .causal) }
        #expect(throws: LayerError.self) { try ConvLSTM1D<Double>(filters: 2, kernelSize: 2, strides: 2, dilationRate: 2) }
    }
}
