/// Keras' `Adamax`: Adam with the infinity norm.
public struct Adamax: OptimizerRule {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public var className: String { "Adamax" }
    public var slotStartingValues: [Double] { [0, 0] }
    public var kerasSlotGroups: [[Int]] { [[0, 1]] }
    public var tfKeras2Slots: [Int]? { [0, 1] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon)
        let correction = 1 - Scalar.pow(b1, s.step)
        for i in w.indices {
            slots[0][i] += (s.gradient[i] - slots[0][i]) * (1 - b1)
            // TensorFlow's slices: the largest of the summed absolute values of the slices.
            slots[1][i] = Swift.max(b2 * slots[1][i], s.absolutes[i])
            w[i] -= s.learningRate * slots[0][i] / (correction * (slots[1][i] + eps))
        }
    }
}
