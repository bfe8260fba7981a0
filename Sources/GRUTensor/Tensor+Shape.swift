extension Tensor {
    /// Returns the same elements under a new shape.
    ///
    /// - Parameter newShape: The new extents; one of them may be `-1`, which is inferred.
    /// - Throws: ``TensorError`` when the element counts differ.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            var rest = newShape
            rest.remove(at: inferred)
            let known = try Self.elementCount(of: rest)
            guard known > 0, scalarCount % known == 0 else {
                throw TensorError("cannot reshape \(shape) to \(newShape)")
            }
            resolved[inferred] = scalarCount / known
        }
        guard try Self.elementCount(of: resolved) == scalarCount else {
            throw TensorError("cannot reshape \(shape) (\(scalarCount) elements) to \(newShape)")
        }
        return Tensor(uncheckedShape: resolved, scalars: scalars)
    }

    /// Returns the tensor with its axes reordered: axis `i` of the result is axis
    /// `permutation[i]` of this tensor.
    ///
    /// - Throws: ``TensorError`` when `permutation` is not a permutation of the axes.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Bool)
    public func transposed(_ permutation: [Int]) throws -> Tensor {
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            throw TensorError("\(permutation) is not a permutation of the \(rank) axes of \(shape)")
        }
        if permutation == Array(0..<rank) { return self }
        let newShape = permutation.map { shape[$0] }
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        let sourceStrides = permutation.map { strides[$0] }
        var result = [Scalar]()
        result.reserveCapacity(scalarCount)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<scalarCount {
            var offset = 0
            for axis in 0..<rank { offset += index[axis] * sourceStrides[axis] }
            result.append(scalars[offset])
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < newShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(uncheckedShape: newShape, scalars: result)
    }

    /// Swaps the first two axes: `(B, T, ...)` becomes `(T, B, ...)` and back.
    ///
    /// - Throws: ``TensorError`` when the tensor has fewer than two axes.
    public func swappingLeadingAxes() throws -> Tensor {
        guard rank >= 2 else { throw TensorError("cannot swap the leading axes of shape \(shape)") }
        return try transposed([1, 0] + Array(2..<rank))
    }

    /// Returns the tensor with the order of its entries along `axis` reversed.
    ///
    /// - Throws: ``TensorError`` when `axis` is not an axis of the tensor.
    public func reversed(alongAxis axis: Int) throws -> Tensor {
        guard axis >= 0, axis < rank else { throw TensorError("axis \(axis) is out of range for shape \(shape)") }
        let outer = shape[..<axis].reduce(1, *)
        let extent = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var result = scalars
        for o in 0..<outer {
            for i in 0..<extent {
                let source = (o * extent + i) * inner
                let target = (o * extent + (extent - 1 - i)) * inner
                for j in 0..<inner { result[target + j] = scalars[source + j] }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// Joins tensors along an axis; all other extents must agree.
    ///
    /// - Throws: ``TensorError`` when the list is empty or the shapes do not fit.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("nothing to concatenate") }
        guard axis >= 0, axis < first.rank else {
            throw TensorError("axis \(axis) is out of range for shape \(first.shape)")
        }
        for t in tensors where t.rank != first.rank
            || t.shape[..<axis] != first.shape[..<axis] || t.shape[(axis + 1)...] != first.shape[(axis + 1)...] {
            throw TensorError("cannot concatenate shapes \(first.shape) and \(t.shape) along axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var result = [Scalar]()
        result.reserveCapacity(tensors.reduce(0) { $0 + $1.scalarCount })
        for o in 0..<outer {
            for t in tensors {
                let width = t.shape[axis] * inner
                result.append(contentsOf: t.scalars[(o * width)..<((o + 1) * width)])
            }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// Returns the entries `range` along the first axis.
    ///
    /// - Throws: ``TensorError`` when the tensor is a scalar or `range` is out of bounds.
    public func slice(_ range: Range<Int>) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError("rows \(range) are out of range for shape \(shape)")
        }
        let inner = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(uncheckedShape: newShape, scalars: Array(scalars[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }
}
