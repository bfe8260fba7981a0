import Testing
import GRUMath
import GRUTensor

/// Float runs the fused AVX-512 gate kernels (sigmoid gates, tanh candidate, both variants)
/// where the CPU has them; Double always runs the general code. Both must give the same numbers.
@Suite("Fused kernels against the general path")
struct FusedKernelTests {
    /// Both variants; batch sizes from one row up; 40 units end in a partial 16-lane vector.
    @Test(arguments: [true, false], [(1, false, false), (5, true, false), (11, false, true), (13, true, true)])
    func floatMatchesDouble(resetAfter: Bool, shape: (batch: Int, masked: Bool, goBackwards: Bool)) throws {
        let (batch, masked, goBackwards) = shape
        let steps = 6, features = 7, units = 40
        var rng = RandomGenerator(seed: 12)
        func random(_ shape: [Int]) throws -> Tensor<Double> { try .random(shape, scale: 0.5, &rng) }
        let spec = GRUSpec(units: units, inputSize: features, resetAfter: resetAfter)
        let kernel = try random(spec.kernelShape), recurrent = try random(spec.recurrentKernelShape)
        let bias = try random(resetAfter ? [2, 3 * units] : [3 * units])
        let x = try random([batch, steps, features]), h0 = try random([batch, units])
        let mask = masked ? try Tensor<Bool>(shape: [batch, steps], scalars: (0..<(batch * steps)).map { $0 % 4 != 1 }) : nil
        let options = GRUSequenceOptions(goBackwards: goBackwards, returnSequences: true)
        let g = try random([batch, steps, units]), gs = try random([batch, units])

        func run<S: TensorScalar>(_: S.Type) throws -> (Tensor<S>, GRUSequenceGradients<S>) {
            let weights = try GRUWeights(spec: spec, kernel: Tensor<S>(kernel), recurrentKernel: Tensor<S>(recurrent), bias: Tensor<S>(bias))
            let (output, tape) = try GRUSequence.forwardRecording(
                spec: spec, weights: weights, inputs: Tensor<S>(x), mask: mask, initialState: Tensor<S>(h0),
                dropout: .none, options: options)
            let gradients = try GRUSequence.backward(tape, weights: weights, outputGradient: Tensor<S>(g), finalStateGradient: Tensor<S>(gs))
            return (output.output, gradients)
        }
        let (single, singleGradients) = try run(Float.self)
        let (double, doubleGradients) = try run(Double.self)
        #expect(try single.maxAbsoluteDifference(to: Tensor<Float>(double)) <= 1e-5)
        for (a, b) in [(singleGradients.kernel, doubleGradients.kernel), (singleGradients.recurrentKernel, doubleGradients.recurrentKernel),
                       (singleGradients.inputs, doubleGradients.inputs), (singleGradients.initialState, doubleGradients.initialState)] {
            #expect(try a.maxAbsoluteDifference(to: Tensor<Float>(b)) <= 1e-4)
        }
        if let a = singleGradients.bias, let b = doubleGradients.bias {
            #expect(try a.maxAbsoluteDifference(to: Tensor<Float>(b)) <= 1e-4)
        }
    }
}
