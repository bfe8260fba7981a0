/// Keras' `Ftrl`: follow the regularized leader.
public struct Ftrl: OptimizerRule {
    public var learningRatePower: Double
    public var initialAccumulatorValue: Double
    public var l1: Double
    public var l2: Double
    public var l2Shrinkage: Double
    public var beta: Double

    public init(
        learningRatePower: Double = -0.5, initialAccumulatorValue: Double = 0.1, l1: Double = 0, l2: Double = 0,
        l2Shrinkage: Double = 0, beta: Double = 0
    ) {
        self.learningRatePower = learningRatePower
        self.initialAccumulatorValue = initialAccumulatorValue
        self.l1 = l1
        self.l2 = l2
        self.l2Shrinkage = l2Shrinkage
        self.beta = beta
    }

    public var className: String { "Ftrl" }
    public var slotStartingValues: [Double] { [initialAccumulatorValue, 0] }
    public var kerasSlotGroups: [[Int]] { [[0, 1]] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let lr = s.learningRate, p = Scalar(learningRatePower), regularization = Scalar(l2) + Scalar(beta) / (2 * lr)
        for i in w.indices {
            let accumulator = slots[0][i], updated = accumulator + s.squares[i]
            let adjusted = s.gradient[i] + 2 * Scalar(l2Shrinkage) * w[i]
            slots[1][i] += adjusted - (Scalar.pow(updated, -p) - Scalar.pow(accumulator, -p)) / lr * w[i]
            let quadratic = Scalar.pow(updated, -p) / lr + 2 * regularization
            let linear = slots[1][i]
            let clipped = Swift.min(Swift.max(linear, -Scalar(l1)), Scalar(l1))
            w[i] = (clipped - linear) / quadratic
            slots[0][i] = updated
        }
    }
}
