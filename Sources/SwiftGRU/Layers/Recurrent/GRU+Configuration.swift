extension GRU {
    /// The arguments of a GRU layer: Keras' `get_config()` of a `GRU` in camel case, with
    /// Keras' defaults — the cell's arguments and the layer's own.
    public struct Configuration: Sendable {
        /// The cell's arguments (units, activations, initializers, dropout, `resetAfter`...).
        public var cell: GRUCell<Scalar>.Configuration
        public var activityRegularizer: Regularizer?
        public var returnSequences = false
        public var returnState = false
        public var goBackwards = false
        public var stateful = false
        public var unroll = false
        /// tf.keras 2's `time_major`.
        public var timeMajor = false
        public var zeroOutputForMask = false
        public var useCuDNN: UseCuDNN = .auto
        /// Defaults to `"gru"`.
        public var name: String?

        /// Keras' defaults for a GRU of `units` units.
        public init(units: Int) { cell = GRUCell<Scalar>.Configuration(units: units) }

        /// The layer's arguments around a cell's.
        public init(cell: GRUCell<Scalar>.Configuration) { self.cell = cell }
    }

    /// Creates a GRU layer from its arguments.
    ///
    /// - Throws: ``LayerError`` when the cell's arguments are not valid (see
    ///   ``GRUCell/init(_:)``).
    public convenience init(_ configuration: Configuration) throws {
        self.init(
            cell: try GRUCell(configuration.cell), activityRegularizer: configuration.activityRegularizer,
            returnSequences: configuration.returnSequences, returnState: configuration.returnState,
            goBackwards: configuration.goBackwards, stateful: configuration.stateful, unroll: configuration.unroll,
            timeMajor: configuration.timeMajor, useCuDNN: configuration.useCuDNN, name: configuration.name)
        zeroOutputForMask = configuration.zeroOutputForMask
    }

    /// The layer's arguments (with a fresh layer made from them, the same layer up to its weights).
    public var configuration: Configuration {
        var c = Configuration(cell: gruCell.configuration)
        c.activityRegularizer = activityRegularizer
        c.returnSequences = returnSequences
        c.returnState = returnState
        c.goBackwards = goBackwards
        c.stateful = stateful
        c.unroll = unroll
        c.timeMajor = timeMajor
        c.zeroOutputForMask = zeroOutputForMask
        c.useCuDNN = useCuDNN
        c.name = name
        return c
    }
}
