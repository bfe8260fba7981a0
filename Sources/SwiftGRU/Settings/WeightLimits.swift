#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sizes past which a weight is refused before anything is allocated: sizes read from
/// a file must give a clear error, never a trap in an overflowing product or an allocation
/// that cannot succeed.
public enum WeightLimits {
    /// The most values one weight may hold: 2^32 (16 GiB of float32), or fewer where the
    /// environment variable `GRU_MAX_WEIGHT_VALUES` says so (a service reading files it does
    /// not trust caps what one file can make it allocate).
    public static let maxScalars: Int = {
        if let text = getenv("GRU_MAX_WEIGHT_VALUES").map({ String(cString: $0) }), let value = Int(text), value > 0 {
            return min(value, 1 << 32)
        }
        return 1 << 32
    }()
    /// The most units a recurrent cell may have (its kernels are `gates * units` wide).
    public static let maxUnits = 1 << 24

    /// The number of values of a weight of `shape`.
    ///
    /// - Throws: ``LayerError`` (`.invalidArgument`) for a negative extent, or a product over
    ///   ``maxScalars`` (overflowing ones included).
    public static func scalarCount(of shape: [Int]) throws -> Int {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard extent >= 0, !overflow, product <= maxScalars else {
                throw LayerError(.invalidArgument, "a weight of shape \(shape) is \(extent < 0 ? "negative" : "too large (more than \(maxScalars) values)")")
            }
            count = product
        }
        return count
    }

    /// Checks a recurrent cell's `units`.
    ///
    /// - Throws: ``LayerError`` (`.invalidArgument`) when `units` is not in `1...maxUnits`.
    static func checkUnits(_ units: Int, layer: String) throws {
        guard units > 0 else { throw LayerError(.invalidArgument, "\(layer): units must be a positive integer, got \(units)") }
        guard units <= maxUnits else {
            throw LayerError(.invalidArgument, "\(layer): units must be at most \(maxUnits), got \(units)")
        }
    }
}
