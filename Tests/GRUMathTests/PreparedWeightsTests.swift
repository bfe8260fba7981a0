import Testing
@testable import GRUMath
import GRUTensor

/// Calls share the packed forms of the weights they are given; a weight changed on a copy
/// must never be answered from the forms packed for the old value.
@Suite("Packed weights kept between calls")
struct PreparedWeightsTests {
    @Test(arguments: [1, 5])
    func changedWeightsArePackedAfresh(batch: Int) throws {
        let units = 128, features = 8, steps = 6
        var rng = RandomGenerator(seed: 41)
        func random(_ shape: [Int]) throws -> Tensor<Float> { try .random(shape, scale: 0.2, &rng) }
        let spec = GRUSpec(units: units, inputSize: features)
        let original = try GRUWeights(
            spec: spec, kernel: random(spec.kernelShape), recurrentKernel: random(spec.recurrentKernelShape), bias: random([2, 3 * units]))
        let x = try random([batch, steps, features]), h0 = try random([batch, units])
        func run(_ weights: GRUWeights<Float>) throws -> Tensor<Float> {
            try GRUSequence.forward(
                spec: spec, weights: weights, inputs: x, mask: nil, initialState: h0, dropout: .none,
                options: GRUSequenceOptions(returnSequences: true)).output
        }
        let before = try run(original)
        #expect(try run(original) == before)
        for change in 0..<3 {
            var changed = original
            switch change {
            case 0: changed.kernel = try random(spec.kernelShape)
            case 1: changed.recurrentKernel = try random(spec.recurrentKernelShape)
            default: changed.bias = try random([2, 3 * units])
            }
            let fresh = try GRUWeights(spec: spec, kernel: changed.kernel, recurrentKernel: changed.recurrentKernel, bias: changed.bias)
            #expect(try run(changed) == run(fresh), "weight \(change)")
            #expect(try run(changed) != before, "weight \(change)")
            #expect(try run(original) == before, "weight \(change): the original keeps its own forms")
        }
    }
}
