/// An error reading or writing a model, array or archive file: names the file
/// part that is damaged, unsupported or missing.
public struct FileFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
