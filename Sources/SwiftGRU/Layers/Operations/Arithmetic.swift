/// Arithmetic and comparisons on tensors and constants (Keras' `a + b`, `2 * x`,
/// `ops.divide(x, y)`, `ops.maximum(h, 0)`, `h > 0` in a functional model: its `Add`,
/// `Subtract`, `Multiply`, `Divide`, `Maximum`, `Minimum`, `Greater`, `GreaterEqual`, `Less`,
/// `LessEqual`, `Equal` and `NotEqual` operations), with NumPy's broadcasting. A comparison
/// gives Keras' booleans as 1 and 0, and no gradient (as TensorFlow). The output has no mask,
/// as Keras' operations give none.
public final class Arithmetic<Scalar: TensorScalar>: BroadcastingOperation<Scalar> {
    /// The operation.
    public enum Kind: String, Sendable, CaseIterable {
        case add, subtract, multiply, divide, maximum, minimum
        case greater, greaterEqual, less, lessEqual, equal, notEqual

        /// Whether the result is a boolean (1 or 0), which passes no gradient back.
        public var isComparison: Bool {
            switch self {
            case .greater, .greaterEqual, .less, .lessEqual, .equal, .notEqual: true
            default: false
            }
        }
    }

    public let kind: Kind

    /// Creates the operation of two operands, one of them a tensor at least.
    ///
    /// - Throws: ``LayerError`` for two constants, or a constant that is not finite.
    public init(_ kind: Kind, _ left: Operand, _ right: Operand, name: String? = nil) throws {
        self.kind = kind
        try super.init(
            operands: [left, right], name: name ?? kind.rawValue, operation: kind.rawValue,
            function: { x, y, _ in
                switch kind {
                case .add: x + y
                case .subtract: x - y
                case .multiply: x * y
                case .divide: x / y
                case .maximum: x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
                case .minimum: x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
                case .greater: x > y ? 1 : 0
                case .greaterEqual: x >= y ? 1 : 0
                case .less: x < y ? 1 : 0
                case .lessEqual: x <= y ? 1 : 0
                case .equal: x == y ? 1 : 0
                case .notEqual: x != y ? 1 : 0
                }
            },
            gradients: { g, x, y, _ in
                switch kind {
                case .add: (g, g, 0)
                case .subtract: (g, -g, 0)
                case .multiply: (g * y, g * x, 0)
                case .divide: (g / y, -(g * x / (y * y)), 0)
                // TensorFlow's rule: the left side takes the gradient where it wins or ties.
                case .maximum: x >= y ? (g, 0, 0) : (0, g, 0)
                case .minimum: x <= y ? (g, 0, 0) : (0, g, 0)
                case .greater, .greaterEqual, .less, .lessEqual, .equal, .notEqual: (0, 0, 0)
                }
            })
    }
}
