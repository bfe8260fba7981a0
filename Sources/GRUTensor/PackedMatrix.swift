/// A right-hand matrix packed once for many products (when the scalar type has a
/// packed kernel; otherwise products read the matrix as it is).
package final class PackedMatrix<Scalar: TensorScalar>: @unchecked Sendable {
    private let source: UnsafePointer<Scalar>
    private let ldb: Int
    private let k: Int
    private let n: Int
    private let packed: UnsafeMutablePointer<Scalar>?

    /// Packs the `k x n` matrix at `source` (rows `ldb` apart). `source` must stay valid
    /// while the packed matrix is used.
    package init(_ source: UnsafePointer<Scalar>, k: Int, n: Int, ldb: Int) {
        self.source = source
        self.k = k
        self.n = n
        self.ldb = ldb
        let size = Scalar.packedSize(k: k, n: n)
        if size > 0, let buffer: UnsafeMutablePointer<Scalar> = allocateMatrix(capacity: size) {
            Scalar.pack(transposeB: false, k: k, n: n, b: source, ldb: ldb, into: buffer)
            packed = buffer
        } else {
            packed = nil
        }
    }

    deinit {
        if let packed { deallocateMatrix(packed) }
    }

    /// Whether products of `rows` rows use a packed right-hand side: the kernels read it as
    /// it is stored for two to four rows, where packing would cost more than it saves.
    package static func isWorthPacking(rows: Int) -> Bool { rows > 4 || rows == 1 }

    /// `C = A * self + beta * C` for `m` rows of `A` (`lda` apart).
    package func multiply(_ a: UnsafePointer<Scalar>, rows m: Int, lda: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        if Self.isWorthPacking(rows: m), let packed {
            Scalar.gemmPacked(m: m, n: n, k: k, a: a, lda: lda, packed: packed, beta: beta, c: c, ldc: ldc)
        } else {
            Scalar.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: source, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}
