import Testing
@_spi(GRUKernels) import GRUTensor

/// The Float products run the C kernels (AVX-512 or AVX2 where the CPU has them); they must
/// match the portable reference product on shapes that hit every edge of their blocking.
@Suite("Float matrix kernels against the reference")
struct GEMMKernelTests {
    /// Rows around the 8-row tile, the 128-row block and the 256 rows up to which B is read
    /// unpacked, columns around the 48-column sliver, depths around the 512-deep panel.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 50, 7), (2, 17, 9), (3, 100, 33), (4, 48, 16), (5, 1, 3), (8, 48, 0), (9, 97, 64),
        (13, 96, 513), (129, 49, 40), (136, 144, 1030), (301, 53, 21),
    ]

    private func random(_ count: Int, _ rng: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in Float(rng.nextNormal()) }
    }

    private func reference(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
        b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int
    ) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                out[i * ldc + j] = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    private func expectClose(_ got: [Float], _ expected: [Double], k: Int, _ comment: Comment) {
        let tolerance = 1e-5 * Double(max(k, 1)).squareRoot() * 4
        let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= tolerance, comment)
    }

    /// Without scratch memory the kernels compute the same products (slowly), never leave C
    /// unwritten.
    @Test func productsWithoutScratchMemoryMatchReference() {
        withScratchAllocationsFailing {
            for transposes in [(false, false), (true, false), (false, true), (true, true)] {
                gemmMatchesReference(transposeA: transposes.0, transposeB: transposes.1)
            }
            packedProductsMatchReference()
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesReference(transposeA: Bool, transposeB: Bool) {
        var rng = RandomGenerator(seed: 5)
        for (m, n, k) in Self.shapes {
            for (alpha, beta): (Float, Float) in [(1, 0), (1, 1), (2, 0.5)] {
                // Leading dimensions wider than the matrices, so that strides are exercised.
                let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 5
                let a = random((transposeA ? k : m) * lda, &rng), b = random((transposeB ? n : k) * ldb, &rng)
                var c = random(m * ldc, &rng)
                let expected = reference(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                Float.gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
                expectClose(c, expected, k: k, "m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta)")
            }
        }
    }

    @Test func packedProductsMatchReference() {
        var rng = RandomGenerator(seed: 6)
        for (m, n, k) in Self.shapes {
            let ldb = n + 1, lda = k + 2, ldc = n + 3
            let a = random(m * lda, &rng), b = random(k * ldb, &rng), bias = random(n, &rng)
            var packed = [Float](repeating: .nan, count: max(1, Float.packedSize(k: k, n: n)))
            Float.pack(transposeB: false, k: k, n: n, b: b, ldb: ldb, into: &packed)
            let product = reference(
                transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: [Float](repeating: 0, count: m * ldc), ldc: ldc)
            for beta: Float in [0, 1] {
                var c = random(m * ldc, &rng)
                let expected = reference(
                    transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                Float.gemmPacked(m: m, n: n, k: k, a: a, lda: lda, packed: packed, beta: beta, c: &c, ldc: ldc)
                expectClose(c, expected, k: k, "packed m=\(m) n=\(n) k=\(k) beta=\(beta)")
            }
            for withBias in [false, true] {
                // C is only written: NaNs in it must not leak into the result.
                var c = [Float](repeating: .nan, count: m * ldc)
                Float.gemmPacked(m: m, n: n, k: k, a: a, lda: lda, packed: packed, bias: withBias ? bias : nil, c: &c, ldc: ldc)
                var expected = product
                for i in 0..<m {
                    for j in 0..<ldc { expected[i * ldc + j] = j < n ? product[i * ldc + j] + (withBias ? Double(bias[j]) : 0) : .nan }
                }
                let inside = (0..<(m * ldc)).filter { $0 % ldc < n }
                expectClose(inside.map { c[$0] }, inside.map { expected[$0] }, k: k, "packed with bias m=\(m) n=\(n) k=\(k)")
                #expect((0..<(m * ldc)).filter { $0 % ldc >= n }.allSatisfy { c[$0].isNaN }, "wrote past the columns")
            }
        }
    }
}
