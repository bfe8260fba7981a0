/// A metric Keras' `compile(metrics = ...)` computes during `fit` and `evaluate`, reported
/// under the name it was asked for (`accuracy`, `mae`, `auc`, ...) and as `val_<name>` on
/// validation data.
///
/// Values accumulate over an epoch as Keras' do: mean metrics average their per-sample values
/// over every sample seen (masked steps left out), `rootMeanSquaredError` takes the root of
/// that mean, and `precision`, `recall` and `auc` count outcomes over the whole epoch.
public struct Metric: Sendable, Hashable {
    /// What a metric computes.
    public enum Kind: Sendable, Hashable {
        /// Keras' `accuracy`: binary, sparse categorical or categorical accuracy, chosen per
        /// output from the shapes and the loss as Keras chooses.
        case accuracy
        case binaryAccuracy(threshold: Double)
        case categoricalAccuracy
        case sparseCategoricalAccuracy
        case topKCategoricalAccuracy(k: Int)
        case sparseTopKCategoricalAccuracy(k: Int)
        case meanAbsoluteError
        case meanSquaredError
        case rootMeanSquaredError
        case meanAbsolutePercentageError
        case meanSquaredLogarithmicError
        /// A loss function as a metric (Keras' `binary_crossentropy` metric and the like).
        case loss(Loss)
        /// True positives over predicted positives at `threshold`.
        case precision(threshold: Double)
        /// True positives over actual positives at `threshold`.
        case recall(threshold: Double)
        /// The area under the ROC curve over `thresholds` evenly spaced thresholds (Keras' `AUC`).
        case auc(thresholds: Int)
    }

    /// The name in the history and the progress line (`val_` is added for validation).
    public var name: String
    public var kind: Kind
    /// Whether sample weights weigh it (Keras' `weighted_metrics`); the others ignore them.
    public var weighted = false

    /// Creates a metric reported as `name`.
    public init(_ kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Looks a metric up by a name Keras accepts (`"accuracy"`, `"acc"`, `"mae"`,
    /// `"mean_squared_error"`, `"AUC"`, `"top_k_categorical_accuracy"`, ...); it is reported
    /// under that name, as Keras does.
    ///
    /// - Throws: ``LayerError`` (`.unknownName`) naming the metric and the known ones.
    public init(named name: String) throws {
        let key = String(name.lowercased().filter { $0 != "_" })
        let kind: Kind
        switch key {
        case "accuracy", "acc": kind = .accuracy
        case "binaryaccuracy": kind = .binaryAccuracy(threshold: 0.5)
        case "categoricalaccuracy": kind = .categoricalAccuracy
        case "sparsecategoricalaccuracy": kind = .sparseCategoricalAccuracy
        case "topkcategoricalaccuracy": kind = .topKCategoricalAccuracy(k: 5)
        case "sparsetopkcategoricalaccuracy": kind = .sparseTopKCategoricalAccuracy(k: 5)
        case "mae", "meanabsoluteerror": kind = .meanAbsoluteError
        case "mse", "meansquarederror": kind = .meanSquaredError
        case "rmse", "rootmeansquarederror": kind = .rootMeanSquaredError
        case "mape", "meanabsolutepercentageerror": kind = .meanAbsolutePercentageError
        case "msle", "meansquaredlogarithmicerror": kind = .meanSquaredLogarithmicError
        case "binarycrossentropy", "categoricalcrossentropy", "sparsecategoricalcrossentropy":
            kind = .loss(try Loss(named: name))
        case "precision": kind = .precision(threshold: 0.5)
        case "recall": kind = .recall(threshold: 0.5)
        case "auc": kind = .auc(thresholds: 200)
        default:
            throw LayerError(.unknownName, "unknown metric '\(name)'; known metrics: \(Self.knownNames.joined(separator: ", "))")
        }
        self.init(kind, name: Self.reportedName(name, kind))
    }

    /// Keras reports a metric given as a string under that string, and a metric object under
    /// its snake-case name (`AUC` as `auc`, `Precision` as `precision`).
    private static func reportedName(_ name: String, _ kind: Kind) -> String {
        switch kind {
        case .precision, .recall, .auc: name.lowercased()
        case .rootMeanSquaredError where name.lowercased() == "rootmeansquarederror": "root_mean_squared_error"
        default: name
        }
    }

    /// The names ``init(named:)`` knows.
    public static let knownNames = [
        "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy", "mae", "mse", "rmse", "mape", "msle", "binary_crossentropy",
        "categorical_crossentropy", "sparse_categorical_crossentropy", "precision", "recall", "auc",
    ]
}

/// What a metric has seen over an epoch.
struct MetricAccumulator: Sendable {
    let metric: Metric
    /// The metric's kind once `accuracy` is resolved for its output.
    private var kind: Metric.Kind
    private var total = 0.0, count = 0.0
    /// True and false positives and negatives, one entry per threshold.
    private var truePositives: [Double] = [], falsePositives: [Double] = []
    private var trueNegatives: [Double] = [], falseNegatives: [Double] = []

    /// The sums behind ``result``, to add up over the workers of data-parallel training
    /// (the confusion counts once a batch has sized them).
    var sums: [Double] {
        get { [total, count] + truePositives + falsePositives + trueNegatives + falseNegatives }
        set {
            guard newValue.count == 2 + 4 * truePositives.count else { return }
            total = newValue[0]
            count = newValue[1]
            let n = truePositives.count
            truePositives = Array(newValue[2..<(2 + n)])
            falsePositives = Array(newValue[(2 + n)..<(2 + 2 * n)])
            trueNegatives = Array(newValue[(2 + 2 * n)..<(2 + 3 * n)])
            falseNegatives = Array(newValue[(2 + 3 * n)..<(2 + 4 * n)])
        }
    }

    /// `accuracy` is resolved from the shapes of the first batch, as Keras does (not from the loss).
    init(_ metric: Metric) {
        self.metric = metric
        kind = metric.kind
    }

    /// The value over everything seen so far (0 before anything).
    var result: Double {
        switch kind {
        case .rootMeanSquaredError: return count > 0 ? (total / count).squareRoot() : 0
        case .precision:
            let denominator = (truePositives.first ?? 0) + (falsePositives.first ?? 0)
            return denominator > 0 ? (truePositives.first ?? 0) / denominator : 0
        case .recall:
            let denominator = (truePositives.first ?? 0) + (falseNegatives.first ?? 0)
            return denominator > 0 ? (truePositives.first ?? 0) / denominator : 0
        case .auc:
            // The trapezoidal rule over the ROC curve, thresholds from low to high.
            func rate(_ a: Double, _ b: Double) -> Double { a + b > 0 ? a / (a + b) : 0 }
            var area = 0.0
            for i in 0..<max(truePositives.count - 1, 0) {
                let (x0, x1) = (rate(falsePositives[i], trueNegatives[i]), rate(falsePositives[i + 1], trueNegatives[i + 1]))
                let (y0, y1) = (rate(truePositives[i], falseNegatives[i]), rate(truePositives[i + 1], falseNegatives[i + 1]))
                area += (x0 - x1) * (y0 + y1) / 2
            }
            return area
        default: return count > 0 ? total / count : 0
        }
    }

    /// Adds one batch of an output: predictions, targets, the output's mask, and for a
    /// weighted metric one weight per sample.
    ///
    /// - Throws: ``LayerError`` when the targets do not fit the predictions.
    mutating func update<Scalar: TensorScalar>(
        prediction: Tensor<Scalar>, target: Tensor<Scalar>, mask: Tensor<Bool>?, sampleWeight: Tensor<Scalar>? = nil
    ) throws {
        guard let width = prediction.shape.last, width > 0 else {
            throw LayerError(.invalidInputShape, "metric \(metric.name): the prediction has no values")
        }
        let sampleShape = Array(prediction.shape.dropLast())
        let rows = sampleShape.reduce(1, *)
        if case .accuracy = kind {
            if width == 1 {
                kind = .binaryAccuracy(threshold: 0.5)
            } else if target.rank < prediction.rank || target.shape == sampleShape + [1] {
                kind = .sparseCategoricalAccuracy
            } else {
                kind = .categoricalAccuracy
            }
        }
        let sparse: Bool
        switch kind {
        case .sparseCategoricalAccuracy, .sparseTopKCategoricalAccuracy: sparse = true
        case .loss(.sparseCategoricalCrossentropy): sparse = true
        default: sparse = false
        }
        if sparse {
            guard target.scalarCount == rows, target.shape == sampleShape || target.shape == sampleShape + [1] else {
                throw LayerError(.invalidInputShape, "metric \(metric.name): labels must have shape \(sampleShape) for predictions \(prediction.shape), got \(target.shape)")
            }
        } else if target.shape != prediction.shape {
            throw LayerError(.invalidInputShape, "metric \(metric.name): targets must have the prediction's shape \(prediction.shape), got \(target.shape)")
        }
        if let mask, mask.shape != sampleShape {
            throw LayerError(.invalidMask, "metric \(metric.name): the output mask \(mask.shape) does not fit the prediction \(prediction.shape)")
        }
        let p = prediction.scalars.map(Double.init), y = target.scalars.map(Double.init)
        // Each row's weight: its mask, times its sample's weight for a weighted metric.
        let perSample = rows / max(sampleShape.first ?? 1, 1)
        let weights = (0..<rows).map { row -> Double in
            guard mask?.scalars[row] ?? true else { return 0 }
            guard metric.weighted, let sampleWeight else { return 1 }
            return Double(sampleWeight.scalars[row / max(perSample, 1)])
        }
        switch kind {
        case .precision(let threshold), .recall(let threshold):
            count(p, y, weights: weights, width: width, thresholds: [threshold])
            return
        case .auc(let n):
            let epsilon = 1e-7
            let inner = (0..<max(n - 2, 0)).map { Double($0 + 1) / Double(n - 1) }
            count(p, y, weights: weights, width: width, thresholds: [-epsilon] + inner + [1 + epsilon])
            return
        default: break
        }
        for row in 0..<rows where weights[row] != 0 {
            let range = (row * width)..<((row + 1) * width)
            total += weights[row] * (try value(Array(p[range]), sparse ? [y[row]] : Array(y[range])))
            count += weights[row]
        }
    }

    /// One row's value (the mean over its last axis, as Keras' metric functions reduce).
    private func value(_ p: [Double], _ y: [Double]) throws -> Double {
        let n = Double(p.count)
        func argmax(_ v: [Double]) -> Int { v.indices.max { v[$0] < v[$1] || (v[$0] == v[$1] && $0 > $1) } ?? 0 }
        switch kind {
        case .binaryAccuracy(let threshold):
            return zip(p, y).reduce(0.0) { $0 + ((($1.0 > threshold) ? 1.0 : 0.0) == $1.1 ? 1 : 0) } / n
        case .categoricalAccuracy:
            return argmax(p) == argmax(y) ? 1 : 0
        case .sparseCategoricalAccuracy:
            return Double(argmax(p)) == y[0] ? 1 : 0
        case .topKCategoricalAccuracy(let k):
            return inTopK(p, label: argmax(y), k: k) ? 1 : 0
        case .sparseTopKCategoricalAccuracy(let k):
            return inTopK(p, label: Int(y[0]), k: k) ? 1 : 0
        case .meanAbsoluteError:
            return zip(p, y).reduce(0.0) { $0 + abs($1.0 - $1.1) } / n
        case .meanSquaredError, .rootMeanSquaredError:
            return zip(p, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n
        case .meanAbsolutePercentageError:
            return 100 * zip(p, y).reduce(0.0) { $0 + abs($1.1 - $1.0) / max(abs($1.1), 1e-7) } / n
        case .meanSquaredLogarithmicError:
            return zip(p, y).reduce(0.0) { total, pair in
                let d = Double.log(max(pair.0, 1e-7) + 1) - Double.log(max(pair.1, 1e-7) + 1)
                return total + d * d
            } / n
        case .loss(let loss):
            let epsilon = Loss.epsilon
            switch loss {
            case .binaryCrossentropy:
                return zip(p, y).reduce(0.0) { total, pair in
                    let q = min(max(pair.0, epsilon), 1 - epsilon)
                    return total - (pair.1 * Double.log(q) + (1 - pair.1) * Double.log(1 - q))
                } / n
            case .categoricalCrossentropy:
                let sum = p.reduce(0, +)
                return -zip(p, y).reduce(0.0) { $0 + $1.1 * Double.log(min(max($1.0 / sum, epsilon), 1 - epsilon)) }
            case .sparseCategoricalCrossentropy:
                let label = Int(y[0])
                guard label >= 0, label < p.count else {
                    throw LayerError(.invalidArgument, "metric \(metric.name): label \(y[0]) is not a class index in [0, \(p.count))")
                }
                let sum = p.reduce(0, +)
                return -Double.log(min(max(p[label] / sum, epsilon), 1 - epsilon))
            case .meanSquaredError:
                return zip(p, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n
            case .meanAbsoluteError:
                return zip(p, y).reduce(0.0) { $0 + abs($1.0 - $1.1) } / n
            default:
                throw LayerError(.unsupported, "metric \(metric.name): the \(loss.name) loss is not computed as a metric")
            }
        case .accuracy, .precision, .recall, .auc:
            return 0
        }
    }

    /// TensorFlow's `in_top_k`: the label's prediction is among the `k` largest, ties counted in.
    private func inTopK(_ p: [Double], label: Int, k: Int) -> Bool {
        guard label >= 0, label < p.count else { return false }
        return p.filter { $0 > p[label] }.count < k
    }

    /// Adds the confusion counts of every value at each threshold (`p > threshold`), each
    /// counting its row's weight.
    private mutating func count(_ p: [Double], _ y: [Double], weights: [Double], width: Int, thresholds: [Double]) {
        if truePositives.isEmpty {
            truePositives = Array(repeating: 0, count: thresholds.count)
            falsePositives = truePositives
            trueNegatives = truePositives
            falseNegatives = truePositives
        }
        for i in p.indices where weights[i / width] != 0 {
            let positive = y[i] > 0.5, w = weights[i / width]
            for (t, threshold) in thresholds.enumerated() {
                switch (p[i] > threshold, positive) {
                case (true, true): truePositives[t] += w
                case (true, false): falsePositives[t] += w
                case (false, true): falseNegatives[t] += w
                case (false, false): trueNegatives[t] += w
                }
            }
        }
    }
}
