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

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func update<Scalar: TensorScalar>(_ w: inout [Scalar], slots: inout [[Scalar]], _ s: OptimizerStep<Scalar>) {
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon), amsgrad = amsgrad
        let alpha = s.learningRate * (1 - Scalar.pow(b2, s.step)).squareRoot() / (1 - Scalar.pow(b1, s.step))
        // The slots moved out while they are updated, so that the loop runs on plain buffers.
        var m = [Scalar](), v = [Scalar](), vMax = [Scalar]()
        swap(&m, &slots[0])
        swap(&v, &slots[1])
        if amsgrad { swap(&vMax, &slots[2]) }
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                vMax.withUnsafeMutableBufferPointer { vMax in
                    w.withUnsafeMutableBufferPointer { w in
                        s.gradient.withUnsafeBufferPointer { g in
                            s.squares.withUnsafeBufferPointer { sq in
                                // Two loops, so that the usual one has no branch and runs in vectors.
                                guard amsgrad else {
                                    for i in 0..<w.count {
                                        m[i] += (g[i] - m[i]) * (1 - b1)
                                        v[i] += (sq[i] - v[i]) * (1 - b2)
                                        w[i] -= m[i] * alpha / (v[i].squareRoot() + eps)
                                    }
                                    return
                                }
                                for i in 0..<w.count {
                                    m[i] += (g[i] - m[i]) * (1 - b1)
                                    v[i] += (sq[i] - v[i]) * (1 - b2)
                                    vMax[i] = Swift.max(vMax[i], v[i])
                                    w[i] -= m[i] * alpha / (vMax[i].squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
        swap(&m, &slots[0])
        swap(&v, &slots[1])
        if amsgrad { swap(&vMax, &slots[2]) }
    }
}
