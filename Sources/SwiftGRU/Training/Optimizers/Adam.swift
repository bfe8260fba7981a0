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
        let b1 = Scalar(beta1), b2 = Scalar(beta2)
        let rule = AdamStep(
            c1: 1 - b1, c2: 1 - b2, eps: Scalar(epsilon),
            alpha: s.learningRate * (1 - Scalar.pow(b2, s.step)).squareRoot() / (1 - Scalar.pow(b1, s.step)))
        // The slots moved out while they are updated, so that the loops run on plain buffers.
        var m = [Scalar](), v = [Scalar](), vMax = [Scalar]()
        swap(&m, &slots[0])
        swap(&v, &slots[1])
        if amsgrad { swap(&vMax, &slots[2]) }
        defer {
            swap(&m, &slots[0])
            swap(&v, &slots[1])
            if amsgrad { swap(&vMax, &slots[2]) }
        }
        let count = w.count
        // Where the gradient is: every entry, or some rows (the rest zero).
        let rows = s.rows ?? [0]
        let width = s.rows == nil ? count : (rows.isEmpty ? 1 : s.gradient.count / rows.count)
        guard m.count == count, v.count == count, !amsgrad || vMax.count == count, rows.count * width == s.gradient.count,
              s.squares.count == s.gradient.count, rows.allSatisfy({ $0 >= 0 && ($0 + 1) * width <= count }) else { return }
        let amsgrad = amsgrad, weights = w
        // Written into a new array: `w` shares its storage with the layer, which an update in
        // place would first copy.
        w = [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
            defer { initialized = count }
            weights.withUnsafeBufferPointer { weights in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        vMax.withUnsafeMutableBufferPointer { vMax in
                            s.gradient.withUnsafeBufferPointer { g in
                                s.squares.withUnsafeBufferPointer { sq in
                                    guard let w = out.baseAddress, let weights = weights.baseAddress, let m = m.baseAddress,
                                          let v = v.baseAddress else {
                                        // Only an empty weight has no buffers.
                                        _ = out.initialize(from: weights)
                                        return
                                    }
                                    let buffers = AdamBuffers(
                                        w: w, weights: weights, m: m, v: v, vMax: amsgrad ? vMax.baseAddress : nil, g: g.baseAddress,
                                        sq: sq.baseAddress)
                                    // Every entry on its own, so that any split gives the same bits.
                                    let workers = parallelWorkers(total: count, minimumPerWorker: 1 << 16)
                                    parallelFor(workers) { worker in
                                        let lo = count / workers * worker, hi = worker == workers - 1 ? count : count / workers * (worker + 1)
                                        rule.run(buffers, lo..<hi, rows: rows, width: width)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The buffers of one weight's Adam update.
private struct AdamBuffers<Scalar: TensorScalar>: @unchecked Sendable {
    let w: UnsafeMutablePointer<Scalar>, weights: UnsafePointer<Scalar>, m: UnsafeMutablePointer<Scalar>, v: UnsafeMutablePointer<Scalar>
    let vMax: UnsafeMutablePointer<Scalar>?
    let g: UnsafePointer<Scalar>?, sq: UnsafePointer<Scalar>?
}

/// One Adam step's constants and its loops over a range of entries.
private struct AdamStep<Scalar: TensorScalar> {
    let c1: Scalar, c2: Scalar, eps: Scalar, alpha: Scalar

    /// Updates the entries in `range`: those of the gradient's `rows` (each `width` wide,
    /// stored in order) with it, the others with a zero gradient, which is the same arithmetic.
    func run(_ b: AdamBuffers<Scalar>, _ range: Range<Int>, rows: [Int], width: Int) {
        // The first row that ends after the range's start.
        var low = 0, high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if (rows[mid] + 1) * width <= range.lowerBound { low = mid + 1 } else { high = mid }
        }
        var j = low, at = range.lowerBound
        while at < range.upperBound {
            if j < rows.count, rows[j] * width <= at {
                let end = Swift.min((rows[j] + 1) * width, range.upperBound), offset = j * width + at - rows[j] * width
                update(b, at, end - at, gradient: b.g.map { $0 + offset }, squares: b.sq.map { $0 + offset })
                at = end
                if end == (rows[j] + 1) * width { j += 1 }
            } else {
                let end = j < rows.count ? Swift.min(rows[j] * width, range.upperBound) : range.upperBound
                update(b, at, end - at, gradient: nil, squares: nil)
                at = end
            }
        }
    }

    @inline(__always)
    private func update(_ b: AdamBuffers<Scalar>, _ start: Int, _ count: Int, gradient: UnsafePointer<Scalar>?, squares: UnsafePointer<Scalar>?) {
        Scalar.adamUpdate(
            count: count, w: b.w + start, weights: b.weights + start, m: b.m + start, v: b.v + start, vMax: b.vMax.map { $0 + start }, gradient: gradient,
            squares: squares, c1: c1, c2: c2, alpha: alpha, eps: eps)
    }
}
