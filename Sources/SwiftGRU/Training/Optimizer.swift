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
    package var slots: [[[Scalar]]] = []
    /// Completed update steps (Keras' `iterations`).
    public package(set) var iterations = 0
    /// Nadam's running product of momentum schedules (Keras' `_u_product`).
    package var momentumProduct: Double = 1

    public init() {}

    /// Updates `weights` in place with their `gradients`.
    ///
    /// - Throws: ``LayerError`` when the weight and gradient lists do not match.
    // Specialized: called from other modules for Float, it would otherwise run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func apply(_ optimizer: Optimizer, gradients: [WeightGradient<Scalar>], to weights: inout [Tensor<Scalar>]) throws {
        guard gradients.count == weights.count, zip(gradients, weights).allSatisfy({ $0.shape == $1.shape }) else {
            throw LayerError(.invalidWeights, "the optimizer got \(gradients.count) gradients for \(weights.count) weights, or shapes that differ")
        }
        for (k, gradient) in gradients.enumerated()
        where [gradient.sliceSquares, gradient.sliceAbsolutes].contains(where: { $0.map { $0.count != gradient.values.count } ?? false }) {
            throw LayerError(.invalidWeights, "the slices' squares or absolute values of gradient \(k) (shape \(gradient.shape)) are not laid out as the gradient")
        }
        let sliced = gradients.map { $0.sliceSquares != nil || $0.sliceAbsolutes != nil }
        var grads = gradients.map(\.values)
        // Squares of each gradient: the slices' squares where TensorFlow keeps slices.
        var squares = gradients.map { $0.sliceSquares ?? $0.values.map { $0 * $0 } }
        var absolutes = gradients.map { $0.sliceAbsolutes ?? $0.values.map { abs($0) } }
        func scale(_ k: Int, by factor: Scalar) {
            grads[k] = grads[k].map { $0 * factor }
            squares[k] = squares[k].map { $0 * factor * factor }
            absolutes[k] = absolutes[k].map { $0 * abs(factor) }
        }
        // Clipping. Keras takes the norms over the slices; its norm clip keeps the slices, its
        // global scale (a plain product) hands the optimizer plain gradients. A gradient of some
        // rows sums the same entries as its dense form, in the same order, zeros left out.
        func dropSlices() {
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
            dropSlices()
        } else if let clipvalue = optimizer.clipvalue, clipvalue > 0 {
            // TensorFlow clips each slice of a sliced gradient on its own, which the sums here cannot give.
            guard !sliced.contains(true) else {
                throw LayerError(.unsupported, "clipvalue with an Embedding's gradient (TensorFlow clips each lookup's slice on its own) is not supported; use clipnorm or global_clipnorm")
            }
            let v = Scalar(clipvalue)
            grads = grads.map { $0.map { Swift.min(Swift.max($0, -v), v) } }
            dropSlices()
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
        let slotCount = rule.slotStartingValues.count
        for (k, weight) in weights.enumerated() where slots[k].count != slotCount || slots[k].contains(where: { $0.count != weight.scalarCount }) {
            throw LayerError(.invalidWeights, "the optimizer's state for weight \(k) (shape \(weight.shape)) is not \(slotCount) slot(s) of its size")
        }
        let step = Scalar(iterations + 1)
        if let product = rule.momentumProduct(after: Scalar(momentumProduct), step: step) { momentumProduct = Double(product) }
        for k in weights.indices {
            var w = weights[k].scalars
            if let decay = optimizer.weightDecay {
                let factor = Scalar(decay) * lr
                for i in w.indices { w[i] -= w[i] * factor }
            }
            var rows = gradients[k].rows
            if rows != nil, !rule.updatesRows {
                // Every entry for a rule that reads them all.
                grads[k] = gradients[k].expanded(grads[k])
                squares[k] = gradients[k].expanded(squares[k])
                absolutes[k] = gradients[k].expanded(absolutes[k])
                rows = nil
            }
            rule.update(&w, slots: &slots[k], OptimizerStep(
                gradient: grads[k], squares: squares[k], absolutes: absolutes[k], rows: rows, learningRate: lr, step: step,
                momentumProduct: Scalar(momentumProduct), epsilonOutsideSquareRoot: optimizer.epsilonOutsideSquareRoot))
            weights[k] = try Tensor(shape: weights[k].shape, scalars: w)
        }
        iterations += 1
    }
}
