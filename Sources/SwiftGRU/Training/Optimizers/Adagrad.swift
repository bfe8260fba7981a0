@_spi(GRUKernels) import GRUTensor

/// Keras' `Adagrad`.
public struct Adagrad: OptimizerRule {
    public var initialAccumulatorValue: Double
    public var epsilon: Double

    public init(initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7) {
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public var className: String { "Adagrad" }
    public var slotStartingValues: [Double] { [initialAccumulatorValue] }
    public var kerasSlotGroups: [[Int]] { [[0]] }
    public var tfKeras2Slots: [Int]? { [0] }

    public var updatesRows: Bool { true }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let eps = Scalar(epsilon), lr = s.learningRate, outside = s.epsilonOutsideSquareRoot
        s.updateEntries(&w, slots: &slots) { piece in
            Scalar.adagradUpdate(
                count: piece.count, w: piece.w, weights: piece.weights, accumulator: piece.slots[0], gradient: piece.gradient,
                squares: piece.squares, lr: lr, eps: eps, epsilonOutside: outside)
        }
    }
}
