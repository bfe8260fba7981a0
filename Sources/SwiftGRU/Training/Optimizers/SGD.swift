/// Keras' `SGD`: gradient descent, with momentum and Nesterov momentum.
public struct SGD: OptimizerRule {
    public var momentum: Double
    public var nesterov: Bool

    public init(momentum: Double = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public var className: String { "SGD" }
    public var slotStartingValues: [Double] { momentum != 0 ? [0] : [] }
    public var kerasSlotGroups: [[Int]] { momentum != 0 ? [[0]] : [] }
    public var tfKeras2Slots: [Int]? { momentum != 0 ? [0] : [] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let g = s.gradient, lr = s.learningRate
        guard momentum != 0 else {
            for i in w.indices { w[i] -= g[i] * lr }
            return
        }
        let mu = Scalar(momentum)
        for i in w.indices {
            slots[0][i] = slots[0][i] * mu - g[i] * lr
            w[i] += nesterov ? slots[0][i] * mu - g[i] * lr : slots[0][i]
        }
    }
}
