import GRUTensor

/// An array read from or written to NumPy's `.npy` format, in one of the
/// element types Keras users pass around.
public enum NumPyArray: Sendable, Equatable {
    case float32(Tensor<Float>)
    case float64(Tensor<Double>)
    case int32(Tensor<Int32>)
    case int64(Tensor<Int64>)
    case bool(Tensor<Bool>)

    /// The array's shape.
    public var shape: [Int] {
        switch self {
        case .float32(let t): t.shape
        case .float64(let t): t.shape
        case .int32(let t): t.shape
        case .int64(let t): t.shape
        case .bool(let t): t.shape
        }
    }

    /// NumPy's type string (`<f4`, `<f8`, `<i4`, `<i8`, `|b1`).
    public var descriptor: String {
        switch self {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int32: "<i4"
        case .int64: "<i8"
        case .bool: "|b1"
        }
    }

    /// The values converted to a floating-point tensor (booleans as 0 and 1).
    public func tensor<Scalar: TensorScalar>(of type: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        switch self {
        case .float32(let t): t.map { Scalar($0) }
        case .float64(let t): t.map { Scalar($0) }
        case .int32(let t): t.map { Scalar($0) }
        case .int64(let t): t.map { Scalar($0) }
        case .bool(let t): t.map { $0 ? 1 : 0 }
        }
    }

    /// Whether every value is finite (integers and booleans always are).
    public var isFinite: Bool {
        switch self {
        case .float32(let t): t.scalars.allSatisfy(\.isFinite)
        case .float64(let t): t.scalars.allSatisfy(\.isFinite)
        default: true
        }
    }
}
