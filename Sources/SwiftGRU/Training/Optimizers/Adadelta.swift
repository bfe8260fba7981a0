/// Keras' `Adadelta`.
public struct Adadelta: OptimizerRule {
    public var rho: Double
    public var epsilon: Double

    public init(rho: Double = 0.95, epsilon: Double = 1e-7) {
        self.rho = rho
        self.epsilon = epsilon
    }

    public var className: String { "Adadelta" }
    public var slotStartingValues: [Double] { [0, 0] }
    public var kerasSlotGroups: [[Int]] { [[0, 1]] }
    public var tfKeras2Slots: [Int]? { [0, 1] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let r = Scalar(rho), e = Scalar(epsilon)
        for i in w.indices {
            slots[0][i] = r * slots[0][i] + (1 - r) * s.squares[i]
            // TensorFlow's slices: each slice's step is squared before they are summed.
            let factor = (slots[1][i] + e).squareRoot() / (slots[0][i] + e).squareRoot()
            let delta = -factor * s.gradient[i]
            slots[1][i] = r * slots[1][i] + (1 - r) * factor * factor * s.squares[i]
            w[i] += s.learningRate * delta
        }
    }
}
