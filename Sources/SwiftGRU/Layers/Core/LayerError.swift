/// An error thrown by a layer or model for a bad argument or a bad input.
///
/// Each message names the layer (or argument) and what was expected.
public struct LayerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of mistake this is.
    public enum Kind: Sendable, Equatable {
        /// A constructor argument is out of range or inconsistent.
        case invalidArgument
        /// An input's rank or extents do not fit the layer.
        case invalidInputShape
        /// A mask's shape does not fit the inputs.
        case invalidMask
        /// A stateful layer cannot run with this batch.
        case statefulBatch
        /// Weights given to a layer do not fit it.
        case invalidWeights
        /// A name (activation, initializer, ...) is not known.
        case unknownName
        /// The operation is not possible in this configuration.
        case unsupported
    }

    /// What kind of mistake this is.
    public let kind: Kind
    /// The message, naming the layer or argument and what was expected.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
