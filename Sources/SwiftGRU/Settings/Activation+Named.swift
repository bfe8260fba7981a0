extension Activation {
    /// Looks an activation up by its Keras name; `nil`, `"None"` and `"linear"` mean no activation.
    ///
    /// Accepts Keras' aliases `swish` and `hard_swish`.
    /// - Throws: ``LayerError`` (`.unknownName`) naming the unknown activation and the known ones.
    public init(named name: String?) throws {
        guard let activation = Activation(kerasName: name) else {
            throw LayerError(.unknownName, "unknown activation '\(name ?? "")'; known activations: \(Activation.kerasNames.joined(separator: ", "))")
        }
        self = activation
    }
}
