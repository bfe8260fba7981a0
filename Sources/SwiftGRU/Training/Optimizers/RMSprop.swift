@_spi(GRUKernels) import GRUTensor

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

    public var updatesRows: Bool { true }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let r = Scalar(rho), eps = Scalar(epsilon), lr = s.learningRate, centered = centered, momentum = momentum
        let outside = s.epsilonOutsideSquareRoot && momentum == 0
        s.updateEntries(&w, slots: &slots) { piece in
            Scalar.rmspropUpdate(
                count: piece.count, w: piece.w, weights: piece.weights, v: piece.slots[0], momentumSlot: momentum > 0 ? piece.slots[1] : nil,
                average: centered ? piece.slots[2] : nil, gradient: piece.gradient, squares: piece.squares, rho: r, c: 1 - r,
                momentum: Scalar(momentum), lr: lr, eps: eps, epsilonOutside: outside)
        }
    }
}
