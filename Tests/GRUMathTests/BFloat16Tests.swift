import Testing
@testable import GRUMath
@testable import GRUTensor

/// bfloat16 products (``ComputePrecision/bfloat16``): the kernel sums bfloat16-rounded
/// products in float32, and a GRU in bfloat16 stays within bfloat16's rounding of float32.
@Suite("bfloat16 products", .enabled(if: ComputePrecision.isBFloat16Available, "this CPU has no AVX512_BF16"))
struct BFloat16Tests {
    /// Round to nearest even, as the kernel rounds.
    static func rounded(_ value: Float) -> Double {
        let bits = value.bitPattern
        return Double(Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000))
    }

    @Test(arguments: [(1, 7, 3), (5, 48, 16), (13, 100, 129), (64, 384, 512), (3, 1000, 37)])
    func productsAreThoseOfRoundedInputs(m: Int, n: Int, k: Int) throws {
        var rng = RandomGenerator(seed: UInt64(m * 7 + n))
        let a = (0..<(m * k)).map { _ in Float(rng.nextNormal()) }
        let b = (0..<(k * n)).map { _ in Float(rng.nextNormal()) }
        let bias = (0..<n).map { _ in Float(rng.nextNormal()) }
        var c = [Float](repeating: .nan, count: m * n)
        let matrix = try #require(b.withUnsafeBufferPointer { BFloat16Matrix($0.baseAddress!, k: k, n: n, ldb: n) })
        let done = a.withUnsafeBufferPointer { a in
            bias.withUnsafeBufferPointer { bias in
                c.withUnsafeMutableBufferPointer { c in
                    matrix.multiply(a.baseAddress!, rows: m, lda: k, bias: bias.baseAddress, into: c.baseAddress!, ldc: n)
                }
            }
        }
        #expect(done)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(bias[j]), scale = abs(Double(bias[j]))
                for p in 0..<k {
                    let term = Self.rounded(a[i * k + p]) * Self.rounded(b[p * n + j])
                    sum += term
                    scale += abs(term)
                }
                worst = max(worst, abs(Double(c[i * n + j]) - sum) / scale)
            }
        }
        // float32 sums of exact products: a few float32 roundings of the terms' magnitude.
        #expect(worst < 1e-6, "relative error \(worst)")
    }

    /// The general product, each operand as stored or transposed, overwriting or adding to C,
    /// against float64 sums of the rounded operands.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func generalProductsAreThoseOfRoundedInputs(transposeA: Bool, transposeB: Bool) throws {
        let m = 37, n = 150, k = 301
        var rng = RandomGenerator(seed: transposeA ? 3 : 4)
        let a = (0..<(m * k)).map { _ in Float(rng.nextNormal()) }, b = (0..<(k * n)).map { _ in Float(rng.nextNormal()) }
        let start = (0..<(m * n)).map { _ in Float(rng.nextNormal()) }
        func at(_ values: [Float], _ row: Int, _ column: Int, transposed: Bool, columns: Int, rows: Int) -> Double {
            Self.rounded(transposed ? values[column * rows + row] : values[row * columns + column])
        }
        for accumulate in [false, true] {
            var c = start
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        Float.parallelGEMM(
                            precision: .bfloat16, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                            a: a.baseAddress!, lda: transposeA ? m : k, b: b.baseAddress!, ldb: transposeB ? k : n,
                            beta: accumulate ? 1 : 0, c: c.baseAddress!, ldc: n)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = accumulate ? Double(start[i * n + j]) : 0, scale = abs(sum)
                    for p in 0..<k {
                        let term = at(a, i, p, transposed: transposeA, columns: k, rows: m) * at(b, p, j, transposed: transposeB, columns: n, rows: k)
                        sum += term
                        scale += abs(term)
                    }
                    worst = max(worst, abs(Double(c[i * n + j]) - sum) / scale)
                }
            }
            #expect(worst < 1e-6, "accumulate \(accumulate): relative error \(worst)")
        }
    }

    /// Training in bfloat16: every gradient within bfloat16's rounding of float32's.
    @Test(arguments: [true, false])
    func gradientsStayNearFloat32(resetAfter: Bool) throws {
        let batch = 20, steps = 30, features = 24, units = 64
        var rng = RandomGenerator(seed: resetAfter ? 12 : 13)
        func random(_ shape: [Int], _ scale: Double) throws -> Tensor<Float> { try .random(shape, scale: scale, &rng) }
        let spec = GRUSpec(units: units, inputSize: features, resetAfter: resetAfter)
        var reduced = spec
        reduced.precision = .bfloat16
        let weights = try GRUWeights(
            spec: spec, kernel: random(spec.kernelShape, 0.2), recurrentKernel: random(spec.recurrentKernelShape, 0.12),
            bias: random(spec.biasShape ?? [], 0.3))
        let x = try random([batch, steps, features], 1), h0 = try random([batch, units], 0.5)
        let dY = try random([batch, steps, units], 1)
        let options = GRUSequenceOptions(returnSequences: true)
        func gradients(_ spec: GRUSpec) throws -> [Tensor<Float>] {
            let (_, tape) = try GRUSequence.forwardRecording(
                spec: spec, weights: weights, inputs: x, mask: nil, initialState: h0, dropout: .none, options: options)
            let g = try GRUSequence.backward(tape, weights: weights, outputGradient: dY, finalStateGradient: nil)
            return [g.inputs, g.initialState, g.kernel, g.recurrentKernel] + (g.bias.map { [$0] } ?? [])
        }
        for (full, bf16) in zip(try gradients(spec), try gradients(reduced)) {
            let scale = full.scalars.map(abs).max() ?? 0
            let difference = try bf16.maxAbsoluteDifference(to: full)
            #expect(difference > 0 && difference < 2e-2 * scale, "\(difference) of \(scale)")
        }
    }

    /// A GRU in bfloat16 against the same GRU in float32: within bfloat16's rounding, and
    /// right-padded batches still compact to the same bits.
    @Test func aGRUStaysNearFloat32AndCompactsExactly() throws {
        let batch = 24, steps = 60, features = 40, units = 96
        var rng = RandomGenerator(seed: 8)
        func random(_ shape: [Int], _ scale: Double) throws -> Tensor<Float> { try .random(shape, scale: scale, &rng) }
        let spec = GRUSpec(units: units, inputSize: features)
        var reduced = spec
        reduced.precision = .bfloat16
        let weights = try GRUWeights(
            spec: spec, kernel: random(spec.kernelShape, 0.15), recurrentKernel: random(spec.recurrentKernelShape, 0.1),
            bias: random([2, 3 * units], 0.3))
        let x = try random([batch, steps, features], 1)
        let h0 = try random([batch, units], 0.5)
        let lengths = (0..<batch).map { 6 + ($0 * 37) % (steps - 5) }
        let mask = try Tensor<Bool>(shape: [batch, steps], scalars: (0..<(batch * steps)).map { $0 % steps < lengths[$0 / steps] })
        let options = GRUSequenceOptions(returnSequences: true)
        func run(_ spec: GRUSpec) throws -> Tensor<Float> {
            try GRUSequence.forward(spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: .none, options: options).output
        }
        let full = try run(spec), bf16 = try run(reduced)
        let difference = try bf16.maxAbsoluteDifference(to: full)
        #expect(difference > 0 && difference < 2e-2, "bfloat16 against float32: \(difference)")
        let uncompacted = try GRUSequence.$compactsPaddedBatches.withValue(false) { try run(reduced) }
        #expect(uncompacted.scalars == bf16.scalars)
    }
}
