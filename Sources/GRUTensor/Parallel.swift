import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(0) ... body(count - 1)` on the machine's cores and returns when all are done.
///
/// The body may write through pointers to disjoint memory; it is run
/// synchronously, so nothing it captures outlives the call.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendable(escaping)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}

/// How many workers to split work of `total` units over, given the least work worth a worker.
public func parallelWorkers(total: Int, minimumPerWorker: Int) -> Int {
    guard minimumPerWorker > 0 else { return activeCores }
    return Swift.max(1, Swift.min(activeCores, total / minimumPerWorker))
}

/// The number of cores work is split over.
public let activeCores: Int = Swift.max(1, sysconfCores())

private func sysconfCores() -> Int {
    #if canImport(Glibc)
    return Int(Glibc.sysconf(Int32(Glibc._SC_NPROCESSORS_ONLN)))
    #else
    return 1
    #endif
}

/// Carries a value that is used from several threads in a way the caller has
/// made safe (disjoint writes, or reads only).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}


extension TensorScalar {
    /// ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` with the columns of
    /// `C` split over the cores when the product is large enough to gain from it.
    public static func parallelGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        let workers = parallelWorkers(total: m * n * k, minimumPerWorker: 1 << 21)
        if workers > 1, !transposeA, m >= 16 * workers {
            // Split the rows of A and C.
            let chunk = (m + workers - 1) / workers
            parallelFor((m + chunk - 1) / chunk) { worker in
                let i0 = worker * chunk
                gemm(
                    transposeA: false, transposeB: transposeB, m: Swift.min(chunk, m - i0), n: n, k: k, alpha: alpha,
                    a: a + i0 * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + i0 * ldc, ldc: ldc)
            }
            return
        }
        // Split the columns of B and C, in multiples of 16.
        let chunk = Swift.max(16, ((n + workers - 1) / workers + 15) / 16 * 16)
        parallelFor((n + chunk - 1) / chunk) { worker in
            let j0 = worker * chunk, width = Swift.min(chunk, n - j0)
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: width, k: k, alpha: alpha,
                a: a, lda: lda, b: transposeB ? b + j0 * ldb : b + j0, ldb: ldb,
                beta: beta, c: c + j0, ldc: ldc)
        }
    }
}

/// A right-hand matrix packed once for many products (when the scalar type has a
/// packed kernel; otherwise products read the matrix as it is).
public final class PackedMatrix<Scalar: TensorScalar>: @unchecked Sendable {
    private let source: UnsafePointer<Scalar>
    private let ldb: Int
    private let k: Int
    private let n: Int
    private let packed: UnsafeMutablePointer<Scalar>?

    /// Packs the `k x n` matrix at `source` (rows `ldb` apart). `source` must stay valid
    /// while the packed matrix is used.
    public init(_ source: UnsafePointer<Scalar>, k: Int, n: Int, ldb: Int) {
        self.source = source
        self.k = k
        self.n = n
        self.ldb = ldb
        let size = Scalar.packedSize(k: k, n: n)
        if size > 0 {
            let buffer = UnsafeMutablePointer<Scalar>.allocate(capacity: size)
            Scalar.pack(transposeB: false, k: k, n: n, b: source, ldb: ldb, into: buffer)
            packed = buffer
        } else {
            packed = nil
        }
    }

    deinit { packed?.deallocate() }

    /// `C = A * self + beta * C` for `m` rows of `A` (`lda` apart).
    public func multiply(_ a: UnsafePointer<Scalar>, rows m: Int, lda: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        if m > 4 || m == 1, let packed {
            Scalar.gemmPacked(m: m, n: n, k: k, a: a, lda: lda, packed: packed, beta: beta, c: c, ldc: ldc)
        } else {
            Scalar.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: source, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}
