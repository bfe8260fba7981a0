import GRUMath
@_spi(GRUKernels) import GRUTensor

/// Times cuDNN's GRU with the data already on the GPU, as PyTorch's `nn.GRU` benchmark
/// does: inference is one forward pass; training is a forward pass, the gradients of
/// `sum(final state)` and of every weight (the input gradient comes with them in cuDNN).
package enum CuDNNGRUBenchmark {
    /// The seconds of each timed run, after `warmUp` untimed ones.
    ///
    /// - Throws: ``GPUError`` when there is no GPU or a cuDNN call fails.
    /// - Parameters:
    ///   - padded: cuDNN's padded layout instead of the packed one the layers use (for
    ///     comparing the two).
    ///   - algorithm: cuDNN's algorithm; `nil` chooses as the layers do.
    package static func run(
        batch: Int, steps: Int, features: Int, units: Int, training: Bool, repeats: Int, warmUp: Int = 3,
        padded: Bool = false, algorithm: CuDNNAlgorithm? = nil
    ) throws -> [Double] {
        let backend = try CuDNNGRUBackend.shared.get()
        let libraries = backend.libraries
        let spec = GRUSpec(units: units, inputSize: features)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform(_ count: Int, _ scale: Float) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(seed >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }
        let scale = 1 / Float(units).squareRoot()
        let weights = try GRUWeights(
            spec: spec, kernel: Tensor(shape: spec.kernelShape, scalars: uniform(features * 3 * units, scale)),
            recurrentKernel: Tensor(shape: spec.recurrentKernelShape, scalars: uniform(units * 3 * units, scale)),
            bias: Tensor(shape: [2, 3 * units], scalars: uniform(6 * units, scale)))
        let device = try CuDNNGRUWeights(libraries, spec: spec, weights: weights)
        let rows = CuDNNRowOrder(lengths: [Int32](repeating: Int32(steps), count: batch), steps: steps)
        let call = padded || algorithm != nil
            ? try CuDNNGRUCall(device, rows: rows, algorithm: algorithm ?? .standard, padded: padded)
            : try backend.makeCall(
                device, rows: rows, algorithm: CuDNNGRUBackend.algorithm(batch: batch, units: units, equalLengths: true),
                training: training).call
        try call.input.upload(uniform(batch * steps * features, 1))
        try call.initialState.zero()
        let size = MemoryLayout<Float>.stride
        let work = try DeviceBuffer(libraries, bytes: max(call.spaceSizes(training: training).work, 1))
        let dy = try DeviceBuffer(libraries, bytes: batch * steps * units * size)
        try dy.zero()
        let dhy = try DeviceBuffer(libraries, copying: [Float](repeating: 1, count: batch * units))
        let dx = try DeviceBuffer(libraries, bytes: batch * steps * features * size)
        let dhx = try DeviceBuffer(libraries, bytes: batch * units * size)
        let dw = try DeviceBuffer(libraries, bytes: device.space.bytes)
        func once() throws {
            try call.forward(training: training, work: work)
            if training { try call.backward(dy: dy, dhy: dhy, dx: dx, dhx: dhx, dw: dw, work: work) }
            try libraries.check(cuda: libraries.api.cudaDeviceSynchronize(), "cudaDeviceSynchronize")
        }
        for _ in 0..<warmUp { try once() }
        let clock = ContinuousClock()
        var times = [Double]()
        for _ in 0..<repeats {
            let elapsed = try clock.measure { try once() }
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return times
    }
}
