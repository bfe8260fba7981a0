import CGRUKernels
import RealModule

/// A floating-point type that tensors compute with: `Float` or `Double`.
///
/// The kernels (matrix products, fused GRU gates) are protocol requirements so that generic
/// layer code dispatches once per call into a loop specialised for the concrete type; they
/// are the package's own (`@_spi(GRUKernels)`), not part of the public API.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, Codable
where RawSignificand: FixedWidthInteger {
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
    @_spi(GRUKernels) static func gemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Self,
        a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self,
        c: UnsafeMutablePointer<Self>, ldc: Int
    )

    /// The number of scalars a packed copy of a `(k, n)` right-hand matrix takes, or 0 when
    /// this type has no packed product (then ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` is used).
    @_spi(GRUKernels) static func packedSize(k: Int, n: Int) -> Int

    /// Packs `op(B)` (`k x n`) for ``gemmPacked(m:n:k:a:lda:packed:beta:c:ldc:)``.
    @_spi(GRUKernels) static func pack(transposeB: Bool, k: Int, n: Int, b: UnsafePointer<Self>, ldb: Int, into packed: UnsafeMutablePointer<Self>)

    /// `C = A * B + beta * C` with `B` packed by ``pack(transposeB:k:n:b:ldb:into:)``.
    @_spi(GRUKernels) static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `C = A * B + bias` with `B` packed by ``pack(transposeB:k:n:b:ldb:into:)``: the `n` values at
    /// `bias` are added to every row (none when `nil`), and `C` is only written, never read.
    @_spi(GRUKernels) static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>?, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// As ``gemmPacked(m:n:k:a:lda:packed:bias:c:ldc:)`` (or, with `accumulate`, `C += A * B`,
    /// the bias unused) with every row on the same kernel whatever `m`, so that a row's values
    /// do not depend on how many rows come with it.
    @_spi(GRUKernels) static func gemmPackedEveryRow(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>?, accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// Whether ``fusedResetAfterGates(rows:units:hm:x:xStride:state:output:record:recordStride:recordBlocks:)``
    /// runs on this machine for this type.
    @_spi(GRUKernels) static var hasFusedResetAfterGates: Bool { get }

    /// The fused gates of reset-after GRU rows with sigmoid gates and a tanh candidate
    /// (see `gru_gates_reset_after`); returns `false` when this type has no fused kernel.
    @_spi(GRUKernels) static func fusedResetAfterGates(
        rows: Int, units: Int, hm: UnsafePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>, output: UnsafeMutablePointer<Self>,
        record: UnsafeMutablePointer<Self>?, recordStride: Int, recordBlocks: (z: Int, r: Int, candidate: Int, auxiliary: Int)
    ) -> Bool

    /// The backward pass of ``fusedResetAfterGates(rows:units:hm:x:xStride:state:output:record:recordStride:recordBlocks:)``
    /// (see `gru_gates_reset_after_backward`); returns `false` when this type has no fused kernel.
    @_spi(GRUKernels) static func fusedResetAfterGatesBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Self>, state: UnsafePointer<Self>, z: UnsafePointer<Self>,
        r: UnsafePointer<Self>, candidate: UnsafePointer<Self>, auxiliary: UnsafePointer<Self>,
        projected: UnsafeMutablePointer<Self>, projectedStride: Int, recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Self>
    ) -> Bool

    /// The first gate pass of reset-before GRU rows with sigmoid gates (see `gru_gates_reset_before`):
    /// z replaces its block of `hm`, `r * h` goes to `resetState`; returns `false` when this type has
    /// no fused kernel.
    @_spi(GRUKernels) static func fusedResetBeforeGates(
        rows: Int, units: Int, hm: UnsafeMutablePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>,
        resetState: UnsafeMutablePointer<Self>, record: UnsafeMutablePointer<Self>?, recordStride: Int,
        recordBlocks: (z: Int, r: Int, auxiliary: Int)
    ) -> Bool

    /// The candidate pass of reset-before GRU rows with a tanh candidate and the blend
    /// (see `gru_candidate_reset_before`); returns `false` when this type has no fused kernel.
    @_spi(GRUKernels) static func fusedResetBeforeCandidate(
        rows: Int, units: Int, hm: UnsafePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>,
        output: UnsafeMutablePointer<Self>, record: UnsafeMutablePointer<Self>?, recordStride: Int, candidateBlock: Int
    ) -> Bool

    /// The backward pass of ``fusedResetBeforeCandidate(rows:units:hm:x:xStride:state:output:record:recordStride:candidateBlock:)``
    /// (see `gru_candidate_reset_before_backward`); returns `false` when this type has no fused kernel.
    @_spi(GRUKernels) static func fusedResetBeforeCandidateBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Self>, state: UnsafePointer<Self>, z: UnsafePointer<Self>,
        candidate: UnsafePointer<Self>, projected: UnsafeMutablePointer<Self>, projectedStride: Int,
        recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int, propagated: UnsafeMutablePointer<Self>
    ) -> Bool

    /// The backward pass through the reset gate of a reset-before step (see
    /// `gru_reset_gate_reset_before_backward`); returns `false` when this type has no fused kernel.
    @_spi(GRUKernels) static func fusedResetBeforeResetGateBackward(
        rows: Int, units: Int, resetStateGradient: UnsafePointer<Self>, state: UnsafePointer<Self>, r: UnsafePointer<Self>,
        projected: UnsafeMutablePointer<Self>, projectedStride: Int, recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Self>
    ) -> Bool

    /// Applies the logistic sigmoid in place (vectorised for `Float`).
    @_spi(GRUKernels) static func sigmoid(inPlace buffer: UnsafeMutableBufferPointer<Self>)

    /// Applies tanh in place (vectorised for `Float`).
    @_spi(GRUKernels) static func tanh(inPlace buffer: UnsafeMutableBufferPointer<Self>)

    /// One RMSprop step over `count` entries, each operation rounded on its own:
    /// `v = rho * v + c * squares` (`c` is `1 - rho`); with `average` `average = rho * average +
    /// c * g` and `d = v - average * average + eps`, else `d = v + eps`; `step = lr * g / sqrt(d)`
    /// (`epsilonOutside`: `lr * g / (sqrt(d - eps) + eps)`); with `momentumSlot`
    /// `momentumSlot = momentum * momentumSlot + step` and `w = weights - momentumSlot`, else
    /// `w = weights - step`. `weights` may be `w`; a `nil` gradient (and squares) is zero.
    @_spi(GRUKernels) static func rmspropUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, v: UnsafeMutablePointer<Self>,
        momentumSlot: UnsafeMutablePointer<Self>?, average: UnsafeMutablePointer<Self>?, gradient: UnsafePointer<Self>?,
        squares: UnsafePointer<Self>?, rho: Self, c: Self, momentum: Self, lr: Self, eps: Self, epsilonOutside: Bool)

    /// One Adagrad step over `count` entries, each operation rounded on its own:
    /// `accumulator += squares`, then `w = weights - lr * g / sqrt(accumulator + eps)`
    /// (`epsilonOutside`: `lr * g / (sqrt(accumulator) + eps)`). `weights` may be `w`; a `nil`
    /// gradient (and squares) is zero.
    @_spi(GRUKernels) static func adagradUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, accumulator: UnsafeMutablePointer<Self>,
        gradient: UnsafePointer<Self>?, squares: UnsafePointer<Self>?, lr: Self, eps: Self, epsilonOutside: Bool)

    /// One Adam step over `count` entries, each operation rounded on its own:
    /// `m += (g - m) * c1`, `v += (squares - v) * c2`, with `vMax` `vMax = max(vMax, v)`, then
    /// `w = weights - m * alpha / (sqrt(v or vMax) + eps)`, where `weights` may be `w`. A `nil`
    /// gradient (and squares) is zero.
    @_spi(GRUKernels) static func adamUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        vMax: UnsafeMutablePointer<Self>?, gradient: UnsafePointer<Self>?, squares: UnsafePointer<Self>?,
        c1: Self, c2: Self, alpha: Self, eps: Self)
}

extension TensorScalar {
    @_spi(GRUKernels) public static func fusedResetAfterGates(
        rows: Int, units: Int, hm: UnsafePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>, output: UnsafeMutablePointer<Self>,
        record: UnsafeMutablePointer<Self>?, recordStride: Int, recordBlocks: (z: Int, r: Int, candidate: Int, auxiliary: Int)
    ) -> Bool { false }

    @_spi(GRUKernels) public static func fusedResetAfterGatesBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Self>, state: UnsafePointer<Self>, z: UnsafePointer<Self>,
        r: UnsafePointer<Self>, candidate: UnsafePointer<Self>, auxiliary: UnsafePointer<Self>,
        projected: UnsafeMutablePointer<Self>, projectedStride: Int, recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Self>
    ) -> Bool { false }

    @_spi(GRUKernels) public static var hasFusedResetAfterGates: Bool { false }

    @_spi(GRUKernels) public static func fusedResetBeforeGates(
        rows: Int, units: Int, hm: UnsafeMutablePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>,
        resetState: UnsafeMutablePointer<Self>, record: UnsafeMutablePointer<Self>?, recordStride: Int,
        recordBlocks: (z: Int, r: Int, auxiliary: Int)
    ) -> Bool { false }

    @_spi(GRUKernels) public static func fusedResetBeforeCandidate(
        rows: Int, units: Int, hm: UnsafePointer<Self>, x: UnsafePointer<Self>, xStride: Int, state: UnsafePointer<Self>,
        output: UnsafeMutablePointer<Self>, record: UnsafeMutablePointer<Self>?, recordStride: Int, candidateBlock: Int
    ) -> Bool { false }

    @_spi(GRUKernels) public static func fusedResetBeforeCandidateBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Self>, state: UnsafePointer<Self>, z: UnsafePointer<Self>,
        candidate: UnsafePointer<Self>, projected: UnsafeMutablePointer<Self>, projectedStride: Int,
        recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int, propagated: UnsafeMutablePointer<Self>
    ) -> Bool { false }

    @_spi(GRUKernels) public static func fusedResetBeforeResetGateBackward(
        rows: Int, units: Int, resetStateGradient: UnsafePointer<Self>, state: UnsafePointer<Self>, r: UnsafePointer<Self>,
        projected: UnsafeMutablePointer<Self>, projectedStride: Int, recurrent: UnsafeMutablePointer<Self>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Self>
    ) -> Bool { false }


    @_spi(GRUKernels) public static func packedSize(k: Int, n: Int) -> Int { 0 }

    @_spi(GRUKernels) public static func pack(transposeB: Bool, k: Int, n: Int, b: UnsafePointer<Self>, ldb: Int, into packed: UnsafeMutablePointer<Self>) {}

    @_spi(GRUKernels) public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {}

    @_spi(GRUKernels) public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>?, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {}

    @_spi(GRUKernels) public static func gemmPackedEveryRow(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>?, accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {}

    @_spi(GRUKernels) public static func sigmoid(inPlace buffer: UnsafeMutableBufferPointer<Self>) {
        for i in buffer.indices { buffer[i] = Activation.sigmoid.value(buffer[i]) }
    }

    @_spi(GRUKernels) public static func tanh(inPlace buffer: UnsafeMutableBufferPointer<Self>) {
        for i in buffer.indices { buffer[i] = Self.tanh(buffer[i]) }
    }

    @_spi(GRUKernels) public static func adagradUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, accumulator: UnsafeMutablePointer<Self>,
        gradient: UnsafePointer<Self>?, squares: UnsafePointer<Self>?, lr: Self, eps: Self, epsilonOutside: Bool
    ) {
        for i in 0..<count {
            let g = gradient?[i] ?? 0
            accumulator[i] += squares?[i] ?? 0
            w[i] = weights[i] - (epsilonOutside ? lr * g / (accumulator[i].squareRoot() + eps) : lr * g / (accumulator[i] + eps).squareRoot())
        }
    }

    @_spi(GRUKernels) public static func rmspropUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, v: UnsafeMutablePointer<Self>,
        momentumSlot: UnsafeMutablePointer<Self>?, average: UnsafeMutablePointer<Self>?, gradient: UnsafePointer<Self>?,
        squares: UnsafePointer<Self>?, rho: Self, c: Self, momentum: Self, lr: Self, eps: Self, epsilonOutside: Bool
    ) {
        for i in 0..<count {
            let g = gradient?[i] ?? 0
            v[i] = rho * v[i] + c * (squares?[i] ?? 0)
            var d = v[i] + eps
            if let average {
                average[i] = rho * average[i] + c * g
                d = v[i] - average[i] * average[i] + eps
            }
            let step = epsilonOutside ? lr * g / ((d - eps).squareRoot() + eps) : lr * g / d.squareRoot()
            if let momentumSlot {
                momentumSlot[i] = momentum * momentumSlot[i] + step
                w[i] = weights[i] - momentumSlot[i]
            } else {
                w[i] = weights[i] - step
            }
        }
    }

    @_spi(GRUKernels) public static func adamUpdate(
        count: Int, w: UnsafeMutablePointer<Self>, weights: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        vMax: UnsafeMutablePointer<Self>?, gradient: UnsafePointer<Self>?, squares: UnsafePointer<Self>?,
        c1: Self, c2: Self, alpha: Self, eps: Self
    ) {
        for i in 0..<count {
            m[i] += ((gradient?[i] ?? 0) - m[i]) * c1
            v[i] += ((squares?[i] ?? 0) - v[i]) * c2
            var d = v[i]
            if let vMax {
                vMax[i] = Swift.max(vMax[i], v[i])
                d = vMax[i]
            }
            w[i] = weights[i] - m[i] * alpha / (d.squareRoot() + eps)
        }
    }
}

extension Float: TensorScalar {

    @_spi(GRUKernels) public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gru_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @_spi(GRUKernels) public static func packedSize(k: Int, n: Int) -> Int { gru_sgemm_packed_size(k, n) }

    @_spi(GRUKernels) public static func adagradUpdate(
        count: Int, w: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, accumulator: UnsafeMutablePointer<Float>,
        gradient: UnsafePointer<Float>?, squares: UnsafePointer<Float>?, lr: Float, eps: Float, epsilonOutside: Bool
    ) {
        gru_adagrad_update(count, w, weights, accumulator, gradient, squares, lr, eps, epsilonOutside ? 1 : 0)
    }

    @_spi(GRUKernels) public static func rmspropUpdate(
        count: Int, w: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>,
        momentumSlot: UnsafeMutablePointer<Float>?, average: UnsafeMutablePointer<Float>?, gradient: UnsafePointer<Float>?,
        squares: UnsafePointer<Float>?, rho: Float, c: Float, momentum: Float, lr: Float, eps: Float, epsilonOutside: Bool
    ) {
        gru_rmsprop_update(count, w, weights, v, momentumSlot, average, gradient, squares, rho, c, momentum, lr, eps, epsilonOutside ? 1 : 0)
    }

    @_spi(GRUKernels) public static func adamUpdate(
        count: Int, w: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        vMax: UnsafeMutablePointer<Float>?, gradient: UnsafePointer<Float>?, squares: UnsafePointer<Float>?,
        c1: Float, c2: Float, alpha: Float, eps: Float
    ) {
        gru_adam_update(count, w, weights, m, v, vMax, gradient, squares, c1, c2, alpha, eps)
    }

    @_spi(GRUKernels) public static var hasFusedResetAfterGates: Bool { gru_fused_gates_available() != 0 }

    @_spi(GRUKernels) public static func fusedResetBeforeGates(
        rows: Int, units: Int, hm: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, xStride: Int, state: UnsafePointer<Float>,
        resetState: UnsafeMutablePointer<Float>, record: UnsafeMutablePointer<Float>?, recordStride: Int,
        recordBlocks: (z: Int, r: Int, auxiliary: Int)
    ) -> Bool {
        gru_gates_reset_before(
            rows, units, hm, x, xStride, state, resetState, record, recordStride,
            recordBlocks.z, recordBlocks.r, recordBlocks.auxiliary) != 0
    }

    @_spi(GRUKernels) public static func fusedResetBeforeCandidate(
        rows: Int, units: Int, hm: UnsafePointer<Float>, x: UnsafePointer<Float>, xStride: Int, state: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, record: UnsafeMutablePointer<Float>?, recordStride: Int, candidateBlock: Int
    ) -> Bool {
        gru_candidate_reset_before(rows, units, hm, x, xStride, state, output, record, recordStride, candidateBlock) != 0
    }

    @_spi(GRUKernels) public static func fusedResetBeforeCandidateBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Float>, state: UnsafePointer<Float>, z: UnsafePointer<Float>,
        candidate: UnsafePointer<Float>, projected: UnsafeMutablePointer<Float>, projectedStride: Int,
        recurrent: UnsafeMutablePointer<Float>, recurrentStride: Int, propagated: UnsafeMutablePointer<Float>
    ) -> Bool {
        gru_candidate_reset_before_backward(
            rows, units, gradient, state, z, candidate, projected, projectedStride, recurrent, recurrentStride, propagated) != 0
    }

    @_spi(GRUKernels) public static func fusedResetBeforeResetGateBackward(
        rows: Int, units: Int, resetStateGradient: UnsafePointer<Float>, state: UnsafePointer<Float>, r: UnsafePointer<Float>,
        projected: UnsafeMutablePointer<Float>, projectedStride: Int, recurrent: UnsafeMutablePointer<Float>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Float>
    ) -> Bool {
        gru_reset_gate_reset_before_backward(
            rows, units, resetStateGradient, state, r, projected, projectedStride, recurrent, recurrentStride, propagated) != 0
    }

    @_spi(GRUKernels) public static func fusedResetAfterGatesBackward(
        rows: Int, units: Int, gradient: UnsafePointer<Float>, state: UnsafePointer<Float>, z: UnsafePointer<Float>,
        r: UnsafePointer<Float>, candidate: UnsafePointer<Float>, auxiliary: UnsafePointer<Float>,
        projected: UnsafeMutablePointer<Float>, projectedStride: Int, recurrent: UnsafeMutablePointer<Float>, recurrentStride: Int,
        propagated: UnsafeMutablePointer<Float>
    ) -> Bool {
        gru_gates_reset_after_backward(
            rows, units, gradient, state, z, r, candidate, auxiliary, projected, projectedStride,
            recurrent, recurrentStride, propagated) != 0
    }

    @_spi(GRUKernels) public static func fusedResetAfterGates(
        rows: Int, units: Int, hm: UnsafePointer<Float>, x: UnsafePointer<Float>, xStride: Int, state: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        record: UnsafeMutablePointer<Float>?, recordStride: Int, recordBlocks: (z: Int, r: Int, candidate: Int, auxiliary: Int)
    ) -> Bool {
        gru_gates_reset_after(
            rows, units, hm, x, xStride, state, output, record, recordStride,
            recordBlocks.z, recordBlocks.r, recordBlocks.candidate, recordBlocks.auxiliary) != 0
    }

    @_spi(GRUKernels) public static func pack(transposeB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, into packed: UnsafeMutablePointer<Float>) {
        gru_sgemm_pack_b(transposeB ? 1 : 0, k, n, b, ldb, packed)
    }

    @_spi(GRUKernels) public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gru_sgemm_packed(m, n, k, a, lda, packed, beta, c, ldc)
    }

    @_spi(GRUKernels) public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gru_sgemm_packed_bias(m, n, k, a, lda, packed, bias, c, ldc)
    }

    @_spi(GRUKernels) public static func gemmPackedEveryRow(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gru_sgemm_packed_rows(m, n, k, a, lda, packed, bias, accumulate ? 1 : 0, c, ldc)
    }

    @_spi(GRUKernels) public static func sigmoid(inPlace buffer: UnsafeMutableBufferPointer<Float>) {
        if let base = buffer.baseAddress { gru_sigmoid(base, buffer.count) }
    }

    @_spi(GRUKernels) public static func tanh(inPlace buffer: UnsafeMutableBufferPointer<Float>) {
        if let base = buffer.baseAddress { gru_tanh(base, buffer.count) }
    }
}

extension Double: TensorScalar {

    @_spi(GRUKernels) public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        referenceGEMM(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
