/// A training loss with Keras' formulas, clipping (epsilon 1e-7) and its
/// default reduction (`sum_over_batch_size`: the mean over samples and steps,
/// or over the unmasked steps when the output carries a mask).
public enum Loss: Sendable, Hashable {
    case meanSquaredError
    case meanAbsoluteError
    case binaryCrossentropy(fromLogits: Bool = false)
    case categoricalCrossentropy(fromLogits: Bool = false)
    case sparseCategoricalCrossentropy(fromLogits: Bool = false)

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
        default:
            throw LayerError(.unknownName, "unknown loss '\(name)'; known losses: mean_squared_error (mse), mean_absolute_error (mae), binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy")
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
        }
    }

    /// The activation whose logits Keras uses instead of its output for this loss.
    var logitsActivation: Activation? {
        switch self {
        case .binaryCrossentropy(false): .sigmoid
        case .categoricalCrossentropy(false), .sparseCategoricalCrossentropy(false): .softmax
        default: nil
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
    /// - Throws: ``LayerError`` for shapes that do not fit or labels out of range.
    public func evaluate<Scalar: TensorScalar>(
        prediction: Tensor<Scalar>, target: Tensor<Scalar>, mask: Tensor<Bool>? = nil, logits: Tensor<Scalar>? = nil
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
        let weights = (0..<samples).map { i -> Scalar in
            guard valid > 0, mask?.scalars[i] ?? true else { return 0 }
            return 1 / valid
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
            case .binaryCrossentropy(let fromLogits):
                for (c, pc) in zip(0..., p) {
                    let y = labels.scalars[start + c]
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
            case .categoricalCrossentropy(let fromLogits), .sparseCategoricalCrossentropy(let fromLogits):
                let oneHot: [Scalar]
                var sparse = false
                if case .sparseCategoricalCrossentropy = self {
                    sparse = true
                    oneHot = (0..<classes).map { $0 == Int(labels.scalars[i]) ? 1 : 0 }
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
            }
            total += value * w
        }
        return (total, try Tensor(shape: prediction.shape, scalars: gradient))
    }
}
