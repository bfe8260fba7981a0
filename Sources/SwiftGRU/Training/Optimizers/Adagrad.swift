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

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let eps = Scalar(epsilon), lr = s.learningRate
        for i in w.indices {
            slots[0][i] += s.squares[i]
            w[i] -= s.epsilonOutsideSquareRoot
                ? lr * s.gradient[i] / (slots[0][i].squareRoot() + eps)
                : lr * s.gradient[i] / (slots[0][i] + eps).squareRoot()
        }
    }
}
