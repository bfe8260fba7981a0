import GRUMath
import Testing

@testable import SwiftGRU

/// LSTM and SimpleRNN over right-padded batches step only the sequences still running
/// (``RunningRows``); outputs, states and every gradient must be those of stepping every
/// row, bit for bit.
@Suite("LSTM and SimpleRNN compacted")
struct CompactedStepTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var kind: String, batch: Int, steps: Int, features: Int, units: Int
        var returnSequences = true, goBackwards = false, timeMajor = false, zeroOutputForMask = false, returnState = false
        var testDescription: String {
            "\(kind) \(batch)x\(steps)x\(features)->\(units) seq \(returnSequences) back \(goBackwards) timeMajor \(timeMajor) zero \(zeroOutputForMask) state \(returnState)"
        }
    }

    static let cases: [Case] = [
        Case(kind: "lstm", batch: 12, steps: 9, features: 5, units: 6),
        Case(kind: "lstm", batch: 7, steps: 11, features: 3, units: 4, returnSequences: false, goBackwards: true, returnState: true),
        Case(kind: "lstm", batch: 9, steps: 8, features: 4, units: 5, timeMajor: true, zeroOutputForMask: true),
        Case(kind: "simple_rnn", batch: 10, steps: 10, features: 6, units: 7),
        Case(kind: "simple_rnn", batch: 6, steps: 7, features: 2, units: 3, returnSequences: false, goBackwards: true, zeroOutputForMask: true),
    ]

    func makeLayer(_ c: Case) throws -> RNN<Float> {
        let layer: RNN<Float> = c.kind == "lstm"
            ? LSTM<Float>(
                cell: try LSTMCell(
                    units: c.units, kernelInitializer: .randomNormal(seed: 1), recurrentInitializer: .randomNormal(seed: 2),
                    biasInitializer: .randomNormal(seed: 3)),
                returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards, timeMajor: c.timeMajor)
            : try SimpleRNN<Float>(
                units: c.units, kernelInitializer: .randomNormal(seed: 1), recurrentInitializer: .randomNormal(seed: 2),
                biasInitializer: .randomNormal(seed: 3), returnSequences: c.returnSequences, returnState: c.returnState,
                goBackwards: c.goBackwards)
        layer.zeroOutputForMask = c.zeroOutputForMask
        return layer
    }

    @Test(arguments: cases)
    func equalsSteppingEveryRow(_ c: Case) throws {
        let shape = c.timeMajor ? [c.steps, c.batch, c.features] : [c.batch, c.steps, c.features]
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 4).makeTensor(shape: shape)
        // Lengths from 0 to every step, with ties; at some steps fewer than five sequences run.
        let lengths = (0..<c.batch).map { b in b == 1 ? 0 : b == 2 ? c.steps : (b * 7919) % (c.steps + 1) }
        let mask = try Tensor<Bool>(shape: [c.batch, c.steps], scalars: (0..<(c.batch * c.steps)).map { $0 % c.steps < lengths[$0 / c.steps] })
        func run() throws -> (outputs: [[Float]], gradients: [[Float]], compacted: Bool) {
            let layer = try makeLayer(c)
            try layer.build(inputShape: shape)
            let compacted = layer.gateSequence.map { !$0.everyRow } ?? false
            let inference = try layer.forward(x, mask: mask, training: false).outputs.map(\.scalars)
            let recorded = try layer.forwardRecording(x, mask: mask, initialState: [], training: true).outputs
            let upstream = try recorded.enumerated().map { k, output in
                try Initializer.randomNormal(stddev: 1, seed: UInt64(10 + k)).makeTensor(shape: output.shape) as Tensor<Float>
            }
            let gradients = try layer.backward(upstream)
            return (inference + recorded.map(\.scalars), [gradients.input?.scalars ?? []] + gradients.weights.map(\.scalars), compacted)
        }
        let full = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run() }
        let compacted = try run()
        #expect(!full.compacted && compacted.compacted)
        #expect(compacted.outputs == full.outputs)
        for (k, (a, b)) in zip(compacted.gradients, full.gradients).enumerated() {
            let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(a == b, "gradient \(k) differs by up to \(difference)")
        }
    }
}
