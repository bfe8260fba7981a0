import RealModule

/// A floating-point type that tensors compute with: `Float` or `Double`.
///
/// The matrix kernel is a protocol requirement so that generic layer code
/// dispatches once per call into a loop specialised for the concrete type.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, Codable
where RawSignificand: FixedWidthInteger {
    /// The NumPy type string of this type (`"<f4"` or `"<f8"`).
    static var numpyDescriptor: String { get }

    /// Computes `C = alpha * op(A) * op(B) + beta * C` on row-major matrices.
    ///
    /// - Parameters:
    ///   - transposeA: Whether `op(A)` is `A` transposed; `A` is then stored `(k, m)`.
    ///   - transposeB: Whether `op(B)` is `B` transposed; `B` is then stored `(n, k)`.
    ///   - m: Rows of `op(A)` and of `C`.
    ///   - n: Columns of `op(B)` and of `C`.
    ///   - k: Columns of `op(A)`, rows of `op(B)`.
    ///   - lda: Distance between rows of `A` as stored.
    ///   - ldb: Distance between rows of `B` as stored.
    ///   - ldc: Distance between rows of `C`.
    static func gemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Self,
        a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self,
        c: UnsafeMutablePointer<Self>, ldc: Int
    )
}

extension Float: TensorScalar {
    public static var numpyDescriptor: String { "<f4" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        referenceGEMM(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: TensorScalar {
    public static var numpyDescriptor: String { "<f8" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        referenceGEMM(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
