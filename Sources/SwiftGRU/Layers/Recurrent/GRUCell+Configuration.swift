extension GRUCell {
    /// The arguments of a GRU cell: Keras' `get_config()` of a `GRUCell` in camel case, with
    /// Keras' defaults. ``GRU/Configuration`` adds the layer's own.
    public struct Configuration: Sendable {
        /// Size of the state and of the output; must be positive.
        public var units: Int
        /// The candidate activation (`.linear` for Keras' `NULL`).
        public var activation: Activation = .tanh
        /// The gate activation.
        public var recurrentActivation: Activation = .sigmoid
        public var useBias = true
        public var kernelInitializer: Initializer = .glorotUniform()
        public var recurrentInitializer: Initializer = .orthogonal()
        public var biasInitializer: Initializer = .zeros
        public var kernelRegularizer: Regularizer?
        public var recurrentRegularizer: Regularizer?
        public var biasRegularizer: Regularizer?
        public var kernelConstraint: Constraint?
        public var recurrentConstraint: Constraint?
        public var biasConstraint: Constraint?
        /// Fraction of the inputs dropped in training, in `[0, 1)`.
        public var dropout = 0.0
        /// Fraction of the state dropped in the recurrent products in training, in `[0, 1)`.
        public var recurrentDropout = 0.0
        /// Seed of the dropout masks; `nil` draws one from `GlobalRandom`.
        public var seed: UInt64?
        /// Whether the reset gate is applied after the recurrent product (cuDNN's convention).
        public var resetAfter = true

        /// Keras' defaults for a cell of `units` units.
        public init(units: Int) { self.units = units }

        /// Every argument, with Keras' defaults; `nil` activations are linear (Keras' `NULL`).
        public init(
            units: Int, activation: Activation?, recurrentActivation: Activation?, useBias: Bool,
            kernelInitializer: Initializer, recurrentInitializer: Initializer, biasInitializer: Initializer,
            kernelRegularizer: Regularizer?, recurrentRegularizer: Regularizer?, biasRegularizer: Regularizer?,
            kernelConstraint: Constraint?, recurrentConstraint: Constraint?, biasConstraint: Constraint?,
            dropout: Double, recurrentDropout: Double, seed: UInt64?, resetAfter: Bool
        ) {
            self.units = units
            self.activation = activation ?? .linear
            self.recurrentActivation = recurrentActivation ?? .linear
            self.useBias = useBias
            self.kernelInitializer = kernelInitializer
            self.recurrentInitializer = recurrentInitializer
            self.biasInitializer = biasInitializer
            self.kernelRegularizer = kernelRegularizer
            self.recurrentRegularizer = recurrentRegularizer
            self.biasRegularizer = biasRegularizer
            self.kernelConstraint = kernelConstraint
            self.recurrentConstraint = recurrentConstraint
            self.biasConstraint = biasConstraint
            self.dropout = dropout
            self.recurrentDropout = recurrentDropout
            self.seed = seed
            self.resetAfter = resetAfter
        }

        /// Checks the arguments as Keras does.
        ///
        /// - Throws: ``LayerError`` when `units <= 0`, a rate is outside `[0, 1)`, or an
        ///   activation changes the width of its input (`glu`).
        func validate() throws {
            try WeightLimits.checkUnits(units, layer: "GRU")
            try checkRate(dropout, "dropout", layer: "GRU")
            try checkRate(recurrentDropout, "recurrent_dropout", layer: "GRU")
            for (argument, function) in [("activation", activation), ("recurrent_activation", recurrentActivation)]
            where !function.preservesWidth {
                throw LayerError(.invalidArgument, "GRU: \(argument) '\(function.name)' changes the width of its input and cannot be used in a GRU")
            }
        }
    }
}
