/// An optimizer with Keras 3's update rules and defaults, clipping and weight decay.
///
/// Each step runs as `keras.optimizers.Optimizer.apply` does: clip the
/// gradients (`clipnorm` per weight, or `globalClipnorm`, or `clipvalue`), apply
/// weight decay, update, then the caller applies constraints.
public struct Optimizer: Sendable, Hashable {
    /// The update rule and its settings.
    public enum Kind: Sendable, Hashable {
        case sgd(momentum: Double = 0, nesterov: Bool = false)
        case adam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false)
        case rmsprop(rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7, centered: Bool = false)
        case adagrad(initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7)
        case nadam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7)
        case adamax(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7)
        case adadelta(rho: Double = 0.95, epsilon: Double = 1e-7)
        case lion(beta1: Double = 0.9, beta2: Double = 0.99)
        case ftrl(
            learningRatePower: Double = -0.5, initialAccumulatorValue: Double = 0.1, l1: Double = 0, l2: Double = 0,
            l2Shrinkage: Double = 0, beta: Double = 0)
    }

    public var kind: Kind
    /// The constant rate, or the starting rate of ``learningRateSchedule``.
    public var learningRate: Double
    /// A rate that changes with the step count (Keras' `learning_rate` given a schedule);
    /// `nil` keeps ``learningRate`` constant.
    public var learningRateSchedule: LearningRateSchedule?
    /// Decoupled weight decay: `w -= w * weightDecay * learningRate` before each update.
    public var weightDecay: Double?
    public var clipnorm: Double?
    public var clipvalue: Double?
    public var globalClipnorm: Double?
    /// The Keras class name (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`).
    public var className: String
    /// tf.keras 2's formulas, where they differ from Keras 3's: its RMSprop without momentum and
    /// its Adagrad divide by `sqrt(v) + epsilon`, not `sqrt(v + epsilon)`. Set for the optimizer
    /// of a tf.keras 2 `.h5` file, which tf.keras trains with those.
    public var epsilonOutsideSquareRoot = false

    /// Creates an optimizer from its parts.
    public init(
        _ kind: Kind, learningRate: Double, weightDecay: Double? = nil, clipnorm: Double? = nil,
        clipvalue: Double? = nil, globalClipnorm: Double? = nil, className: String? = nil,
        learningRateSchedule: LearningRateSchedule? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
        switch kind {
        case .sgd: self.className = className ?? "SGD"
        case .adam: self.className = className ?? (weightDecay == nil ? "Adam" : "AdamW")
        case .rmsprop: self.className = className ?? "RMSprop"
        case .adagrad: self.className = className ?? "Adagrad"
        case .nadam: self.className = className ?? "Nadam"
        case .adamax: self.className = className ?? "Adamax"
        case .adadelta: self.className = className ?? "Adadelta"
        case .lion: self.className = className ?? "Lion"
        case .ftrl: self.className = className ?? "Ftrl"
        }
    }

    /// The rate of a step, given the number of steps already taken.
    public func learningRate(atStep step: Int) -> Double {
        learningRateSchedule?.learningRate(atStep: step) ?? learningRate
    }

    /// Keras' `SGD` (learning rate 0.01).
    public static func sgd(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false) -> Optimizer {
        Optimizer(.sgd(momentum: momentum, nesterov: nesterov), learningRate: learningRate)
    }

    /// Keras' `Adam` (learning rate 0.001).
    public static func adam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) -> Optimizer {
        Optimizer(.adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad), learningRate: learningRate)
    }

    /// Keras' `AdamW` (learning rate 0.001, weight decay 0.004).
    public static func adamW(learningRate: Double = 0.001, weightDecay: Double = 0.004, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) -> Optimizer {
        Optimizer(.adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad), learningRate: learningRate, weightDecay: weightDecay, className: "AdamW")
    }

    /// Keras' `RMSprop` (learning rate 0.001).
    public static func rmsprop(learningRate: Double = 0.001, rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7, centered: Bool = false) -> Optimizer {
        Optimizer(.rmsprop(rho: rho, momentum: momentum, epsilon: epsilon, centered: centered), learningRate: learningRate)
    }

    /// Keras' `Adagrad` (learning rate 0.001).
    public static func adagrad(learningRate: Double = 0.001, initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(.adagrad(initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Nadam`: Adam with Nesterov momentum (learning rate 0.001).
    public static func nadam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(.nadam(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Adamax`: Adam with the infinity norm (learning rate 0.001).
    public static func adamax(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(.adamax(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Adadelta` (learning rate 0.001).
    public static func adadelta(learningRate: Double = 0.001, rho: Double = 0.95, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(.adadelta(rho: rho, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Lion`: the sign of an interpolated momentum (learning rate 0.001).
    public static func lion(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.99) -> Optimizer {
        Optimizer(.lion(beta1: beta1, beta2: beta2), learningRate: learningRate)
    }

    /// Keras' `Ftrl`: follow the regularized leader (learning rate 0.001).
    public static func ftrl(
        learningRate: Double = 0.001, learningRatePower: Double = -0.5, initialAccumulatorValue: Double = 0.1, l1: Double = 0,
        l2: Double = 0, l2Shrinkage: Double = 0, beta: Double = 0
    ) -> Optimizer {
        Optimizer(
            .ftrl(learningRatePower: learningRatePower, initialAccumulatorValue: initialAccumulatorValue, l1: l1, l2: l2, l2Shrinkage: l2Shrinkage, beta: beta),
            learningRate: learningRate)
    }
}

/// The state an optimizer keeps per weight (momentums, velocities, accumulators)
/// and the step count.
public struct OptimizerState<Scalar: TensorScalar>: Sendable {
    /// Slot variables per weight, in the order weights are first seen.
    var slots: [[[Scalar]]] = []
    /// Completed update steps (Keras' `iterations`).
    public private(set) var iterations = 0
    /// Nadam's running product of momentum schedules (Keras' `_u_product`).
    var momentumProduct: Double = 1

    public init() {}

    /// Updates `weights` in place with their `gradients`.
    ///
    /// - Throws: ``LayerError`` when the weight and gradient lists do not match.
    /// - Parameters:
    ///   - sliceSquares: Per weight, the squares Keras uses when TensorFlow holds the gradient
    ///     as slices (see ``LayerGradients/sliceSquares``); `nil` for dense gradients.
    ///   - sliceAbsolutes: Likewise the slices' absolute values (``LayerGradients/sliceAbsolutes``).
    // Specialized: called from other modules for Float, it would otherwise run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func apply(
        _ optimizer: Optimizer, gradients: [Tensor<Scalar>], sliceSquares: [Tensor<Scalar>?] = [],
        sliceAbsolutes: [Tensor<Scalar>?] = [], to weights: inout [Tensor<Scalar>]
    ) throws {
        guard gradients.count == weights.count, zip(gradients, weights).allSatisfy({ $0.shape == $1.shape }) else {
            throw LayerError(.invalidWeights, "the optimizer got \(gradients.count) gradients for \(weights.count) weights, or shapes that differ")
        }
        var grads = gradients.map(\.scalars)
        // Squares of each gradient: the slices' squares where TensorFlow keeps slices.
        var squares = grads.indices.map { k in (k < sliceSquares.count ? sliceSquares[k]?.scalars : nil) ?? grads[k].map { $0 * $0 } }
        var absolutes = grads.indices.map { k in (k < sliceAbsolutes.count ? sliceAbsolutes[k]?.scalars : nil) ?? grads[k].map { abs($0) } }
        func scale(_ k: Int, by factor: Scalar) {
            grads[k] = grads[k].map { $0 * factor }
            squares[k] = squares[k].map { $0 * factor * factor }
            absolutes[k] = absolutes[k].map { $0 * abs(factor) }
        }
        // Clipping. Keras takes the norms over the slices; its norm clip keeps the slices, its
        // global scale (a plain product) hands the optimizer dense gradients.
        func densify() {
            squares = grads.map { $0.map { $0 * $0 } }
            absolutes = grads.map { $0.map { abs($0) } }
        }
        if let clipnorm = optimizer.clipnorm, clipnorm > 0 {
            let c = Scalar(clipnorm)
            for k in grads.indices {
                let norm = squares[k].reduce(0, +).squareRoot()
                scale(k, by: c / Swift.max(norm, c))
            }
        } else if let global = optimizer.globalClipnorm, global > 0 {
            let norm = squares.reduce(0) { $0 + $1.reduce(0, +) }.squareRoot()
            let factor = Scalar(global) / Swift.max(norm, Scalar(global))
            for k in grads.indices { scale(k, by: factor) }
            densify()
        } else if let clipvalue = optimizer.clipvalue, clipvalue > 0 {
            // TensorFlow clips each slice of a sliced gradient on its own, which the sums here cannot give.
            guard sliceSquares.allSatisfy({ $0 == nil }) else {
                throw LayerError(.unsupported, "clipvalue with an Embedding's gradient (TensorFlow clips each lookup's slice on its own) is not supported; use clipnorm or global_clipnorm")
            }
            let v = Scalar(clipvalue)
            grads = grads.map { $0.map { Swift.min(Swift.max($0, -v), v) } }
            densify()
        }
        let lr = Scalar(optimizer.learningRate(atStep: iterations))
        if slots.isEmpty {
            let initial = Self.slotStartingValues(optimizer.kind)
            slots = weights.map { w in initial.map { [Scalar](repeating: Scalar($0), count: w.scalarCount) } }
        }
        guard slots.count == weights.count else {
            throw LayerError(.invalidWeights, "the optimizer was built for \(slots.count) weights; got \(weights.count)")
        }
        let step = Scalar(iterations + 1)
        if case .nadam(let beta1, _, _) = optimizer.kind {
            momentumProduct = Double(Scalar(momentumProduct) * Scalar(beta1) * (1 - 0.5 * Scalar.pow(0.96, step)))
        }
        for k in weights.indices {
            var w = weights[k].scalars
            let g = grads[k]
            if let decay = optimizer.weightDecay {
                let factor = Scalar(decay) * lr
                for i in w.indices { w[i] -= w[i] * factor }
            }
            switch optimizer.kind {
            case .sgd(let momentum, let nesterov):
                if momentum != 0 {
                    let mu = Scalar(momentum)
                    for i in w.indices {
                        slots[k][0][i] = slots[k][0][i] * mu - g[i] * lr
                        w[i] += nesterov ? slots[k][0][i] * mu - g[i] * lr : slots[k][0][i]
                    }
                } else {
                    for i in w.indices { w[i] -= g[i] * lr }
                }
            case .adam(let beta1, let beta2, let epsilon, let amsgrad):
                let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon)
                let alpha = lr * (1 - Scalar.pow(b2, step)).squareRoot() / (1 - Scalar.pow(b1, step))
                // The slots moved out while they are updated, so that the loop runs on plain buffers.
                var m = [Scalar](), v = [Scalar](), vMax = [Scalar]()
                swap(&m, &slots[k][0])
                swap(&v, &slots[k][1])
                if amsgrad { swap(&vMax, &slots[k][2]) }
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        vMax.withUnsafeMutableBufferPointer { vMax in
                            w.withUnsafeMutableBufferPointer { w in
                                g.withUnsafeBufferPointer { g in
                                    squares[k].withUnsafeBufferPointer { sq in
                                        for i in 0..<w.count {
                                            m[i] += (g[i] - m[i]) * (1 - b1)
                                            v[i] += (sq[i] - v[i]) * (1 - b2)
                                            var denominator = v[i]
                                            if amsgrad {
                                                vMax[i] = Swift.max(vMax[i], v[i])
                                                denominator = vMax[i]
                                            }
                                            w[i] -= m[i] * alpha / (denominator.squareRoot() + eps)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                swap(&m, &slots[k][0])
                swap(&v, &slots[k][1])
                if amsgrad { swap(&vMax, &slots[k][2]) }
            case .rmsprop(let rho, let momentum, let epsilon, let centered):
                let r = Scalar(rho)
                for i in w.indices {
                    slots[k][0][i] = r * slots[k][0][i] + (1 - r) * squares[k][i]
                    var denominator = slots[k][0][i] + Scalar(epsilon)
                    if centered {
                        slots[k][2][i] = r * slots[k][2][i] + (1 - r) * g[i]
                        denominator = slots[k][0][i] - slots[k][2][i] * slots[k][2][i] + Scalar(epsilon)
                    }
                    let increment = optimizer.epsilonOutsideSquareRoot && momentum == 0
                        ? lr * g[i] / ((denominator - Scalar(epsilon)).squareRoot() + Scalar(epsilon))
                        : lr * g[i] / denominator.squareRoot()
                    if momentum > 0 {
                        slots[k][1][i] = Scalar(momentum) * slots[k][1][i] + increment
                        w[i] -= slots[k][1][i]
                    } else {
                        w[i] -= increment
                    }
                }
            case .adagrad(_, let epsilon):
                for i in w.indices {
                    slots[k][0][i] += squares[k][i]
                    w[i] -= optimizer.epsilonOutsideSquareRoot
                        ? lr * g[i] / (slots[k][0][i].squareRoot() + Scalar(epsilon))
                        : lr * g[i] / (slots[k][0][i] + Scalar(epsilon)).squareRoot()
                }
            case .nadam(let beta1, let beta2, let epsilon):
                let b1 = Scalar(beta1), b2 = Scalar(beta2)
                let ut = b1 * (1 - 0.5 * Scalar.pow(0.96, step)), ut1 = b1 * (1 - 0.5 * Scalar.pow(0.96, step + 1))
                let product = Scalar(momentumProduct), productNext = product * ut1
                let correction = 1 - Scalar.pow(b2, step)
                for i in w.indices {
                    slots[k][0][i] += (g[i] - slots[k][0][i]) * (1 - b1)
                    slots[k][1][i] += (squares[k][i] - slots[k][1][i]) * (1 - b2)
                    let mHat = ut1 * slots[k][0][i] / (1 - productNext) + (1 - ut) * g[i] / (1 - product)
                    let vHat = slots[k][1][i] / correction
                    w[i] -= mHat * lr / (vHat.squareRoot() + Scalar(epsilon))
                }
            case .adamax(let beta1, let beta2, let epsilon):
                let b1 = Scalar(beta1), b2 = Scalar(beta2)
                let correction = 1 - Scalar.pow(b1, step)
                for i in w.indices {
                    slots[k][0][i] += (g[i] - slots[k][0][i]) * (1 - b1)
                    // TensorFlow's slices: the largest of the summed absolute values of the slices.
                    slots[k][1][i] = Swift.max(b2 * slots[k][1][i], absolutes[k][i])
                    w[i] -= lr * slots[k][0][i] / (correction * (slots[k][1][i] + Scalar(epsilon)))
                }
            case .adadelta(let rho, let epsilon):
                let r = Scalar(rho), e = Scalar(epsilon)
                for i in w.indices {
                    slots[k][0][i] = r * slots[k][0][i] + (1 - r) * squares[k][i]
                    // TensorFlow's slices: each slice's step is squared before they are summed.
                    let factor = (slots[k][1][i] + e).squareRoot() / (slots[k][0][i] + e).squareRoot()
                    let delta = -factor * g[i]
                    slots[k][1][i] = r * slots[k][1][i] + (1 - r) * factor * factor * squares[k][i]
                    w[i] += lr * delta
                }
            case .lion(let beta1, let beta2):
                let b1 = Scalar(beta1), b2 = Scalar(beta2)
                for i in w.indices {
                    let direction = slots[k][0][i] * b1 + g[i] * (1 - b1)
                    w[i] -= lr * (direction > 0 ? 1 : direction < 0 ? -1 : 0)
                    slots[k][0][i] = slots[k][0][i] * b2 + g[i] * (1 - b2)
                }
            case .ftrl(let power, _, let l1, let l2, let shrinkage, let beta):
                let p = Scalar(power), regularization = Scalar(l2) + Scalar(beta) / (2 * lr)
                for i in w.indices {
                    let accumulator = slots[k][0][i], updated = accumulator + squares[k][i]
                    let adjusted = g[i] + 2 * Scalar(shrinkage) * w[i]
                    slots[k][1][i] += adjusted - (Scalar.pow(updated, -p) - Scalar.pow(accumulator, -p)) / lr * w[i]
                    let quadratic = Scalar.pow(updated, -p) / lr + 2 * regularization
                    let linear = slots[k][1][i]
                    let clipped = Swift.min(Swift.max(linear, -Scalar(l1)), Scalar(l1))
                    w[i] = (clipped - linear) / quadratic
                    slots[k][0][i] = updated
                }
            }
            weights[k] = try Tensor(shape: weights[k].shape, scalars: w)
        }
        iterations += 1
    }
}

extension OptimizerState {
    /// The slot variables in Keras' creation order: groups of slots that Keras creates
    /// together, each weight's slots of a group listed together before the next weight's.
    private static func kerasSlotGroups(_ kind: Optimizer.Kind) -> [[Int]] {
        switch kind {
        case .sgd(let momentum, _): momentum != 0 ? [[0]] : []
        case .adam(_, _, _, let amsgrad): [[0, 1]] + (amsgrad ? [[2]] : [])
        case .rmsprop(_, let momentum, _, let centered): [[0]] + (momentum > 0 ? [[1]] : []) + (centered ? [[2]] : [])
        case .adagrad, .lion: [[0]]
        case .nadam, .adamax, .adadelta, .ftrl: [[0, 1]]
        }
    }

    /// The state as Keras lists `optimizer.variables` (and writes `optimizer/vars` in a
    /// `.keras` file): the iteration count, the learning rate when it is constant, each slot
    /// variable in Keras' creation order, and Nadam's momentum product. Empty before the
    /// first step, as Keras' unbuilt optimizer.
    public func kerasVariables(for optimizer: Optimizer, weightShapes: [[Int]]) -> [Tensor<Double>] {
        guard !slots.isEmpty, slots.count == weightShapes.count else { return [] }
        var variables = [Tensor<Double>(repeating: Double(iterations), shape: [])]
        if optimizer.learningRateSchedule == nil {
            variables.append(Tensor(repeating: Double(Float(optimizer.learningRate)), shape: []))
        }
        for group in Self.kerasSlotGroups(optimizer.kind) {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group where slot < slots[k].count {
                    variables.append(Tensor(uncheckedShape: shape, scalars: slots[k][slot].map(Double.init)))
                }
            }
        }
        if case .nadam = optimizer.kind { variables.append(Tensor(repeating: momentumProduct, shape: [])) }
        return variables
    }

    /// The state Keras saved (`optimizer/vars`, in ``kerasVariables(for:weightShapes:)``'s
    /// order) for `optimizer` training weights of `weightShapes`.
    ///
    /// - Throws: ``LayerError`` when the variables do not fit the optimizer and the weights.
    public init(kerasVariables variables: [Tensor<Double>], optimizer: Optimizer, weightShapes: [[Int]]) throws {
        self.init()
        guard !variables.isEmpty else { return }
        var rest = variables[...]
        func next(_ what: String, shape: [Int]) throws -> Tensor<Double> {
            guard let variable = rest.popFirst() else {
                throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables; \(optimizer.className) needs more (\(what))")
            }
            guard variable.shape == shape || (shape.isEmpty && variable.scalarCount == 1) else {
                throw LayerError(.invalidWeights, "the saved optimizer state's \(what) has shape \(variable.shape); \(shape) was expected")
            }
            return variable
        }
        let count = try next("iteration count", shape: [])
        guard let first = count.scalars.first, first >= 0, first < 1e15, first.rounded() == first else {
            throw LayerError(.invalidWeights, "the saved optimizer state's iteration count \(count.scalars) is not a step count")
        }
        if optimizer.learningRateSchedule == nil { _ = try next("learning rate", shape: []) }
        // An optimizer saved before it was built (a model compiled, not trained) holds only
        // its step count and rate; Keras starts it afresh, and so does this.
        guard !rest.isEmpty || Self.kerasSlotGroups(optimizer.kind).isEmpty else { return }
        iterations = Int(first)
        let initial = Self.slotStartingValues(optimizer.kind)
        var restored = weightShapes.map { shape in initial.map { [Scalar](repeating: Scalar($0), count: shape.reduce(1, *)) } }
        for group in Self.kerasSlotGroups(optimizer.kind) {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group {
                    restored[k][slot] = try next("slot \(slot) of weight \(k)", shape: shape).scalars.map { Scalar($0) }
                }
            }
        }
        if case .nadam = optimizer.kind { momentumProduct = try next("momentum product", shape: []).scalars[0] }
        guard rest.isEmpty else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables, more than \(optimizer.className) uses for these weights")
        }
        slots = restored
    }

    /// The slots tf.keras 2's optimizers keep, in the order they create them (each kind for
    /// every weight in turn); `nil` for the optimizers whose tf.keras 2 state is not read here.
    private static func tfKeras2Slots(_ kind: Optimizer.Kind) -> [Int]? {
        switch kind {
        case .sgd(let momentum, _): momentum != 0 ? [0] : []
        case .adam(_, _, _, let amsgrad): amsgrad ? [0, 1, 2] : [0, 1]
        case .rmsprop(_, let momentum, _, let centered): [0] + (momentum > 0 ? [1] : []) + (centered ? [2] : [])
        case .adagrad: [0]
        case .adamax, .adadelta: [0, 1]
        case .nadam, .lion, .ftrl: nil
        }
    }

    /// The state as a tf.keras 2 `.h5` file keeps it (`optimizer_weights`): the iteration
    /// count, then each kind of slot for every weight in turn; empty before the first step.
    ///
    /// - Throws: ``LayerError`` for an optimizer whose tf.keras 2 state is not written here.
    public func tfKeras2Variables(for optimizer: Optimizer, weightShapes: [[Int]]) throws -> [Tensor<Double>] {
        guard let order = Self.tfKeras2Slots(optimizer.kind) else {
            throw LayerError(.unsupported, "the state of \(optimizer.className) is not written in tf.keras 2's layout")
        }
        guard !slots.isEmpty, slots.count == weightShapes.count else { return [] }
        var variables = [Tensor<Double>(repeating: Double(iterations), shape: [])]
        for slot in order {
            for (k, shape) in weightShapes.enumerated() where slot < slots[k].count {
                variables.append(Tensor(uncheckedShape: shape, scalars: slots[k][slot].map(Double.init)))
            }
        }
        return variables
    }

    /// The state a tf.keras 2 `.h5` file saved (`optimizer_weights`, in
    /// ``tfKeras2Variables(for:weightShapes:)``'s order), read as tf.keras reads it: a Keras
    /// 2.0-2.2 RMSprop saved no iteration count (it starts from 0), and the `vhat` slots a
    /// Keras 2.0-2.2 Adam kept without amsgrad are left out.
    ///
    /// - Throws: ``LayerError`` when the variables do not fit the optimizer and the weights, or
    ///   the optimizer's tf.keras 2 state is not read here.
    public init(tfKeras2Variables variables: [Tensor<Double>], optimizer: Optimizer, weightShapes: [[Int]]) throws {
        self.init()
        guard !variables.isEmpty else { return }
        guard let order = Self.tfKeras2Slots(optimizer.kind) else {
            throw LayerError(.unsupported, "the saved state of a tf.keras 2 \(optimizer.className) is not read here")
        }
        let n = weightShapes.count
        var values = variables
        if values.count == order.count * n { values.insert(Tensor(repeating: 0, shape: []), at: 0) }
        if case .adam(_, _, _, false) = optimizer.kind, values.count == 3 * n + 1 { values.removeLast(n) }
        guard values.count == order.count * n + 1 else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables; \(optimizer.className) keeps \(order.count * n + 1) for \(n) weights")
        }
        guard let first = values[0].scalars.first, values[0].scalarCount == 1, first >= 0, first < 1e15, first.rounded() == first else {
            throw LayerError(.invalidWeights, "the saved optimizer state's iteration count \(values[0].scalars) is not a step count")
        }
        let initial = Self.slotStartingValues(optimizer.kind)
        var restored = weightShapes.map { shape in initial.map { [Scalar](repeating: Scalar($0), count: shape.reduce(1, *)) } }
        var index = 1
        for slot in order {
            for (k, shape) in weightShapes.enumerated() {
                guard values[index].shape == shape else {
                    throw LayerError(.invalidWeights, "the saved optimizer state's slot \(slot) of weight \(k) has shape \(values[index].shape); \(shape) was expected")
                }
                restored[k][slot] = values[index].scalars.map { Scalar($0) }
                index += 1
            }
        }
        iterations = Int(first)
        slots = restored
    }

    /// The starting value of each slot a weight has here.
    private static func slotStartingValues(_ kind: Optimizer.Kind) -> [Double] {
        switch kind {
        case .sgd(let momentum, _): momentum != 0 ? [0] : []
        case .adam(_, _, _, let amsgrad): amsgrad ? [0, 0, 0] : [0, 0]
        case .rmsprop: [0, 0, 0]
        case .adagrad(let initial, _): [initial]
        case .nadam, .adamax, .adadelta: [0, 0]
        case .lion: [0]
        case .ftrl(_, let initial, _, _, _, _): [initial, 0]
        }
    }
}
