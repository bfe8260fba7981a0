/// An error reading or writing a model, array or archive file: names the file
/// part that is damaged, unsupported or missing.
public struct FileFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// The error this one reports in the file's terms, when there is one: a `LayerError`
    /// from a layer that refused its configuration or weights, an `HDF5Error` from the
    /// weights file. Its kind is kept for programs that tell them apart.
    public let underlying: (any Error & Sendable)?

    public init(_ message: String, underlying: (any Error & Sendable)? = nil) {
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    public static func == (lhs: FileFormatError, rhs: FileFormatError) -> Bool { lhs.message == rhs.message }
}
