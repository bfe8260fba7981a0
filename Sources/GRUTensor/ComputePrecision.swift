import CGRUKernels
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The precision of the GRU's matrix products, as Keras' `mixed_bfloat16` policy chooses it
/// for a whole program: float32 (the default, Keras-exact), or bfloat16 inputs with float32
/// sums, gates and states.
///
/// bfloat16 needs a CPU with AVX512_BF16 (``isBFloat16Available``); elsewhere products stay
/// float32. Weights are kept in float32 either way: only the packed copies a call multiplies
/// by are rounded.
public enum ComputePrecision: String, Sendable, Hashable, CaseIterable {
    case float32
    case bfloat16

    private static let setting = Mutex<ComputePrecision>(
        getenv("GRU_PRECISION").flatMap { Self(name: String(cString: $0)) } ?? .float32)

    /// The precision in force; starts as `GRU_PRECISION` (`float32` or `bfloat16`) or `.float32`.
    public static var current: ComputePrecision {
        get { setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    /// Reads `float32`/`fp32`/`f32` or `bfloat16`/`bf16`, in any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "float32", "fp32", "f32": self = .float32
        case "bfloat16", "bf16": self = .bfloat16
        default: return nil
        }
    }

    /// Whether this CPU computes bfloat16 products.
    public static var isBFloat16Available: Bool { gru_bf16_available() != 0 }

    /// The precision products of `Scalar` actually run in: bfloat16 only for `Float` on a CPU
    /// that has it.
    package func effective<Scalar: TensorScalar>(for _: Scalar.Type) -> ComputePrecision {
        self == .bfloat16 && Scalar.self == Float.self && Self.isBFloat16Available ? .bfloat16 : .float32
    }
}

/// A `k x n` float matrix packed once as bfloat16 for many products (``ComputePrecision/bfloat16``).
package final class BFloat16Matrix: @unchecked Sendable {
    private let k: Int
    private let n: Int
    private let packed: UnsafeMutablePointer<UInt16>

    /// Packs `b` (rows `ldb` apart); `nil` when the CPU has no bfloat16 products or memory is short.
    package init?(_ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int) {
        let size = gru_bf16_packed_size(k, n)
        guard gru_bf16_available() != 0, size > 0, let buffer: UnsafeMutablePointer<UInt16> = allocateMatrix(capacity: size) else {
            return nil
        }
        gru_bf16_pack_b(k, n, b, ldb, buffer)
        self.k = k
        self.n = n
        packed = buffer
    }

    deinit { deallocateMatrix(packed) }

    /// `c = a * self + bias`, or `c += a * self` when `accumulate`, for `m` rows of `a` (`lda`
    /// apart); `false`, with nothing written, when scratch memory cannot be had.
    package func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        gru_bf16_gemm_packed(m, n, k, a, lda, packed, bias, accumulate ? 1 : 0, c, ldc) != 0
    }
}
