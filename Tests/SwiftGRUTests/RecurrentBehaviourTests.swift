import Testing
import SwiftGRU

/// Behaviour beyond single calls: state carried between calls, custom cells,
/// constants, precision.
@Suite("Recurrent behaviour")
struct RecurrentBehaviourTests {
    static let x: Tensor<Float> = (try? Initializer.randomNormal(stddev: 1, seed: 21).makeTensor(shape: [2, 5, 3])) ?? Tensor(zeros: [2, 5, 3])

    static func seededGRU(stateful: Bool = false, returnState: Bool = false) throws -> GRU<Float> {
        try GRU<Float>(
            units: 4, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
            biasInitializer: .randomNormal(stddev: 0.3, seed: 3), returnState: returnState, stateful: stateful)
    }

    @Test func statefulCarriesTheStateLikeAnInitialState() throws {
        let stateful = try Self.seededGRU(stateful: true)
        let plain = try Self.seededGRU(returnState: true)
        let first = try plain(Self.x)
        _ = try stateful(Self.x)
        #expect(stateful.states?[0] == first.states[0])
        let second = try stateful(Self.x).output
        #expect(second == (try plain(Self.x, initialState: first.states).output))

        stateful.resetStates()
        #expect(stateful.states?[0].scalars.allSatisfy { $0 == 0 } == true)
        #expect(try stateful(Self.x).output == first.output)

        let chosen = try Tensor<Float>(shape: [2, 4], scalars: (0..<8).map { Float($0) / 10 })
        try stateful.resetStates(to: [chosen])
        #expect(try stateful(Self.x).output == (try plain(Self.x, initialState: [chosen]).output))
    }

    @Test func initialStateWinsOverStoredState() throws {
        let stateful = try Self.seededGRU(stateful: true)
        let plain = try Self.seededGRU()
        _ = try stateful(Self.x)
        let zeros = Tensor<Float>(zeros: [2, 4])
        #expect(try stateful(Self.x, initialState: [zeros]).output == (try plain(Self.x).output))
    }

    @Test func sequentialStatefulModelResets() throws {
        let model = try Sequential<Float>(inputShape: [5, 3], batchSize: 2, layers: [Self.seededGRU(stateful: true)])
        let first = try model(Self.x)
        #expect(try model(Self.x) != first)
        model.resetStates()
        #expect(try model(Self.x) == first)
    }

    @Test func doublePrecisionAgreesWithFloat() throws {
        let single = try Self.seededGRU()
        let double = try GRU<Double>(units: 4, returnSequences: false)
        _ = try single(Self.x)
        try double.setWeights(single.weights.map { Tensor<Double>($0) })
        let a = try single(Self.x).output
        let b = try double(Tensor<Double>(Self.x)).output
        #expect(try a.maxAbsoluteDifference(to: Tensor<Float>(b)) <= 1e-6)
    }

    @Test func rnnOverAGRUCellEqualsTheGRULayer() throws {
        let layer = try GRU<Float>(units: 4, returnSequences: true, goBackwards: true, resetAfter: false)
        let mask = try Tensor<Bool>(shape: [2, 5], scalars: [true, false, true, true, false, false, true, true, true, false])
        let expected = try layer(Self.x, mask: mask).output
        let generic = RNN<Float>(cell: layer.gruCell, returnSequences: true, goBackwards: true)
        #expect(try generic(Self.x, mask: mask).output.maxAbsoluteDifference(to: expected) <= 1e-6)
    }

    /// A cell that adds a per-call constant to a running sum: the attention-style
    /// conditioning the older R documentation describes.
    final class ConditionedSumCell: RecurrentCell {
        var name = "conditioned_sum_cell"
        typealias Scalar = Float
        let stateSize = [2]
        let outputSize = 2
        var isBuilt = false
        var inputSize: Int?
        func build(inputSize: Int) throws { self.inputSize = inputSize; isBuilt = true }
        var weights: [Tensor<Float>] { [] }
        func setWeights(_ weights: [Tensor<Float>]) throws {}
        var acceptsConstants: Bool { true }
        func step(_ input: Tensor<Float>, states: [Tensor<Float>], constants: [Tensor<Float>], training: Bool) throws -> (output: Tensor<Float>, states: [Tensor<Float>]) {
            let batch = input.shape[0]
            var next = states[0]
            next.withUnsafeMutableBufferPointer { h in
                for b in 0..<batch {
                    for j in 0..<2 { h[b * 2 + j] += input[b, 0] + (constants.first?[b, j] ?? 0) }
                }
            }
            return (next, [next])
        }
        func makeCopy() throws -> any RecurrentCell<Float> { ConditionedSumCell() }
    }

    @Test func customCellWithConstants() throws {
        let layer = RNN<Float>(cell: ConditionedSumCell(), returnSequences: true, returnState: true)
        let x = try Tensor<Float>(shape: [1, 3, 1], scalars: [1, 2, 3])
        let c = try Tensor<Float>(shape: [1, 2], scalars: [10, 100])
        let mask = try Tensor<Bool>(shape: [1, 3], scalars: [true, false, true])
        let result = try layer(x, mask: mask, constants: [c])
        #expect(result.output.scalars == [11, 101, 11, 101, 24, 204])
        #expect(result.states[0].scalars == [24, 204])
    }

    @Test func bidirectionalOverACustomCellUsesACopy() throws {
        let layer = try Bidirectional<Float>(RNN(cell: ConditionedSumCell(), returnSequences: true), mergeMode: .sum)
        let x = try Tensor<Float>(shape: [1, 3, 1], scalars: [1, 2, 3])
        // Forward sums 1, 3, 6; backward sums 3, 5, 6 flipped back to 6, 5, 3.
        #expect(try layer(x).output.scalars == [7, 7, 8, 8, 9, 9])
        #expect(layer.backwardLayer.goBackwards && layer.forwardLayer !== layer.backwardLayer)
    }

    @Test func outputShapesWithUnknownExtents() throws {
        let model = try Sequential<Float>(inputShape: [nil, 8], layers: [
            GRU<Float>(units: 6, returnSequences: true),
            Bidirectional(GRU<Float>(units: 4, returnSequences: true)),
            TimeDistributed(Dense<Float>(units: 3)),
            GRU<Float>(units: 2),
        ])
        #expect(model.outputShape == [nil, 2])
        #expect(model.layers.map(\.name) == ["gru", "bidirectional", "time_distributed", "gru_1"])
        let y = try model(Tensor(repeating: 0.1, shape: [3, 7, 8]))
        #expect(y.shape == [3, 2])
    }
}
