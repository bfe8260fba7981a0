import GRUMath
import Testing

@testable import SwiftGRU

/// LSTM and SimpleRNN over masked batches compute, at each step, only the rows the mask keeps
/// (``GateSequence``, one cell or a stack); outputs, states and every gradient must be those of
/// computing every row and selecting, bit for bit, for any mask (right padding, holes), with
/// dropout, and for any number of threads, and those of stepping the cells with tensors up to
/// rounding.
@Suite("LSTM and SimpleRNN compacted")
struct CompactedStepTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var kind: String, batch: Int, steps: Int, features: Int, units: Int
        var returnSequences = true, goBackwards = false, timeMajor = false, zeroOutputForMask = false, returnState = false
        /// A mask with holes and left padding instead of right padding.
        var holes = false
        var dropout = 0.0, recurrentDropout = 0.0
        var activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid
        var testDescription: String {
            "\(kind) \(batch)x\(steps)x\(features)->\(units) seq \(returnSequences) back \(goBackwards) timeMajor \(timeMajor) zero \(zeroOutputForMask) state \(returnState) holes \(holes) dropout \(dropout)/\(recurrentDropout) \(activation.name)/\(recurrentActivation.name)"
        }
    }

    static let cases: [Case] = [
        Case(kind: "lstm", batch: 12, steps: 9, features: 5, units: 6),
        Case(kind: "lstm", batch: 7, steps: 11, features: 3, units: 4, returnSequences: false, goBackwards: true, returnState: true),
        Case(kind: "lstm", batch: 9, steps: 8, features: 4, units: 5, timeMajor: true, zeroOutputForMask: true),
        Case(kind: "simple_rnn", batch: 10, steps: 10, features: 6, units: 7),
        Case(kind: "simple_rnn", batch: 6, steps: 7, features: 2, units: 3, returnSequences: false, goBackwards: true, zeroOutputForMask: true),
        Case(kind: "lstm", batch: 11, steps: 7, features: 4, units: 5, holes: true, dropout: 0.3, recurrentDropout: 0.2),
        Case(kind: "lstm", batch: 40, steps: 6, features: 3, units: 9, returnSequences: false, returnState: true, dropout: 0.25,
             activation: .relu, recurrentActivation: .hardSigmoid),
        Case(kind: "lstm", batch: 8, steps: 5, features: 3, units: 4, timeMajor: true, holes: true, recurrentDropout: 0.4,
             activation: .softmax),
        Case(kind: "simple_rnn", batch: 33, steps: 8, features: 5, units: 6, goBackwards: true, holes: true, dropout: 0.2,
             recurrentDropout: 0.3, activation: .relu),
        Case(kind: "stack", batch: 9, steps: 6, features: 3, units: 4, holes: true, dropout: 0.2, recurrentDropout: 0.3),
        Case(kind: "stack", batch: 7, steps: 8, features: 2, units: 5, returnSequences: false, goBackwards: true,
             zeroOutputForMask: true, returnState: true),
        Case(kind: "stack", batch: 6, steps: 5, features: 4, units: 3, goBackwards: true, timeMajor: true, returnState: true,
             holes: true, activation: .relu),
        // Enough work for the rows to be split over threads.
        Case(kind: "lstm", batch: 130, steps: 4, features: 8, units: 96, holes: true, dropout: 0.2, recurrentDropout: 0.2),
    ]

    /// Configurations drawn from a fixed generator: every kind, one to nine rows, one to six
    /// steps, features and units, each flag and activation in turn.
    static let drawnCases: [Case] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw(_ count: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(count))
        }
        let kinds = ["lstm", "simple_rnn", "stack"]
        let functions: [Activation] = [.tanh, .sigmoid, .relu, .hardSigmoid, .linear, .elu, .softsign, .gelu]
        return (0..<24).map { _ in
            Case(
                kind: kinds[draw(3)], batch: 1 + draw(9), steps: 1 + draw(6), features: 1 + draw(6), units: 1 + draw(6),
                returnSequences: draw(2) == 0, goBackwards: draw(2) == 0, timeMajor: draw(2) == 0,
                zeroOutputForMask: draw(2) == 0, returnState: draw(2) == 0, holes: draw(2) == 0,
                dropout: [0, 0.3][draw(2)], recurrentDropout: [0, 0.25][draw(2)],
                activation: functions[draw(functions.count)], recurrentActivation: functions[draw(functions.count)])
        }
    }()

    func makeLayer(_ c: Case) throws -> RNN<Float> {
        if c.kind == "stack" {
            // An LSTM cell under a SimpleRNN cell, as `RNN(StackedRNNCells)`.
            let layer = try RNN<Float>(
                cells: [
                    try LSTMCell(
                        units: c.units, activation: c.activation, recurrentActivation: c.recurrentActivation,
                        kernelInitializer: .randomNormal(seed: 1), recurrentInitializer: .randomNormal(seed: 2),
                        biasInitializer: .randomNormal(seed: 3), dropout: c.dropout, recurrentDropout: c.recurrentDropout, seed: 5),
                    try SimpleRNNCell(
                        units: c.units + 1, activation: c.activation, kernelInitializer: .randomNormal(seed: 6),
                        recurrentInitializer: .randomNormal(seed: 7), biasInitializer: .randomNormal(seed: 8),
                        dropout: c.dropout, recurrentDropout: c.recurrentDropout, seed: 9),
                ],
                returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards, timeMajor: c.timeMajor)
            layer.zeroOutputForMask = c.zeroOutputForMask
            return layer
        }
        let layer: RNN<Float> = c.kind == "lstm"
            ? LSTM<Float>(
                cell: try LSTMCell(
                    units: c.units, activation: c.activation, recurrentActivation: c.recurrentActivation,
                    kernelInitializer: .randomNormal(seed: 1), recurrentInitializer: .randomNormal(seed: 2),
                    biasInitializer: .randomNormal(seed: 3), dropout: c.dropout, recurrentDropout: c.recurrentDropout, seed: 5),
                returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards, timeMajor: c.timeMajor)
            : SimpleRNN<Float>(
                cell: try SimpleRNNCell(
                    units: c.units, activation: c.activation, kernelInitializer: .randomNormal(seed: 1),
                    recurrentInitializer: .randomNormal(seed: 2), biasInitializer: .randomNormal(seed: 3),
                    dropout: c.dropout, recurrentDropout: c.recurrentDropout, seed: 5),
                returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards, timeMajor: c.timeMajor)
        layer.zeroOutputForMask = c.zeroOutputForMask
        return layer
    }

    /// The inference outputs, the recorded outputs, and the input and weight gradients of a
    /// fresh layer over the case's inputs and mask.
    func run(_ c: Case, _ makeLayer: (Case) throws -> RNN<Float>) throws -> (outputs: [[Float]], gradients: [[Float]], compacted: Bool) {
        let shape = c.timeMajor ? [c.steps, c.batch, c.features] : [c.batch, c.steps, c.features]
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 4).makeTensor(shape: shape)
        // Lengths from 0 to every step, with ties; at some steps fewer than five sequences run.
        let lengths = (0..<c.batch).map { b in b == 1 ? 0 : b == 2 ? c.steps : (b * 7919) % (c.steps + 1) }
        let mask = try Tensor<Bool>(shape: [c.batch, c.steps], scalars: (0..<(c.batch * c.steps)).map { i in
            c.holes ? (i * 2654435761) % 7 > 2 : i % c.steps < lengths[i / c.steps]
        })
            let layer = try makeLayer(c)
            try layer.build(inputShape: shape)
            let compacted = layer.gateSequences.map { $0.cells.allSatisfy { !$0.everyRow } } ?? false
            let inference = try layer.forward(x, mask: mask, training: false).outputs.map(\.scalars)
            // Cases returning their states start from given states too, whose gradients are compared.
            let initial = try c.returnState
                ? layer.cell.stateSize.enumerated().map { k, size in
                    try Initializer.randomNormal(stddev: 1, seed: UInt64(20 + k)).makeTensor(shape: [c.batch, size]) as Tensor<Float>
                }
                : []
            let recorded = try layer.forwardRecording(x, mask: mask, initialState: initial, training: true).outputs
            let upstream = try recorded.enumerated().map { k, output in
                try Initializer.randomNormal(stddev: 1, seed: UInt64(10 + k)).makeTensor(shape: output.shape) as Tensor<Float>
            }
            let gradients = try layer.backward(upstream)
            return (
                inference + recorded.map(\.scalars),
                [gradients.input?.scalars ?? []] + gradients.initialStates.map(\.scalars) + gradients.weights.map(\.scalars), compacted)
    }

    @Test(arguments: cases + drawnCases)
    func equalsSteppingEveryRow(_ c: Case) throws {
        let run = { try self.run(c, makeLayer) }
        let full = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run() }
        #expect(!full.compacted)
        for threads in [1, 3] {
            ThreadCount.current = threads
            defer { ThreadCount.reset() }
            let compacted = try run()
            #expect(compacted.compacted)
            for (k, (a, b)) in zip(compacted.outputs, full.outputs).enumerated() {
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "output \(k) differs with \(threads) threads")
            }
            for (k, (a, b)) in zip(compacted.gradients, full.gradients).enumerated() {
                let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "gradient \(k) differs by up to \(difference) with \(threads) threads")
            }
        }
    }

    /// The whole-sequence path against the cell stepped one step at a time (a stack of one
    /// cell), which computes each step with tensors: the same numbers up to rounding.
    @Test(arguments: cases + drawnCases)
    func equalsTheSteppedCell(_ c: Case) throws {
        let fused = try run(c, makeLayer), stepped = try WholeGateSequences.$areEnabled.withValue(false) { try run(c, makeLayer) }
        #expect(fused.compacted && !stepped.compacted)
        for (k, (a, b)) in (Array(zip(fused.outputs, stepped.outputs)) + Array(zip(fused.gradients, stepped.gradients))).enumerated() {
            #expect(a.count == b.count)
            let scale = b.map { abs($0) }.max() ?? 0
            let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5 * Swift.max(1, scale), "value \(k) differs by \(difference) (largest \(scale))")
        }
    }
}
