/// An error thrown when tensors are built or combined with shapes that do not fit.
public struct TensorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in words that name the shapes involved.
    public let message: String

    /// Creates an error with the given message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
