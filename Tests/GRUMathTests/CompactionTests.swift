import Testing
@testable import GRUMath
import GRUTensor

/// Right-padded batches skip the steps of sequences that have ended; the results must be
/// those of the loop that computes every row of every step, bit for bit.
@Suite("Variable-length batches compacted")
struct CompactionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var batch: Int, steps: Int, units: Int, features: Int
        var resetAfter = true, goBackwards = false, timeMajor = false, returnSequences = true, zeroOutputForMask = false
        /// Dropout masks: none, one input mask (`dropout` only), or three input and three
        /// recurrent masks (`recurrent_dropout`).
        var dropout = 0
        var testDescription: String { "\(batch)x\(steps)x\(features)->\(units) resetAfter \(resetAfter) back \(goBackwards) timeMajor \(timeMajor) seq \(returnSequences) zero \(zeroOutputForMask) dropout masks \(dropout == 0 ? "none" : dropout == 1 ? "input" : "input and recurrent")" }
    }

    static let cases: [Case] = [
        Case(batch: 32, steps: 40, units: 64, features: 16),
        Case(batch: 32, steps: 40, units: 64, features: 16, goBackwards: true),
        Case(batch: 33, steps: 70, units: 20, features: 6, resetAfter: false, goBackwards: true),
        Case(batch: 7, steps: 75, units: 130, features: 9, returnSequences: false),
        Case(batch: 5, steps: 5, units: 8, features: 3, zeroOutputForMask: true),
        Case(batch: 64, steps: 37, units: 128, features: 600, timeMajor: true),
        Case(batch: 12, steps: 49, units: 48, features: 4, resetAfter: false, timeMajor: true, zeroOutputForMask: true),
        Case(batch: 24, steps: 33, units: 40, features: 12, dropout: 1),
        Case(batch: 21, steps: 40, units: 32, features: 9, goBackwards: true, dropout: 2),
        Case(batch: 16, steps: 20, units: 24, features: 7, resetAfter: false, timeMajor: true, dropout: 2),
    ]

    /// A call of case `c`: random weights, inputs and initial state, and a right-padded mask
    /// with lengths from 0 to every step, ties included.
    struct Problem {
        var spec: GRUSpec, weights: GRUWeights<Float>, x: Tensor<Float>, mask: Tensor<Bool>, lengths: [Int]
        var h0: Tensor<Float>, options: GRUSequenceOptions, dropout: GRUDropoutMasks<Float>

        init(_ c: Case, activations: (Activation, Activation) = (.sigmoid, .tanh), rng: inout RandomGenerator) throws {
            func random(_ shape: [Int]) throws -> Tensor<Float> { try .random(shape, scale: 0.5, &rng) }
            spec = GRUSpec(
                units: c.units, inputSize: c.features, activation: activations.1, recurrentActivation: activations.0, resetAfter: c.resetAfter)
            weights = try GRUWeights(
                spec: spec, kernel: random(spec.kernelShape), recurrentKernel: random(spec.recurrentKernelShape),
                bias: random(c.resetAfter ? [2, 3 * c.units] : [3 * c.units]))
            x = try random(c.timeMajor ? [c.steps, c.batch, c.features] : [c.batch, c.steps, c.features])
            let lengths = (0..<c.batch).map { b in b == 1 ? 0 : b == 2 ? c.steps : (b * 7919) % (c.steps + 1) }
            self.lengths = lengths
            mask = try Tensor<Bool>(shape: [c.batch, c.steps], scalars: (0..<(c.batch * c.steps)).map { $0 % c.steps < lengths[$0 / c.steps] })
            h0 = try random([c.batch, c.units])
            options = GRUSequenceOptions(
                goBackwards: c.goBackwards, timeMajor: c.timeMajor, zeroOutputForMask: c.zeroOutputForMask, returnSequences: c.returnSequences)
            // Masks of 0 and 1 / (1 - 0.25), as Keras draws them.
            func dropoutMask(_ shape: [Int]) throws -> Tensor<Float> {
                try Tensor(shape: shape, scalars: random(shape).scalars.map { $0 > -0.15 ? 1 / 0.75 : 0 })
            }
            dropout = c.dropout == 0 ? .none
                : c.dropout == 1 ? GRUDropoutMasks(input: [try dropoutMask([c.batch, c.features])])
                : GRUDropoutMasks(
                    input: try (0..<3).map { _ in try dropoutMask([c.batch, c.features]) }, recurrent: try (0..<3).map { _ in try dropoutMask([c.batch, c.units]) })
        }
    }

    @Test(arguments: cases)
    func equalsTheUncompactedLoop(_ c: Case) throws {
        var rng = RandomGenerator(seed: UInt64(c.batch * 1000 + c.steps))
        let p = try Problem(c, rng: &rng)
        let (spec, weights, x, mask, h0, options, dropout) = (p.spec, p.weights, p.x, p.mask, p.h0, p.options, p.dropout)
        #expect(CompactedSequence<Float>.rightPaddedLengths(mask.scalars, batch: c.batch, steps: c.steps) == p.lengths)
        func run() throws -> GRUSequenceOutput<Float> {
            try GRUSequence.forward(spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: dropout, options: options)
        }
        let full = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run() }
        let compacted = try run()
        #expect(compacted.output.shape == full.output.shape)
        let outputDifference = try compacted.output.maxAbsoluteDifference(to: full.output)
        let stateDifference = try compacted.finalState.maxAbsoluteDifference(to: full.finalState)
        #expect(compacted.output.scalars == full.output.scalars, "outputs differ by \(outputDifference)")
        #expect(compacted.finalState.scalars == full.finalState.scalars, "states differ by \(stateDifference)")
    }

    /// Training: the compacted forward pass records the running rows only, and its backward
    /// pass sweeps only them; the gradients are those of the full loop, bit for bit.
    @Test(arguments: cases + [
        Case(batch: 40, steps: 30, units: 24, features: 10, resetAfter: false),
        Case(batch: 9, steps: 12, units: 16, features: 5, goBackwards: true, returnSequences: false, zeroOutputForMask: true),
    ])
    func trainingEqualsTheUncompactedLoop(_ c: Case) throws {
        for activations in [(Activation.sigmoid, Activation.tanh), (.hardSigmoid, .relu)] {
            var rng = RandomGenerator(seed: UInt64(c.batch * 1000 + c.steps + 7))
            let p = try Problem(c, activations: activations, rng: &rng)
            let (spec, weights, x, mask, h0, options, dropout) = (p.spec, p.weights, p.x, p.mask, p.h0, p.options, p.dropout)
            let outputShape = c.returnSequences ? (c.timeMajor ? [c.steps, c.batch, c.units] : [c.batch, c.steps, c.units]) : [c.batch, c.units]
            let dY = try Tensor<Float>.random(outputShape, scale: 0.5, &rng), dState = try Tensor<Float>.random([c.batch, c.units], scale: 0.5, &rng)
            func run() throws -> (GRUSequenceOutput<Float>, GRUSequenceGradients<Float>, compacted: Bool) {
                let (output, tape) = try GRUSequence.forwardRecording(
                    spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: dropout, options: options)
                let gradients = try GRUSequence.backward(tape, weights: weights, outputGradient: dY, finalStateGradient: dState)
                return (output, gradients, tape.compaction != nil)
            }
            let full = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run() }
            let compacted = try run()
            #expect(!full.compacted && compacted.compacted)
            #expect(compacted.0.output.scalars == full.0.output.scalars)
            #expect(compacted.0.finalState.scalars == full.0.finalState.scalars)
            let pairs: [(String, Tensor<Float>?, Tensor<Float>?)] = [
                ("inputs", compacted.1.inputs, full.1.inputs), ("initial state", compacted.1.initialState, full.1.initialState),
                ("kernel", compacted.1.kernel, full.1.kernel), ("recurrent kernel", compacted.1.recurrentKernel, full.1.recurrentKernel),
                ("bias", compacted.1.bias, full.1.bias),
            ]
            for (name, a, b) in pairs {
                let difference = try a.map { try $0.maxAbsoluteDifference(to: b!) } ?? 0
                let same = a?.scalars == b?.scalars
                #expect(same, "\(name) gradients differ by \(difference) (\(activations))")
            }
        }
    }

    /// Dropout masks of the wrong number or shape are refused by name, not read past their end.
    @Test func wrongDropoutMasksAreRefused() throws {
        var rng = RandomGenerator(seed: 3)
        let p = try Problem(Case(batch: 6, steps: 8, units: 4, features: 3), rng: &rng)
        let wrong: [GRUDropoutMasks<Float>] = [
            GRUDropoutMasks(input: [Tensor(repeating: 1, shape: [5, 3])]),
            GRUDropoutMasks(input: [Tensor(repeating: 1, shape: [6, 3]), Tensor(repeating: 1, shape: [6, 3])]),
            GRUDropoutMasks(recurrent: [Tensor(repeating: 1, shape: [6, 4])]),
            GRUDropoutMasks(recurrent: (0..<3).map { _ in Tensor(repeating: 1, shape: [6, 5]) }),
        ]
        for dropout in wrong {
            #expect(throws: TensorError.self) {
                try GRUSequence.forward(
                    spec: p.spec, weights: p.weights, inputs: p.x, mask: p.mask, initialState: p.h0, dropout: dropout, options: p.options)
            }
        }
    }

    @Test func otherMasksAreNotCompacted() {
        let steps = 4
        // A hole, leading padding, nothing shorter than the steps.
        #expect(CompactedSequence<Float>.rightPaddedLengths([true, false, true, false], batch: 1, steps: steps) == nil)
        #expect(CompactedSequence<Float>.rightPaddedLengths([false, true, true, true], batch: 1, steps: steps) == nil)
        #expect(CompactedSequence<Float>.rightPaddedLengths([true, true, true, true], batch: 1, steps: steps) == nil)
        #expect(CompactedSequence<Float>.rightPaddedLengths([true, true, false, false, false, false, false, false], batch: 2, steps: steps) == [2, 0])
    }
}
