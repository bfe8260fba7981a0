import Testing
import GRUMath
import GRUTensor

/// The backward pass against central finite differences, in Double.
@Suite("GRU gradients")
struct GRUGradientTests {
    struct Setup: Sendable, CustomStringConvertible {
        var resetAfter = true
        var useBias = true
        var mask = false
        var goBackwards = false
        var returnSequences = true
        var zeroOutputForMask = false
        var timeMajor = false
        var inputMaskCount = 0
        var recurrentMasks = false
        var activation = Activation.tanh
        var recurrentActivation = Activation.sigmoid
        var description: String {
            "resetAfter \(resetAfter) bias \(useBias) mask \(mask) back \(goBackwards) seq \(returnSequences) zero \(zeroOutputForMask) timeMajor \(timeMajor) inputMasks \(inputMaskCount) recurrentMasks \(recurrentMasks) \(activation.name)/\(recurrentActivation.name)"
        }
    }

    static let setups: [Setup] = [
        Setup(), Setup(resetAfter: false), Setup(useBias: false), Setup(resetAfter: false, useBias: false),
        Setup(mask: true), Setup(resetAfter: false, mask: true, goBackwards: true),
        Setup(mask: true, returnSequences: false), Setup(mask: true, zeroOutputForMask: true),
        Setup(mask: true, goBackwards: true, returnSequences: false, zeroOutputForMask: true),
        Setup(timeMajor: true), Setup(resetAfter: false, mask: true, timeMajor: true),
        Setup(inputMaskCount: 1), Setup(inputMaskCount: 3, recurrentMasks: true),
        Setup(resetAfter: false, mask: true, inputMaskCount: 3, recurrentMasks: true),
        Setup(activation: .relu, recurrentActivation: .hardSigmoid), Setup(resetAfter: false, activation: .softsign, recurrentActivation: .softplus),
        Setup(activation: .softmax, recurrentActivation: .softmax), Setup(resetAfter: false, activation: .gelu, recurrentActivation: .silu),
        Setup(activation: .selu, recurrentActivation: .mish), Setup(activation: .logSoftmax, recurrentActivation: .sparsemax),
    ]

    @Test(arguments: setups)
    func matchesFiniteDifferences(setup: Setup) throws {
        let batch = 3, steps = 4, features = 3, units = 4
        var rng = RandomGenerator(seed: 17)
        func random(_ shape: [Int], scale: Double = 0.6) throws -> Tensor<Double> {
            try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextNormal() * scale })
        }
        let spec = GRUSpec(
            units: units, inputSize: features, activation: setup.activation,
            recurrentActivation: setup.recurrentActivation, useBias: setup.useBias, resetAfter: setup.resetAfter)
        var kernel = try random(spec.kernelShape)
        var recurrent = try random(spec.recurrentKernelShape)
        var bias = try spec.biasShape.map { try random($0) }
        var inputs = try random(setup.timeMajor ? [steps, batch, features] : [batch, steps, features])
        var initial = try random([batch, units])
        let mask = setup.mask ? try Tensor<Bool>(shape: [batch, steps], scalars: [true, false, true, true, false, false, true, true, true, true, true, false]) : nil
        func dropoutMask(_ shape: [Int]) throws -> Tensor<Double> {
            try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextUniform() < 0.3 ? 0 : 1 / 0.7 })
        }
        let dropout = GRUDropoutMasks(
            input: try (0..<setup.inputMaskCount).map { _ in try dropoutMask([batch, features]) },
            recurrent: setup.recurrentMasks ? try (0..<3).map { _ in try dropoutMask([batch, units]) } : [])
        let options = GRUSequenceOptions(
            goBackwards: setup.goBackwards, timeMajor: setup.timeMajor,
            zeroOutputForMask: setup.zeroOutputForMask, returnSequences: setup.returnSequences)
        let outputShape = setup.returnSequences ? (setup.timeMajor ? [steps, batch, units] : [batch, steps, units]) : [batch, units]
        let outputWeights = try random(outputShape, scale: 1)
        let stateWeights = try random([batch, units], scale: 1)

        func loss() throws -> Double {
            let weights = try GRUWeights(spec: spec, kernel: kernel, recurrentKernel: recurrent, bias: bias)
            let result = try GRUSequence.forward(
                spec: spec, weights: weights, inputs: inputs, mask: mask, initialState: initial, dropout: dropout, options: options)
            return zip(result.output.scalars, outputWeights.scalars).reduce(0) { $0 + $1.0 * $1.1 }
                + zip(result.finalState.scalars, stateWeights.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let weights = try GRUWeights(spec: spec, kernel: kernel, recurrentKernel: recurrent, bias: bias)
        let (_, tape) = try GRUSequence.forwardRecording(
            spec: spec, weights: weights, inputs: inputs, mask: mask, initialState: initial, dropout: dropout, options: options)
        let gradients = try GRUSequence.backward(tape, weights: weights, outputGradient: outputWeights, finalStateGradient: stateWeights)

        func check(_ name: String, _ analytic: Tensor<Double>, _ value: WritableKeyPath<Tensor<Double>, [Double]>? = nil, perturb: (Int, Double) -> Void) throws {
            for index in stride(from: 0, to: analytic.scalarCount, by: max(1, analytic.scalarCount / 23)) {
                let h = 1e-6
                perturb(index, h)
                let plus = try loss()
                perturb(index, -2 * h)
                let minus = try loss()
                perturb(index, h)
                let numeric = (plus - minus) / (2 * h)
                let error = abs(numeric - analytic.scalars[index])
                #expect(error <= 1e-6 * max(1, abs(numeric)), "\(name)[\(index)]: analytic \(analytic.scalars[index]) numeric \(numeric)")
            }
        }
        func nudge(_ tensor: inout Tensor<Double>, _ index: Int, _ delta: Double) {
            tensor.withUnsafeMutableBufferPointer { $0[index] += delta }
        }
        try check("kernel", gradients.kernel) { nudge(&kernel, $0, $1) }
        try check("recurrent kernel", gradients.recurrentKernel) { nudge(&recurrent, $0, $1) }
        if let dBias = gradients.bias {
            try check("bias", dBias) { i, d in if var b = bias { nudge(&b, i, d); bias = b } }
        }
        try check("inputs", gradients.inputs) { nudge(&inputs, $0, $1) }
        try check("initial state", gradients.initialState) { nudge(&initial, $0, $1) }
    }
}
