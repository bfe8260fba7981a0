extension Tensor where Scalar: TensorScalar {
    /// Combines two tensors of the same shape element by element.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func combined(with other: Tensor, _ operation: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        guard shape == other.shape else {
            throw TensorError("shapes \(shape) and \(other.shape) differ")
        }
        return Tensor(uncheckedShape: shape, scalars: zip(scalars, other.scalars).map(operation))
    }

    /// The Hadamard sum with a tensor of the same shape: `combined(with: other, +)` without a
    /// closure call per value (specialized for Float and Double, which generic callers reach).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func adding(_ other: Tensor) throws -> Tensor where Scalar: TensorScalar {
        try updating(with: other) { $0 += $1 }
    }

    /// The Hadamard product with a tensor of the same shape: `combined(with: other, *)` without
    /// a closure call per value (specialized for Float and Double, which generic callers reach).
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func multiplied(by other: Tensor) throws -> Tensor where Scalar: TensorScalar {
        try updating(with: other) { $0 *= $1 }
    }

    /// A copy with each value updated by `update` from `other`'s value at the same place;
    /// inlined into its specialized callers, so that no closure is called per value.
    @inline(__always)
    private func updating(with other: Tensor, _ update: (inout Scalar, Scalar) -> Void) throws -> Tensor {
        guard shape == other.shape else { throw TensorError("shapes \(shape) and \(other.shape) differ") }
        var result = scalars
        result.withUnsafeMutableBufferPointer { r in
            other.scalars.withUnsafeBufferPointer { o in
                for i in 0..<r.count { update(&r[i], o[i]) }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// The product of two matrices, or of a batch of row vectors `(..., k)` and a matrix `(k, n)`.
    ///
    /// - Throws: ``TensorError`` when `other` is not a matrix or the inner extents differ.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1, other.rank == 2, shape[rank - 1] == other.shape[0] else {
            throw TensorError("cannot multiply shapes \(shape) and \(other.shape)")
        }
        let k = other.shape[0], n = other.shape[1]
        let m = scalarCount / Swift.max(k, 1)
        var result = [Scalar](repeating: 0, count: m * n)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                    Scalar.gemm(
                        transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                        a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
                }
            }
        }
        return Tensor(uncheckedShape: Array(shape.dropLast()) + [n], scalars: result)
    }

    /// Every element multiplied by `factor`.
    public func scaled(by factor: Scalar) -> Tensor { map { $0 * factor } }

    /// The sum of all elements.
    public func sum() -> Scalar { scalars.reduce(0, +) }
}

extension Tensor where Scalar: TensorScalar {
    /// Whether every element is finite (neither NaN nor infinite); specialized for Float and
    /// Double, which generic callers (the trainer's check of each batch) reach.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func isAllFinite() -> Bool {
        scalars.withUnsafeBufferPointer { values in
            for v in values where !v.isFinite { return false }
            return true
        }
    }
}
