import Testing
@_spi(GRUKernels) import GRUTensor

@Suite("Tensor")
struct TensorTests {
    static let t = (try? Tensor<Float>(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))) ?? Tensor(zeros: [0])

    @Test func shapeAndIndexing() throws {
        #expect(Self.t.rank == 3 && Self.t.scalarCount == 12)
        #expect(Self.t[1, 2, 1] == 11 && Self.t[0, 1, 0] == 2)
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: [-1, 2], scalars: []) }
    }

    @Test func reshapeTransposeReverse() throws {
        #expect(try Self.t.reshaped(to: [3, -1]).shape == [3, 4])
        #expect(throws: TensorError.self) { try Self.t.reshaped(to: [5, -1]) }
        let swapped = try Self.t.swappingLeadingAxes()
        #expect(swapped.shape == [3, 2, 2] && swapped[2, 1, 0] == Self.t[1, 2, 0])
        let permuted = try Self.t.transposed([2, 0, 1])
        #expect(permuted.shape == [2, 2, 3] && permuted[1, 0, 2] == Self.t[0, 2, 1])
        #expect(throws: TensorError.self) { try Self.t.transposed([0, 0, 1]) }
        let reversed = try Self.t.reversed(alongAxis: 1)
        #expect(reversed[0, 0, 1] == 5 && reversed[1, 2, 0] == 6)
        #expect(try reversed.reversed(alongAxis: 1) == Self.t)
    }

    @Test func concatenateAndSlice() throws {
        let joined = try Tensor.concatenate([Self.t, Self.t], alongAxis: 2)
        #expect(joined.shape == [2, 3, 4] && joined[1, 1, 3] == Self.t[1, 1, 1])
        #expect(throws: TensorError.self) { try Tensor.concatenate([Self.t, Tensor(zeros: [2, 2, 2])], alongAxis: 2) }
        let rows = try Self.t.slice(1..<2)
        #expect(rows.shape == [1, 3, 2] && rows.scalars.first == 6)
        #expect(throws: TensorError.self) { try Self.t.slice(1..<3) }
    }

    @Test func matmulMatchesNaiveProduct() throws {
        var rng = RandomGenerator(seed: 3)
        let a = try Tensor<Double>(shape: [2, 5, 7], scalars: (0..<70).map { _ in rng.nextNormal() })
        let b = try Tensor<Double>(shape: [7, 4], scalars: (0..<28).map { _ in rng.nextNormal() })
        let c = try a.matmul(b)
        #expect(c.shape == [2, 5, 4])
        for i in 0..<10 {
            for j in 0..<4 {
                var sum = 0.0
                for k in 0..<7 { sum += a.scalars[i * 7 + k] * b[k, j] }
                #expect(abs(c.scalars[i * 4 + j] - sum) < 1e-12)
            }
        }
        #expect(throws: TensorError.self) { try a.matmul(a) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmHandlesTransposesAndBeta(transposeA: Bool, transposeB: Bool) {
        var rng = RandomGenerator(seed: 11)
        let m = 3, n = 4, k = 5
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(k * n)).map { _ in rng.nextNormal() }
        var c = (0..<(m * n)).map { _ in rng.nextNormal() }
        let original = c
        func aAt(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * m + i] : a[i * k + p] }
        func bAt(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * k + p] : b[p * n + j] }
        Double.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 2,
            a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 0.5, c: &c, ldc: n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += aAt(i, p) * bAt(p, j) }
                #expect(abs(c[i * n + j] - (2 * sum + 0.5 * original[i * n + j])) < 1e-12)
            }
        }
    }

    @Test func randomGeneratorIsDeterministic() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
        var u = RandomGenerator(seed: 1)
        let samples = (0..<100_000).map { _ in u.nextNormal() }
        let mean = samples.reduce(0, +) / 1e5
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 1e5
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
    }
}

@Suite("Activations")
struct ActivationTests {
    @Test func namesAndAliases() throws {
        #expect(Activation(kerasName: "swish") == .silu)
        #expect(Activation(kerasName: "hard_swish") == .hardSilu)
        #expect(Activation(kerasName: nil) == .linear)
        #expect(Activation(kerasName: "None") == .linear)
        #expect(Activation(kerasName: "legacy_hard_sigmoid") == nil)
        for activation in Activation.allCases where activation != .legacyHardSigmoid {
            #expect(Activation(kerasName: activation.name) == activation)
        }
    }

    /// Values at -1.5 printed by Keras 3.15 (`keras.activations.get(name)` on float64;
    /// leaky_relu's slope is a float32 0.2 there).
    @Test func pointValues() {
        let x = -1.5
        let cases: [(Activation, Double)] = [
            (.sigmoid, 0.18242552380635632), (.hardSigmoid, 0.25), (.legacyHardSigmoid, 0.2),
            (.elu, -0.7768698398515702), (.selu, -1.3658143533672529), (.gelu, -0.10021080689063545),
            (.silu, -0.27363828570953447), (.softplus, 0.2014132779827524), (.softsign, -0.6),
            (.mish, -0.29809974216680674), (.logSigmoid, -1.7014132779827524), (.leakyRelu, -0.30000000447034836),
            (.hardSilu, -0.375), (.squareplus, 0.5), (.sparsePlus, 0), (.tanhShrink, -0.5948517463551336),
            (.softShrink, -1.0), (.hardShrink, -1.5), (.hardTanh, -1.0), (.celu, -0.7768698398515702),
        ]
        for (activation, expected) in cases {
            #expect(abs(activation.value(x) - expected) < 1e-8, "\(activation.name)(\(x))")
        }
    }

    @Test func rowwiseFunctions() throws {
        let row = try Tensor<Double>(shape: [1, 3], scalars: [1, 2, 3])
        let softmax = try Activation.softmax.apply(to: row)
        #expect(abs(softmax.scalars.reduce(0, +) - 1) < 1e-12 && abs(softmax.scalars[2] - 0.66524096) < 1e-8)
        let logSoftmax = try Activation.logSoftmax.apply(to: row)
        #expect(abs(logSoftmax.scalars[0] - -2.40760596) < 1e-8)
        let glu = try Activation.glu.apply(to: try Tensor<Double>(shape: [1, 4], scalars: [1, 2, 0, 100]))
        #expect(glu.shape == [1, 2] && abs(glu.scalars[0] - 0.5) < 1e-12 && abs(glu.scalars[1] - 2) < 1e-12)
        #expect(throws: TensorError.self) { try Activation.glu.apply(to: row) }
    }
}
