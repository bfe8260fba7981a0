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
        var testDescription: String { "\(batch)x\(steps)x\(features)->\(units) resetAfter \(resetAfter) back \(goBackwards) timeMajor \(timeMajor) seq \(returnSequences) zero \(zeroOutputForMask)" }
    }

    static let cases: [Case] = [
        Case(batch: 32, steps: 40, units: 64, features: 16),
        Case(batch: 32, steps: 40, units: 64, features: 16, goBackwards: true),
        Case(batch: 33, steps: 70, units: 20, features: 6, resetAfter: false, goBackwards: true),
        Case(batch: 7, steps: 75, units: 130, features: 9, returnSequences: false),
        Case(batch: 5, steps: 5, units: 8, features: 3, zeroOutputForMask: true),
        Case(batch: 64, steps: 37, units: 128, features: 600, timeMajor: true),
        Case(batch: 12, steps: 49, units: 48, features: 4, resetAfter: false, timeMajor: true, zeroOutputForMask: true),
    ]

    @Test(arguments: cases)
    func equalsTheUncompactedLoop(_ c: Case) throws {
        var rng = RandomGenerator(seed: UInt64(c.batch * 1000 + c.steps))
        func random(_ shape: [Int]) throws -> Tensor<Float> { try .random(shape, scale: 0.5, &rng) }
        let spec = GRUSpec(units: c.units, inputSize: c.features, resetAfter: c.resetAfter)
        let weights = try GRUWeights(
            spec: spec, kernel: random(spec.kernelShape), recurrentKernel: random(spec.recurrentKernelShape),
            bias: random(c.resetAfter ? [2, 3 * c.units] : [3 * c.units]))
        let x = try random(c.timeMajor ? [c.steps, c.batch, c.features] : [c.batch, c.steps, c.features])
        // Lengths from 0 to every step, with ties.
        let lengths = (0..<c.batch).map { b in b == 1 ? 0 : b == 2 ? c.steps : (b * 7919) % (c.steps + 1) }
        let mask = try Tensor<Bool>(shape: [c.batch, c.steps], scalars: (0..<(c.batch * c.steps)).map { $0 % c.steps < lengths[$0 / c.steps] })
        #expect(CompactedSequence<Float>.rightPaddedLengths(mask.scalars, batch: c.batch, steps: c.steps) == lengths)
        let h0 = try random([c.batch, c.units])
        let options = GRUSequenceOptions(
            goBackwards: c.goBackwards, timeMajor: c.timeMajor, zeroOutputForMask: c.zeroOutputForMask, returnSequences: c.returnSequences)
        func run() throws -> GRUSequenceOutput<Float> {
            try GRUSequence.forward(spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: .none, options: options)
        }
        let full = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run() }
        let compacted = try run()
        #expect(compacted.output.shape == full.output.shape)
        let outputDifference = try compacted.output.maxAbsoluteDifference(to: full.output)
        let stateDifference = try compacted.finalState.maxAbsoluteDifference(to: full.finalState)
        #expect(compacted.output.scalars == full.output.scalars, "outputs differ by \(outputDifference)")
        #expect(compacted.finalState.scalars == full.finalState.scalars, "states differ by \(stateDifference)")
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
