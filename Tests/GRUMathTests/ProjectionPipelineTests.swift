import Testing
import GRUMath
import GRUTensor

/// Long sequences with few batch rows compute their input projections on the second core,
/// a chunk of steps ahead of the recurrence. Input-dropout masks of ones turn that off
/// (the projections are then computed up front) without changing the math.
@Suite("Input projections pipelined with the recurrence")
struct ProjectionPipelineTests {
    @Test(arguments: [(false, false, false), (true, false, true), (false, true, true), (true, true, false)])
    func agreesWithUpFrontProjections(goBackwards: Bool, timeMajor: Bool, masked: Bool) throws {
        let batch = 3, steps = 75, features = 6, units = 20
        var rng = RandomGenerator(seed: 21)
        func random(_ shape: [Int]) throws -> Tensor<Float> { try .random(shape, scale: 0.5, &rng) }
        let spec = GRUSpec(units: units, inputSize: features)
        let weights = try GRUWeights(
            spec: spec, kernel: random(spec.kernelShape), recurrentKernel: random(spec.recurrentKernelShape), bias: random([2, 3 * units]))
        let x = try random(timeMajor ? [steps, batch, features] : [batch, steps, features])
        let mask = masked ? try Tensor<Bool>(shape: [batch, steps], scalars: (0..<(batch * steps)).map { $0 % 7 != 3 }) : nil
        let h0 = try random([batch, units])
        let options = GRUSequenceOptions(goBackwards: goBackwards, timeMajor: timeMajor, returnSequences: true)
        let pipelined = try GRUSequence.forward(
            spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: .none, options: options)
        let upFront = try GRUSequence.forward(
            spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0,
            dropout: GRUDropoutMasks(input: [Tensor(repeating: 1, shape: [batch, features])]), options: options)
        #expect(try pipelined.output.maxAbsoluteDifference(to: upFront.output) <= 1e-6)
        #expect(try pipelined.finalState.maxAbsoluteDifference(to: upFront.finalState) <= 1e-6)
    }
}
