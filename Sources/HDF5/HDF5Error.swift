/// An error reading or writing an HDF5 file: a damaged or unsupported file, or a
/// missing object.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, naming the structure and the offset where it could be found.
    public let message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
