import Testing
@testable import GRUMath
@_spi(GRUKernels) import GRUTensor

/// One sequence (batch 1) with enough units runs each step on two cores, half of the units
/// each (Float with the fused gate kernels). It must agree with the general path, which
/// Double always takes, forward and backward.
@Suite("One sequence split by units over two cores")
struct UnitSplitTests {
    static let units = 144, features = 9, steps = 70  // two chunks of projections per half

    private func random(_ shape: [Int], _ rng: inout RandomGenerator) throws -> Tensor<Double> {
        try .random(shape, scale: 0.15, &rng)
    }

    @Test(arguments: [(false, false, false), (true, false, true), (false, true, true), (true, true, false)])
    func agreesWithGeneralPath(goBackwards: Bool, timeMajor: Bool, masked: Bool) throws {
        let (units, features, steps) = (Self.units, Self.features, Self.steps)
        var rng = RandomGenerator(seed: 31)
        let spec = GRUSpec(units: units, inputSize: features)
        let kernel = try random(spec.kernelShape, &rng), recurrent = try random(spec.recurrentKernelShape, &rng)
        let bias = try random([2, 3 * units], &rng)
        let x = try random(timeMajor ? [steps, 1, features] : [1, steps, features], &rng), h0 = try random([1, units], &rng)
        let mask = masked ? try Tensor<Bool>(shape: [1, steps], scalars: (0..<steps).map { $0 % 5 != 2 }) : nil
        let options = GRUSequenceOptions(goBackwards: goBackwards, timeMajor: timeMajor, zeroOutputForMask: masked, returnSequences: true)
        let g = try random(timeMajor ? [steps, 1, units] : [1, steps, units], &rng), gs = try random([1, units], &rng)
        #expect(UnitSplitSequence<Float>.applies(spec: spec, batch: 1, steps: steps, dropout: .none) == Float.hasFusedResetAfterGates)
        // A stream's one-step call is too little work to wake a second thread for.
        #expect(!UnitSplitSequence<Float>.applies(spec: spec, batch: 1, steps: 1, dropout: .none))

        func run<S: TensorScalar>(_: S.Type) throws -> (GRUSequenceOutput<S>, GRUSequenceGradients<S>) {
            let weights = try GRUWeights(spec: spec, kernel: Tensor<S>(kernel), recurrentKernel: Tensor<S>(recurrent), bias: Tensor<S>(bias))
            let (output, tape) = try GRUSequence.forwardRecording(
                spec: spec, weights: weights, inputs: Tensor<S>(x), mask: mask, initialState: Tensor<S>(h0),
                dropout: .none, options: options)
            let gradients = try GRUSequence.backward(tape, weights: weights, outputGradient: Tensor<S>(g), finalStateGradient: Tensor<S>(gs))
            return (output, gradients)
        }
        let (split, splitGradients) = try run(Float.self)
        let (general, generalGradients) = try run(Double.self)
        #expect(try split.output.maxAbsoluteDifference(to: Tensor<Float>(general.output)) <= 1e-5)
        #expect(try split.finalState.maxAbsoluteDifference(to: Tensor<Float>(general.finalState)) <= 1e-5)
        for (a, b) in [(splitGradients.kernel, generalGradients.kernel), (splitGradients.recurrentKernel, generalGradients.recurrentKernel),
                       (splitGradients.inputs, generalGradients.inputs), (splitGradients.initialState, generalGradients.initialState)] {
            // Float rounding allows 1e-5 of the largest gradient.
            let scale = Swift.max(1, b.scalars.map(abs).max() ?? 0)
            #expect(try a.maxAbsoluteDifference(to: Tensor<Float>(b)) <= Float(1e-5 * scale))
        }
    }

    /// When the second thread never comes, the first runs both halves after a short wait
    /// instead of waiting for ever.
    @Test func oneThreadRunsBothHalvesAlone() throws {
        guard Float.hasFusedResetAfterGates else { return }
        let (units, features, steps) = (Self.units, Self.features, Self.steps)
        var rng = RandomGenerator(seed: 32)
        let spec = GRUSpec(units: units, inputSize: features)
        let weights = try GRUWeights(
            spec: spec, kernel: Tensor<Float>(random(spec.kernelShape, &rng)),
            recurrentKernel: Tensor<Float>(random(spec.recurrentKernelShape, &rng)), bias: Tensor<Float>(random([2, 3 * units], &rng)))
        let x = try Tensor<Float>(random([1, steps, features], &rng)), h0 = try Tensor<Float>(random([1, units], &rng))
        let expected = try GRUSequence.forward(
            spec: spec, weights: weights, inputs: x, mask: nil, initialState: h0,
            dropout: GRUDropoutMasks(input: [Tensor(repeating: 1, shape: [1, features])]), options: GRUSequenceOptions())
        let sequence = h0.withUnsafeBufferPointer { UnitSplitSequence(halves: weights.prepared.unitHalves(spec, weights), steps: steps, initialState: $0.baseAddress!) }
        var output = [Float](repeating: 0, count: units)
        x.withUnsafeBufferPointer { inputs in
            output.withUnsafeMutableBufferPointer { out in
                sequence.work(
                    thread: 0, options: GRUSequenceOptions(), mask: nil,
                    buffers: .init(inputs: inputs.baseAddress!, output: out.baseAddress!, sequence: nil, previousStates: nil, records: nil))
            }
        }
        let state = Array(UnsafeBufferPointer(start: sequence.finalState, count: units))
        #expect(try Tensor(shape: [1, units], scalars: output).maxAbsoluteDifference(to: expected.output) <= 1e-6)
        #expect(try Tensor(shape: [1, units], scalars: state).maxAbsoluteDifference(to: expected.finalState) <= 1e-6)
    }
}
