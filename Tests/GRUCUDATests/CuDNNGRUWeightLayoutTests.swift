import GRUMath
import GRUTensor
import Testing

@testable import GRUCUDA

/// The conversion between Keras' GRU weights and cuDNN's weight space, checked on the CPU.
struct CuDNNGRUWeightLayoutTests {
    static func randomWeights(_ spec: GRUSpec, seed: UInt64) throws -> GRUWeights<Float> {
        var state = seed
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24) - 0.5
            }
        }
        return try GRUWeights(
            spec: spec, kernel: Tensor(shape: spec.kernelShape, scalars: values(spec.inputSize * 3 * spec.units)),
            recurrentKernel: Tensor(shape: spec.recurrentKernelShape, scalars: values(spec.units * 3 * spec.units)),
            bias: Tensor(shape: [2, 3 * spec.units], scalars: values(6 * spec.units)))
    }

    @Test(arguments: [(1, 1), (3, 5), (7, 2)])
    func packThenUnpackGivesKerasWeightsBack(units: Int, inputs: Int) throws {
        let spec = GRUSpec(units: units, inputSize: inputs)
        let weights = try Self.randomWeights(spec, seed: UInt64(units * 31 + inputs))
        let layout = CuDNNGRUWeightLayout.contiguous(spec)
        try layout.validate(spec)
        let space = try layout.pack(weights, spec: spec)
        #expect(space.count == 3 * units * (inputs + units) + 6 * units)
        let back = try layout.unpack(space, spec: spec)
        #expect(back.kernel == weights.kernel)
        #expect(back.recurrentKernel == weights.recurrentKernel)
        #expect(back.bias == weights.bias)
    }

    /// cuDNN's reset gate (linear layer 0) reads Keras' r columns, transposed; the update
    /// gate (1) the z columns; the recurrent layers (3...5) the recurrent kernel and bias row 1.
    @Test func gatesLandWhereCuDNNReadsThem() throws {
        let spec = GRUSpec(units: 2, inputSize: 3)
        let weights = try Self.randomWeights(spec, seed: 7)
        let layout = CuDNNGRUWeightLayout.contiguous(spec)
        let space = try layout.pack(weights, spec: spec)
        let k = weights.kernel.scalars, r = weights.recurrentKernel.scalars, b = try #require(weights.bias).scalars
        // Input matrix of the reset gate, row j (unit), column i (input feature).
        for j in 0..<2 {
            for i in 0..<3 {
                #expect(space[layout.matrices[0] + j * 3 + i] == k[i * 6 + 2 + j])
                #expect(space[layout.matrices[1] + j * 3 + i] == k[i * 6 + 0 + j])
                #expect(space[layout.matrices[2] + j * 3 + i] == k[i * 6 + 4 + j])
            }
            for i in 0..<2 { #expect(space[layout.matrices[4] + j * 2 + i] == r[i * 6 + 0 + j]) }
            #expect(space[layout.biases[0] + j] == b[2 + j])
            #expect(space[layout.biases[5] + j] == b[6 + 4 + j])
        }
    }

    @Test func overlappingLayoutIsRejected() throws {
        let spec = GRUSpec(units: 2, inputSize: 3)
        var layout = CuDNNGRUWeightLayout.contiguous(spec)
        layout.biases[1] = layout.biases[0]
        #expect(throws: GPUError.self) { try layout.validate(spec) }
        layout = CuDNNGRUWeightLayout.contiguous(spec)
        layout.count -= 1
        #expect(throws: GPUError.self) { try layout.validate(spec) }
    }

    @Test func noResetAfterBiasIsRejected() throws {
        let spec = GRUSpec(units: 2, inputSize: 3, useBias: false)
        let weights = try GRUWeights<Float>(
            spec: spec, kernel: Tensor(zeros: spec.kernelShape), recurrentKernel: Tensor(zeros: spec.recurrentKernelShape), bias: nil)
        #expect(throws: GPUError.self) { try CuDNNGRUWeightLayout.contiguous(spec).pack(weights, spec: spec) }
    }

    /// Without a GPU, the backend says why in words instead of failing later.
    @Test func missingGPUIsAnErrorWithAReason() {
        if case .failure(let error) = CuDNNGRUBackend.shared {
            #expect(!error.message.isEmpty)
        }
    }
}
