/// Samples that a model reads a batch at a time (Keras' data adapters): a tensor in memory, a
/// `.npy` file read in place (`NumPyFile` in KerasFiles), or any type that can hand out rows,
/// so that data larger than memory can be predicted and trained on.
public protocol BatchSource<Scalar> {
    associatedtype Scalar: TensorScalar

    /// The number of samples (the first axis).
    var sampleCount: Int { get }

    /// The shape of one sample (the axes after the first).
    var sampleShape: [Int] { get }

    /// The samples at `indices`, in that order, stacked on a new first axis.
    ///
    /// - Throws: An error when an index is out of range or the data cannot be read.
    func samples(at indices: [Int]) throws -> Tensor<Scalar>
}

extension BatchSource {
    /// The full shape: ``sampleCount`` then ``sampleShape``.
    public var shape: [Int] { [sampleCount] + sampleShape }

    /// The samples in `range`.
    ///
    /// - Throws: As ``samples(at:)``.
    public func samples(in range: Range<Int>) throws -> Tensor<Scalar> { try samples(at: Array(range)) }
}

extension Tensor: BatchSource where Scalar: TensorScalar {
    public var sampleCount: Int { shape.first ?? 0 }
    public var sampleShape: [Int] { Array(shape.dropFirst()) }

    public func samples(at indices: [Int]) throws -> Tensor<Scalar> { try gathering(indices) }
}

/// A run of consecutive samples of another source (a validation split).
struct SampleRange<Scalar: TensorScalar>: BatchSource {
    let base: any BatchSource<Scalar>
    let range: Range<Int>

    var sampleCount: Int { range.count }
    var sampleShape: [Int] { base.sampleShape }

    func samples(at indices: [Int]) throws -> Tensor<Scalar> {
        guard indices.allSatisfy({ $0 >= 0 && $0 < range.count }) else {
            throw LayerError(.invalidArgument, "a sample index is out of range 0..<\(range.count)")
        }
        return try base.samples(at: indices.map { $0 + range.lowerBound })
    }
}

extension Tensor {
    /// The entries at `rows` along the first axis, in that order.
    ///
    /// - Throws: ``TensorError`` when a row is out of range.
    func gathering(_ rows: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw TensorError("cannot gather rows of a scalar") }
        if rows.count == shape[0], rows.elementsEqual(0..<shape[0]) { return self }
        let inner = shape.dropFirst().reduce(1, *)
        var values = [Scalar]()
        values.reserveCapacity(rows.count * inner)
        for row in rows {
            guard row >= 0, row < shape[0] else { throw TensorError("row \(row) is out of range for shape \(shape)") }
            values += scalars[(row * inner)..<((row + 1) * inner)]
        }
        return try Tensor(shape: [rows.count] + shape.dropFirst(), scalars: values)
    }
}
