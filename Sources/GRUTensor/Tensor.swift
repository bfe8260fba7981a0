/// A dense, row-major, n-dimensional array with value semantics.
///
/// Storage is one contiguous Swift array, so copies are cheap until one side
/// is mutated (copy on write). Math lives in extensions constrained to
/// ``TensorScalar``; `Tensor<Bool>` carries masks and `Tensor<Int32>` indices.
///
/// ```swift
/// let x = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// x.shape        // [2, 3]
/// x[1, 2]        // 6
/// ```
public struct Tensor<Scalar> {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    public private(set) var scalars: [Scalar]

    /// Creates a tensor from a shape and its elements in row-major order.
    ///
    /// - Parameters:
    ///   - shape: The extent of each axis; every extent must be zero or more.
    ///   - scalars: The elements; their count must equal the product of `shape`.
    /// - Throws: ``TensorError`` when an extent is negative or the count does not match.
    public init(shape: [Int], scalars: [Scalar]) throws {
        let count = try Self.elementCount(of: shape)
        guard count == scalars.count else {
            throw TensorError("shape \(shape) holds \(count) elements but \(scalars.count) were given")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape with every element set to `value`.
    ///
    /// A negative extent is treated as zero.
    public init(repeating value: Scalar, shape: [Int]) {
        let shape = shape.map { Swift.max($0, 0) }
        self.shape = shape
        self.scalars = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// Creates a tensor without checking that `shape` and `scalars` agree;
    /// for the package's own kernels, which build both together.
    package init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }

    /// The number of elements.
    @inlinable public var scalarCount: Int { scalars.count }

    /// The element at the given position; traps like `Array` when out of bounds.
    public subscript(indices: Int...) -> Scalar {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        // A wrong index count or an index outside its axis gives -1, which traps in the array.
        guard indices.count == shape.count else { return -1 }
        var offset = 0
        for (extent, index) in zip(shape, indices) {
            guard index >= 0, index < extent else { return -1 }
            offset = offset * extent + index
        }
        return offset
    }

    /// Calls `body` with the elements as a buffer.
    package func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the elements as a mutable buffer; the shape stays as it is.
    package mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Returns a tensor of the same shape with `transform` applied to every element.
    public func map<T>(_ transform: (Scalar) throws -> T) rethrows -> Tensor<T> {
        Tensor<T>(uncheckedShape: shape, scalars: try scalars.map(transform))
    }

    static func elementCount(of shape: [Int]) throws -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else { throw TensorError("shape \(shape) has a negative extent") }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw TensorError("shape \(shape) has too many elements") }
            count = product
        }
        return count
    }
}

extension Tensor: Sendable where Scalar: Sendable {}
extension Tensor: Equatable where Scalar: Equatable {}
extension Tensor: Hashable where Scalar: Hashable {}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(scalars.count > 8 ? ", ..." : "")])"
    }
}

/// An array of `count` elements that the caller will overwrite completely before reading.
package func uninitializedArray<Scalar: BinaryFloatingPoint>(count: Int) -> [Scalar] {
    // An empty array is the shared empty storage, which must not be written to, even its count.
    guard count > 0 else { return [] }
    return [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

extension Tensor where Scalar: Numeric {
    /// Creates a tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }
}

extension Tensor where Scalar: TensorScalar {
    /// Creates a tensor of a different floating-point type with the same values.
    public init<Source: TensorScalar>(_ other: Tensor<Source>) {
        self.init(uncheckedShape: other.shape, scalars: other.scalars.map { Scalar($0) })
    }

    /// The largest absolute difference between two tensors of the same shape.
    ///
    /// - Throws: ``TensorError`` when the shapes differ.
    public func maxAbsoluteDifference(to other: Tensor) throws -> Scalar {
        guard shape == other.shape else {
            throw TensorError("cannot compare shapes \(shape) and \(other.shape)")
        }
        var result: Scalar = 0
        for (a, b) in zip(scalars, other.scalars) {
            let d = abs(a - b)
            if d > result || d.isNaN { result = d.isNaN ? .nan : d }
        }
        return result
    }
}
