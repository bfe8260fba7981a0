/// An optimizer with Keras 3's update rules and defaults, clipping and weight decay.
///
/// Each step runs as `keras.optimizers.Optimizer.apply` does: clip the
/// gradients (`clipnorm` per weight, or `globalClipnorm`, or `clipvalue`), apply
/// weight decay, update, then the caller applies constraints.
public struct Optimizer: Sendable, Hashable {
    /// The update rule and its settings: one type per Keras optimizer class (``Adam``, ``SGD``, ...).
    public var rule: any OptimizerRule
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
    /// The Keras class name (`SGD`, `Adam`, `AdamW`, ...): the rule's, or another class
    /// computing with it (`AdamW`).
    public var className: String
    /// tf.keras 2's formulas, where they differ from Keras 3's: its RMSprop without momentum and
    /// its Adagrad divide by `sqrt(v) + epsilon`, not `sqrt(v + epsilon)`. Set for the optimizer
    /// of a tf.keras 2 `.h5` file, which tf.keras trains with those.
    public var epsilonOutsideSquareRoot = false

    /// Creates an optimizer from its parts.
    public init(
        _ rule: some OptimizerRule, learningRate: Double, weightDecay: Double? = nil, clipnorm: Double? = nil,
        clipvalue: Double? = nil, globalClipnorm: Double? = nil, className: String? = nil,
        learningRateSchedule: LearningRateSchedule? = nil
    ) {
        self.rule = rule
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
        self.className = className ?? rule.className
    }

    public static func == (a: Optimizer, b: Optimizer) -> Bool {
        AnyHashable(a.rule) == AnyHashable(b.rule) && a.learningRate == b.learningRate && a.learningRateSchedule == b.learningRateSchedule
            && a.weightDecay == b.weightDecay && a.clipnorm == b.clipnorm && a.clipvalue == b.clipvalue
            && a.globalClipnorm == b.globalClipnorm && a.className == b.className && a.epsilonOutsideSquareRoot == b.epsilonOutsideSquareRoot
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(rule))
        hasher.combine(learningRate)
        hasher.combine(className)
    }

    /// The rate of a step, given the number of steps already taken.
    public func learningRate(atStep step: Int) -> Double {
        learningRateSchedule?.learningRate(atStep: step) ?? learningRate
    }

    /// Keras' `SGD` (learning rate 0.01).
    public static func sgd(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false) -> Optimizer {
        Optimizer(SGD(momentum: momentum, nesterov: nesterov), learningRate: learningRate)
    }

    /// Keras' `Adam` (learning rate 0.001).
    public static func adam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) -> Optimizer {
        Optimizer(Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad), learningRate: learningRate)
    }

    /// Keras' `AdamW` (learning rate 0.001, weight decay 0.004).
    public static func adamW(learningRate: Double = 0.001, weightDecay: Double = 0.004, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) -> Optimizer {
        Optimizer(Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad), learningRate: learningRate, weightDecay: weightDecay, className: "AdamW")
    }

    /// Keras' `RMSprop` (learning rate 0.001).
    public static func rmsprop(learningRate: Double = 0.001, rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7, centered: Bool = false) -> Optimizer {
        Optimizer(RMSprop(rho: rho, momentum: momentum, epsilon: epsilon, centered: centered), learningRate: learningRate)
    }

    /// Keras' `Adagrad` (learning rate 0.001).
    public static func adagrad(learningRate: Double = 0.001, initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(Adagrad(initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Nadam`: Adam with Nesterov momentum (learning rate 0.001).
    public static func nadam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(Nadam(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Adamax`: Adam with the infinity norm (learning rate 0.001).
    public static func adamax(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(Adamax(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Adadelta` (learning rate 0.001).
    public static func adadelta(learningRate: Double = 0.001, rho: Double = 0.95, epsilon: Double = 1e-7) -> Optimizer {
        Optimizer(Adadelta(rho: rho, epsilon: epsilon), learningRate: learningRate)
    }

    /// Keras' `Lion`: the sign of an interpolated momentum (learning rate 0.001).
    public static func lion(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.99) -> Optimizer {
        Optimizer(Lion(beta1: beta1, beta2: beta2), learningRate: learningRate)
    }

    /// Keras' `Ftrl`: follow the regularized leader (learning rate 0.001).
    public static func ftrl(
        learningRate: Double = 0.001, learningRatePower: Double = -0.5, initialAccumulatorValue: Double = 0.1, l1: Double = 0,
        l2: Double = 0, l2Shrinkage: Double = 0, beta: Double = 0
    ) -> Optimizer {
        Optimizer(
            Ftrl(learningRatePower: learningRatePower, initialAccumulatorValue: initialAccumulatorValue, l1: l1, l2: l2, l2Shrinkage: l2Shrinkage, beta: beta),
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
        let rule = optimizer.rule
        if slots.isEmpty {
            let initial = rule.slotStartingValues
            slots = weights.map { w in initial.map { [Scalar](repeating: Scalar($0), count: w.scalarCount) } }
        }
        guard slots.count == weights.count else {
            throw LayerError(.invalidWeights, "the optimizer was built for \(slots.count) weights; got \(weights.count)")
        }
        let step = Scalar(iterations + 1)
        if let product = rule.momentumProduct(after: Scalar(momentumProduct), step: step) { momentumProduct = Double(product) }
        for k in weights.indices {
            var w = weights[k].scalars
            if let decay = optimizer.weightDecay {
                let factor = Scalar(decay) * lr
                for i in w.indices { w[i] -= w[i] * factor }
            }
            rule.update(&w, slots: &slots[k], OptimizerStep(
                gradient: grads[k], squares: squares[k], absolutes: absolutes[k], learningRate: lr, step: step,
                momentumProduct: Scalar(momentumProduct), epsilonOutsideSquareRoot: optimizer.epsilonOutsideSquareRoot))
            weights[k] = try Tensor(shape: weights[k].shape, scalars: w)
        }
        iterations += 1
    }
}

extension OptimizerState {
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
        for group in optimizer.rule.kerasSlotGroups {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group where slot < slots[k].count {
                    variables.append(Tensor(uncheckedShape: shape, scalars: slots[k][slot].map(Double.init)))
                }
            }
        }
        if optimizer.rule.keepsMomentumProduct { variables.append(Tensor(repeating: momentumProduct, shape: [])) }
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
        guard !rest.isEmpty || optimizer.rule.kerasSlotGroups.isEmpty else { return }
        iterations = Int(first)
        let initial = optimizer.rule.slotStartingValues
        var restored = weightShapes.map { shape in initial.map { [Scalar](repeating: Scalar($0), count: shape.reduce(1, *)) } }
        for group in optimizer.rule.kerasSlotGroups {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group {
                    restored[k][slot] = try next("slot \(slot) of weight \(k)", shape: shape).scalars.map { Scalar($0) }
                }
            }
        }
        if optimizer.rule.keepsMomentumProduct {
            momentumProduct = try next("momentum product", shape: []).scalars[0]
        }
        guard rest.isEmpty else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables, more than \(optimizer.className) uses for these weights")
        }
        slots = restored
    }

    /// The state as a tf.keras 2 `.h5` file keeps it (`optimizer_weights`): the iteration
    /// count, then each kind of slot for every weight in turn; empty before the first step.
    ///
    /// - Throws: ``LayerError`` for an optimizer whose tf.keras 2 state is not written here.
    public func tfKeras2Variables(for optimizer: Optimizer, weightShapes: [[Int]]) throws -> [Tensor<Double>] {
        guard let order = optimizer.rule.tfKeras2Slots else {
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
        guard let order = optimizer.rule.tfKeras2Slots else {
            throw LayerError(.unsupported, "the saved state of a tf.keras 2 \(optimizer.className) is not read here")
        }
        let n = weightShapes.count
        var values = variables
        if values.count == order.count * n { values.insert(Tensor(repeating: 0, shape: []), at: 0) }
        let unread = optimizer.rule.tfKeras2UnreadSlots
        if unread > 0, values.count == (order.count + unread) * n + 1 { values.removeLast(unread * n) }
        guard values.count == order.count * n + 1 else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables; \(optimizer.className) keeps \(order.count * n + 1) for \(n) weights")
        }
        guard let first = values[0].scalars.first, values[0].scalarCount == 1, first >= 0, first < 1e15, first.rounded() == first else {
            throw LayerError(.invalidWeights, "the saved optimizer state's iteration count \(values[0].scalars) is not a step count")
        }
        let initial = optimizer.rule.slotStartingValues
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
}
