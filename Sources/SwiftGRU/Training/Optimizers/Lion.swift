/// Keras' `Lion`: the sign of an interpolated momentum.
public struct Lion: OptimizerRule {
    public var beta1: Double
    public var beta2: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.99) {
        self.beta1 = beta1
        self.beta2 = beta2
    }

    public var className: String { "Lion" }
    public var slotStartingValues: [Double] { [0] }
    public var kerasSlotGroups: [[Int]] { [[0]] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let b1 = Scalar(beta1), b2 = Scalar(beta2), g = s.gradient
        for i in w.indices {
            let direction = slots[0][i] * b1 + g[i] * (1 - b1)
            w[i] -= s.learningRate * (direction > 0 ? 1 : direction < 0 ? -1 : 0)
            slots[0][i] = slots[0][i] * b2 + g[i] * (1 - b2)
        }
    }
}
