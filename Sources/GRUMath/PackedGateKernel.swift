@_spi(GRUKernels) import GRUTensor

/// A GRU weight matrix of `3 * units` columns (gates z, r, h) packed once for the many
/// products of a call, in groups of whole gates: all three, z and r then h, or one gate
/// at a time, as the caller multiplies by them; in bfloat16 when asked (and available).
/// Immutable once made (the packed buffers are only read), so calls on any thread may share one.
final class PackedGateKernel<S: TensorScalar>: @unchecked Sendable {
    private let kernel: Tensor<S>
    private let units: Int
    /// Column ranges of the groups, in gates.
    private let groups: [Range<Int>]
    private var packed: [UnsafeMutablePointer<S>?] = []
    /// The groups packed as bfloat16, when products run in bfloat16.
    private var reduced: [BFloat16Matrix?] = []

    /// Packs `kernel` (`(k, 3 * units)`) in `groups`.
    ///
    /// - Parameters:
    ///   - rows: The most rows a product will have, when known: the kernels read the
    ///     matrix as it is for two to four rows, so it is not packed for them.
    ///   - precision: bfloat16 packs each group as bfloat16 (for `Float` on a CPU that has
    ///     the products); a group that cannot be packed so runs in float32.
    init(_ kernel: Tensor<S>, units: Int, groups: [Range<Int>], rows: Int = .max, precision: ComputePrecision = .float32) {
        self.kernel = kernel
        self.units = units
        self.groups = groups
        let k = kernel.shape[0]
        kernel.withUnsafeBufferPointer { r in
            if precision.effective(for: S.self) == .bfloat16, let base = r.baseAddress {
                let floats = UnsafeRawPointer(base).assumingMemoryBound(to: Float.self)
                reduced = groups.map { BFloat16Matrix(floats + $0.lowerBound * units, k: k, n: $0.count * units, ldb: 3 * units) }
            }
            for (index, group) in groups.enumerated() {
                // A group in bfloat16 needs no float32 copy: a fallback reads the kernel as it is.
                guard reduced.isEmpty || reduced[index] == nil else {
                    packed.append(nil)
                    continue
                }
                let size = PackedMatrix<S>.isWorthPacking(rows: rows) ? S.packedSize(k: k, n: group.count * units) : 0
                guard size > 0, let base = r.baseAddress, let buffer: UnsafeMutablePointer<S> = allocateMatrix(capacity: size) else {
                    packed.append(nil)  // products then read the kernel as it is
                    continue
                }
                S.pack(transposeB: false, k: k, n: group.count * units, b: base + group.lowerBound * units, ldb: 3 * units, into: buffer)
                packed.append(buffer)
            }
        }
    }

    deinit {
        for case let buffer? in packed { deallocateMatrix(buffer) }
    }

    /// Writes `a @ kernel[:, group] + bias[group]` for `rows` rows of `a` (`lda` apart) into
    /// the group's columns of `output` (rows of `ldc`, starting at the z column).
    ///
    /// - Parameters:
    ///   - bias: `3 * units` values, of which the group's are added; `nil` for none.
    ///   - everyRow: Every row on the same kernel whatever `rows` (one to four included), so
    ///     that a row's values do not depend on the rows that come with it.
    func multiply(
        _ a: UnsafePointer<S>, rows: Int, lda: Int, group index: Int, bias: UnsafePointer<S>?,
        into output: UnsafeMutablePointer<S>, ldc: Int, everyRow: Bool = false
    ) {
        let group = groups[index], offset = group.lowerBound * units, n = group.count * units, k = kernel.shape[0]
        guard rows > 0, n > 0 else { return }
        let c = output + offset, groupBias = bias.map { $0 + offset }
        if !reduced.isEmpty, let matrix = reduced[index],
           matrix.multiply(
            UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), rows: rows, lda: lda,
            bias: groupBias.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) },
            into: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc) {
            return
        }
        if everyRow, let packed = packed[index] {
            S.gemmPackedEveryRow(m: rows, n: n, k: k, a: a, lda: lda, packed: packed, bias: groupBias, accumulate: false, c: c, ldc: ldc)
            return
        }
        if PackedMatrix<S>.isWorthPacking(rows: rows), let packed = packed[index] {
            S.gemmPacked(m: rows, n: n, k: k, a: a, lda: lda, packed: packed, bias: groupBias, c: c, ldc: ldc)
            return
        }
        for i in 0..<rows {
            if let groupBias { (c + i * ldc).update(from: groupBias, count: n) } else { (c + i * ldc).update(repeating: 0, count: n) }
        }
        kernel.withUnsafeBufferPointer { r in
            guard let base = r.baseAddress, k > 0 else { return }
            S.gemm(
                transposeA: false, transposeB: false, m: rows, n: n, k: k, alpha: 1,
                a: a, lda: lda, b: base + offset, ldb: 3 * units, beta: 1, c: c, ldc: ldc)
        }
    }
}
