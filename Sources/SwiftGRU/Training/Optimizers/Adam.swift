@_spi(GRUKernels) import GRUTensor

/// Keras' `Adam` (and `AdamW`, which is Adam with ``Optimizer/weightDecay``), with amsgrad.
public struct Adam: OptimizerRule {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var amsgrad: Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
    }

    public var className: String { "Adam" }
    public var slotStartingValues: [Double] { amsgrad ? [0, 0, 0] : [0, 0] }
    public var kerasSlotGroups: [[Int]] { [[0, 1]] + (amsgrad ? [[2]] : []) }
    public var tfKeras2Slots: [Int]? { amsgrad ? [0, 1, 2] : [0, 1] }
    public var tfKeras2UnreadSlots: Int { amsgrad ? 0 : 1 }

    public var updatesRows: Bool { true }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon), amsgrad = amsgrad
        let alpha = s.learningRate * (1 - Scalar.pow(b2, s.step)).squareRoot() / (1 - Scalar.pow(b1, s.step))
        s.updateEntries(&w, slots: &slots) { piece in
            Scalar.adamUpdate(
                count: piece.count, w: piece.w, weights: piece.weights, m: piece.slots[0], v: piece.slots[1], vMax: amsgrad ? piece.slots[2] : nil,
                gradient: piece.gradient, squares: piece.squares, c1: 1 - b1, c2: 1 - b2, alpha: alpha, eps: eps)
        }
    }
}
