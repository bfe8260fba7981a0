/// A training loss with Keras' formulas, clipping (epsilon 1e-7) and its
/// default reduction (`sum_over_batch_size`: the mean over samples and steps,
/// or over the unmasked steps when the output carries a mask).
public enum Loss: Sendable, Hashable {
    case meanSquaredError
    case meanAbsoluteError
    /// With `labelSmoothing`, targets move toward 0.5: `y * (1 - s) + 0.5 * s`.
    case binaryCrossentropy(fromLogits: Bool = false, labelSmoothing: Double = 0)
    /// With `labelSmoothing`, targets move toward uniform: `y * (1 - s) + s / classes`.
    case categoricalCrossentropy(fromLogits: Bool = false, labelSmoothing: Double = 0)
    case sparseCategoricalCrossentropy(fromLogits: Bool = false)
    /// Quadratic below `delta`, linear above (Keras' `Huber`).
    case huber(delta: Double = 1)
    /// `log(cosh(prediction - target))` (Keras' `LogCosh`).
    case logCosh
    /// `sum(y * log(y / prediction))`, both clipped to `[epsilon, 1]` (Keras' `KLDivergence`).
    case kullbackLeiblerDivergence
    /// `prediction - y * log(prediction + epsilon)` (Keras' `Poisson`).
    case poisson
    /// The negative cosine of the angle between prediction and target along the last axis
    /// (Keras' `CosineSimilarity`).
    case cosineSimilarity

    static let epsilon = 1e-7

    /// Looks a loss up by a Keras name (`"mse"`, `"mean_squared_error"`, `"MeanSquaredError"`, ...).
    ///
    /// - Throws: ``LayerError`` with kind `.unknownName` for any other name.
    public init(named name: String, fromLogits: Bool = false) throws {
        switch String(name.filter { $0 != "_" }).lowercased() {
        case "mse", "meansquarederror": self = .meanSquaredError
        case "mae", "meanabsoluteerror": self = .meanAbsoluteError
        case "binarycrossentropy": self = .binaryCrossentropy(fromLogits: fromLogits)
        case "categoricalcrossentropy": self = .categoricalCrossentropy(fromLogits: fromLogits)
        case "sparsecategoricalcrossentropy": self = .sparseCategoricalCrossentropy(fromLogits: fromLogits)
        case "huber", "huberloss": self = .huber()
        case "logcosh": self = .logCosh
        case "kld", "kldivergence", "kullbackleiblerdivergence": self = .kullbackLeiblerDivergence
        case "poisson": self = .poisson
        case "cosinesimilarity": self = .cosineSimilarity
        default:
            throw LayerError(.unknownName, "unknown loss '\(name)'; known losses: mean_squared_error (mse), mean_absolute_error (mae), binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, huber, log_cosh, kl_divergence (kld), poisson, cosine_similarity")
        }
    }

    /// The Keras function name.
    public var name: String {
        switch self {
        case .meanSquaredError: "mean_squared_error"
        case .meanAbsoluteError: "mean_absolute_error"
        case .binaryCrossentropy: "binary_crossentropy"
        case .categoricalCrossentropy: "categorical_crossentropy"
        case .sparseCategoricalCrossentropy: "sparse_categorical_crossentropy"
        case .huber: "huber_loss"
        case .logCosh: "log_cosh"
        case .kullbackLeiblerDivergence: "kl_divergence"
        case .poisson: "poisson"
        case .cosineSimilarity: "cosine_similarity"
        }
    }

    /// Whether the loss takes the logits of a final sigmoid or softmax instead of its output,
    /// as Keras on TensorFlow does for its crossentropies: the logits go through the loss's own
    /// link, so a binary crossentropy on a softmax layer is taken on sigmoid(logits), as there.
    var usesCachedLogits: Bool {
        switch self {
        case .binaryCrossentropy(false, _), .categoricalCrossentropy(false, _), .sparseCategoricalCrossentropy(false): true
        default: false
        }
    }

    /// The reduced loss and its gradient.
    ///
    /// - Parameters:
    ///   - prediction: The model output.
    ///   - target: The labels: the prediction's shape, or without the last axis
    ///     (or with a last axis of 1) for the sparse crossentropy.
    ///   - mask: `prediction.shape.dropLast()`: which samples or steps count.
    ///   - logits: The pre-activation of a final sigmoid or softmax; when given the loss is
    ///     computed from it, and the gradient is with respect to it.
    ///   - sampleWeight: One weight per sample (first axis), multiplying its loss before the
    ///     sum over the batch is divided by its size, as Keras' `sample_weight`.
    /// - Throws: ``LayerError`` for shapes that do not fit or labels out of range.
    public func evaluate<Scalar: TensorScalar>(
        prediction: Tensor<Scalar>, target: Tensor<Scalar>, mask: Tensor<Bool>? = nil, logits: Tensor<Scalar>? = nil,
        sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, gradient: Tensor<Scalar>) {
        guard let classes = prediction.shape.last, prediction.rank >= 1 else {
            throw LayerError(.invalidInputShape, "\(name): the prediction has no axes")
        }
        let sampleShape = Array(prediction.shape.dropLast())
        let samples = sampleShape.reduce(1, *)
        var labels = target
        if case .sparseCategoricalCrossentropy = self {
            if target.shape == sampleShape + [1] { labels = try target.reshaped(to: sampleShape) }
            guard labels.shape == sampleShape else {
                throw LayerError(.invalidInputShape, "\(name): labels must have shape \(sampleShape) for predictions \(prediction.shape), got \(target.shape)")
            }
            for label in labels.scalars where label.rounded() != label || label < 0 || label >= Scalar(classes) {
                throw LayerError(.invalidArgument, "\(name): label \(label) is not a class index in [0, \(classes))")
            }
        } else if target.shape != prediction.shape {
            throw LayerError(.invalidInputShape, "\(name): targets must have the prediction's shape \(prediction.shape), got \(target.shape)")
        }
        if let mask, mask.shape != sampleShape {
            throw LayerError(.invalidMask, "\(name): the output mask \(mask.shape) does not fit the prediction \(prediction.shape)")
        }
        // Weight of each sample in the reduced loss: 1/N, or 1/valid for unmasked entries.
        let valid = mask.map { Scalar($0.scalars.filter { $0 }.count) } ?? Scalar(samples)
        if let sampleWeight, sampleWeight.scalarCount != (sampleShape.first ?? 1) {
            throw LayerError(.invalidInputShape, "\(name): \(sampleWeight.scalarCount) sample weights for a batch of \(sampleShape.first ?? 1)")
        }
        let perSample = samples / Swift.max(sampleShape.first ?? 1, 1)
        let weights = (0..<samples).map { i -> Scalar in
            guard valid > 0, mask?.scalars[i] ?? true else { return 0 }
            return (sampleWeight?.scalars[i / Swift.max(perSample, 1)] ?? 1) / valid
        }
        let source = logits ?? prediction
        var gradient = [Scalar](repeating: 0, count: prediction.scalarCount)
        var total: Scalar = 0
        let eps = Scalar(Self.epsilon)
        for i in 0..<samples {
            let w = weights[i]
            let start = i * classes
            let p = source.scalars[start..<(start + classes)]
            let n = Scalar(classes)
            var value: Scalar = 0
            switch self {
            case .meanSquaredError:
                for (c, pc) in zip(0..., p) {
                    let d = pc - labels.scalars[start + c]
                    value += d * d / n
                    gradient[start + c] = 2 * d / n * w
                }
            case .meanAbsoluteError:
                for (c, pc) in zip(0..., p) {
                    let d = pc - labels.scalars[start + c]
                    value += abs(d) / n
                    gradient[start + c] = (d > 0 ? 1 : (d < 0 ? -1 : 0)) / n * w
                }
            case .binaryCrossentropy(let fromLogits, let smoothing):
                for (c, pc) in zip(0..., p) {
                    let y = labels.scalars[start + c] * (1 - Scalar(smoothing)) + 0.5 * Scalar(smoothing)
                    if fromLogits || logits != nil {
                        value += (Swift.max(pc, 0) - pc * y + Scalar.log(onePlus: Scalar.exp(-abs(pc)))) / n
                        gradient[start + c] = (Activation.sigmoid.value(pc) - y) / n * w
                    } else {
                        let q = Swift.min(Swift.max(pc, eps), 1 - eps)
                        value -= (y * Scalar.log(q) + (1 - y) * Scalar.log(1 - q)) / n
                        let inside = pc >= eps && pc <= 1 - eps
                        gradient[start + c] = inside ? -(y / q - (1 - y) / (1 - q)) / n * w : 0
                    }
                }
            case .categoricalCrossentropy(let fromLogits, _), .sparseCategoricalCrossentropy(let fromLogits):
                let oneHot: [Scalar]
                var sparse = false
                if case .sparseCategoricalCrossentropy = self {
                    sparse = true
                    oneHot = (0..<classes).map { $0 == Int(labels.scalars[i]) ? 1 : 0 }
                } else if case .categoricalCrossentropy(_, let smoothing) = self, smoothing != 0 {
                    let s = Scalar(smoothing)
                    oneHot = labels.scalars[start..<(start + classes)].map { $0 * (1 - s) + s / n }
                } else {
                    oneHot = Array(labels.scalars[start..<(start + classes)])
                }
                if fromLogits || logits != nil {
                    let maximum = p.max() ?? 0
                    let sumExp = p.reduce(0) { $0 + Scalar.exp($1 - maximum) }
                    let logSum = Scalar.log(sumExp) + maximum
                    let ySum = oneHot.reduce(0, +)
                    for (c, pc) in zip(0..., p) {
                        value += oneHot[c] * (logSum - pc)
                        gradient[start + c] = (Scalar.exp(pc - logSum) * ySum - oneHot[c]) * w
                    }
                } else if sparse {
                    // Keras: clip, take the log, then softmax crossentropy on those logits.
                    let q = p.map { Swift.min(Swift.max($0, eps), 1 - eps) }
                    let qSum = q.reduce(0, +)
                    let k = Int(labels.scalars[i])
                    value += -Scalar.log(q[k]) + Scalar.log(qSum)
                    for (c, pc) in zip(0..., p) {
                        let inside = pc >= eps && pc <= 1 - eps
                        gradient[start + c] = inside ? ((c == k ? -1 / q[k] : 0) + 1 / qSum) * w : 0
                    }
                } else {
                    // Keras: normalise to sum 1, clip, then -sum(y log q).
                    let s = p.reduce(0, +)
                    let normalised = p.map { $0 / s }
                    let q = normalised.map { Swift.min(Swift.max($0, eps), 1 - eps) }
                    var dq = [Scalar](repeating: 0, count: classes)
                    for c in 0..<classes {
                        value -= oneHot[c] * Scalar.log(q[c])
                        let inside = normalised[c] >= eps && normalised[c] <= 1 - eps
                        dq[c] = inside ? -oneHot[c] / q[c] : 0
                    }
                    let dot = zip(dq, normalised).reduce(0) { $0 + $1.0 * $1.1 }
                    for c in 0..<classes { gradient[start + c] = (dq[c] - dot) / s * w }
                }
            case .huber(let delta):
                let d = Scalar(delta)
                for (c, pc) in zip(0..., p) {
                    let e = pc - labels.scalars[start + c]
                    value += (abs(e) <= d ? 0.5 * e * e : d * abs(e) - 0.5 * d * d) / n
                    gradient[start + c] = (abs(e) <= d ? e : d * (e > 0 ? 1 : -1)) / n * w
                }
            case .logCosh:
                for (c, pc) in zip(0..., p) {
                    let e = pc - labels.scalars[start + c]
                    // log(cosh(e)) = e + softplus(-2e) - log(2), as Keras computes it.
                    value += (e + Activation.softplus.value(-2 * e) - Scalar.log(2)) / n
                    gradient[start + c] = Scalar.tanh(e) / n * w
                }
            case .kullbackLeiblerDivergence:
                for (c, pc) in zip(0..., p) {
                    let y = Swift.min(Swift.max(labels.scalars[start + c], eps), 1)
                    let q = Swift.min(Swift.max(pc, eps), 1)
                    value += y * Scalar.log(y / q)
                    gradient[start + c] = pc >= eps && pc <= 1 ? -y / q * w : 0
                }
            case .poisson:
                for (c, pc) in zip(0..., p) {
                    let y = labels.scalars[start + c]
                    value += (pc - y * Scalar.log(pc + eps)) / n
                    gradient[start + c] = (1 - y / (pc + eps)) / n * w
                }
            case .cosineSimilarity:
                let y = Array(labels.scalars[start..<(start + classes)])
                let yNorm = Scalar.sqrt(Swift.max(y.reduce(0) { $0 + $1 * $1 }, 1e-12))
                let squares = p.reduce(0) { $0 + $1 * $1 }
                let pNorm = Scalar.sqrt(Swift.max(squares, 1e-12))
                let cosine = zip(p, y).reduce(0) { $0 + $1.0 * $1.1 } / (pNorm * yNorm)
                value -= cosine
                for (c, pc) in zip(0..., p) {
                    // d(-p̂·ŷ)/dp = -(ŷ - p̂ (p̂·ŷ)) / |p|, the norm's floor passing no gradient.
                    let inner = squares > 1e-12 ? pc / pNorm * cosine : 0
                    gradient[start + c] = -(y[c] / yNorm - inner) / pNorm * w
                }
            }
            total += value * w
        }
        return (total, try Tensor(shape: prediction.shape, scalars: gradient))
    }
}
