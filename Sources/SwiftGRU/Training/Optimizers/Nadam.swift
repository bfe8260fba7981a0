/// Keras' `Nadam`: Adam with Nesterov momentum and Keras' momentum schedule.
public struct Nadam: OptimizerRule {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public var className: String { "Nadam" }
    public var slotStartingValues: [Double] { [0, 0] }
    public var kerasSlotGroups: [[Int]] { [[0, 1]] }
    public var keepsMomentumProduct: Bool { true }

    public func momentumProduct<Scalar: TensorScalar>(after product: Scalar, step: Scalar) -> Scalar? {
        product * Scalar(beta1) * (1 - 0.5 * Scalar.pow(0.96, step))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon), g = s.gradient
        let ut = b1 * (1 - 0.5 * Scalar.pow(0.96, s.step)), ut1 = b1 * (1 - 0.5 * Scalar.pow(0.96, s.step + 1))
        let product = s.momentumProduct, productNext = product * ut1
        let correction = 1 - Scalar.pow(b2, s.step)
        for i in w.indices {
            slots[0][i] += (g[i] - slots[0][i]) * (1 - b1)
            slots[1][i] += (s.squares[i] - slots[1][i]) * (1 - b2)
            let mHat = ut1 * slots[0][i] / (1 - productNext) + (1 - ut) * g[i] / (1 - product)
            let vHat = slots[1][i] / correction
            w[i] -= mHat * s.learningRate / (vHat.squareRoot() + eps)
        }
    }
}
