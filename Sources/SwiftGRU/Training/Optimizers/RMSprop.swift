/// Keras' `RMSprop`, with momentum and centering.
public struct RMSprop: OptimizerRule {
    public var rho: Double
    public var momentum: Double
    public var epsilon: Double
    public var centered: Bool

    public init(rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7, centered: Bool = false) {
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
    }

    public var className: String { "RMSprop" }
    public var slotStartingValues: [Double] { [0, 0, 0] }
    public var kerasSlotGroups: [[Int]] { [[0]] + (momentum > 0 ? [[1]] : []) + (centered ? [[2]] : []) }
    public var tfKeras2Slots: [Int]? { [0] + (momentum > 0 ? [1] : []) + (centered ? [2] : []) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let r = Scalar(rho), eps = Scalar(epsilon), g = s.gradient, lr = s.learningRate
        for i in w.indices {
            slots[0][i] = r * slots[0][i] + (1 - r) * s.squares[i]
            var denominator = slots[0][i] + eps
            if centered {
                slots[2][i] = r * slots[2][i] + (1 - r) * g[i]
                denominator = slots[0][i] - slots[2][i] * slots[2][i] + eps
            }
            let increment = s.epsilonOutsideSquareRoot && momentum == 0
                ? lr * g[i] / ((denominator - eps).squareRoot() + eps)
                : lr * g[i] / denominator.squareRoot()
            if momentum > 0 {
                slots[1][i] = Scalar(momentum) * slots[1][i] + increment
                w[i] -= slots[1][i]
            } else {
                w[i] -= increment
            }
        }
    }
}
