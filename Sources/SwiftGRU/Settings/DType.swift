/// The numeric dtypes of Keras (an input's `dtype`, `ops.cast`'s target), by their Keras names.
/// Values are float32 here whatever the dtype: a dtype says how they were made (a cast rounds
/// or truncates them) and what a file written back declares.
public enum DType: String, Sendable, Hashable, CaseIterable {
    case float16, bfloat16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool

    /// Whether the type holds fractions (a cast to it passes gradients back, as in TensorFlow).
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        default: false
        }
    }

    /// The values an integer type holds (for the 64-bit ones, the doubles inside it); `nil`
    /// for the float types and bool.
    public var integerRange: ClosedRange<Double>? {
        switch self {
        case .int8: -128...127
        case .int16: -32768...32767
        case .int32: -2_147_483_648...2_147_483_647
        case .int64: -0x1p63...0x1.fffffffffffffp62
        case .uint8: 0...255
        case .uint16: 0...65535
        case .uint32: 0...4_294_967_295
        case .uint64: 0...0x1.fffffffffffffp63
        default: nil
        }
    }

    /// The Keras names, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
