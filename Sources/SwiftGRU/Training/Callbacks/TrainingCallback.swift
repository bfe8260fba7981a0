/// Code run at points of ``Trainer/fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``,
/// as Keras' callbacks: they read the logs, may change them (a learning rate added), change
/// the optimizer's rate, save the model, or stop training (``Trainer/stopTraining``).
///
/// Callbacks run in the order given, before the history records the epoch, as in Keras.
public protocol TrainingCallback<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// Before the first epoch.
    func trainingBegins(_ trainer: Trainer<Scalar>) throws
    /// Before each epoch (counted from 0).
    func epochBegins(_ epoch: Int, _ trainer: Trainer<Scalar>) throws
    /// After each batch, with the running logs of the epoch.
    func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Scalar>) throws
    /// After each epoch, with its logs (validation included), which the callback may extend.
    func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws
    /// After the last epoch, or when training stopped.
    func trainingEnds(_ trainer: Trainer<Scalar>) throws
}

extension TrainingCallback {
    public func trainingBegins(_ trainer: Trainer<Scalar>) throws {}
    public func epochBegins(_ epoch: Int, _ trainer: Trainer<Scalar>) throws {}
    public func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Scalar>) throws {}
    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws {}
    public func trainingEnds(_ trainer: Trainer<Scalar>) throws {}
}

/// Whether a monitored quantity improves by going down or up (Keras' `mode`).
public enum MonitorMode: String, Sendable {
    /// Down for losses and errors, up for accuracies, AUC, precision and recall, as Keras infers.
    case auto
    case min
    case max
}

/// The quantity a callback watches and how it compares values (Keras' `MonitorCallback`).
public struct MonitoredQuantity: Sendable {
    /// The log name (`val_loss`, `accuracy`, ...).
    public let name: String
    public let mode: MonitorMode
    /// The change a value must exceed to count as an improvement.
    public let minDelta: Double

    /// Describes a monitored quantity.
    public init(name: String, mode: MonitorMode = .auto, minDelta: Double = 0) {
        self.name = name
        self.mode = mode
        self.minDelta = abs(minDelta)
    }

    /// Whether `value` improves on `reference` by more than `minDelta` (any value improves
    /// on none), in the direction `mode` gives or, in auto mode, the metric's.
    ///
    /// - Throws: ``LayerError`` when auto mode cannot tell the direction.
    public func isImprovement(_ value: Double, over reference: Double?, metrics: [Metric]) throws -> Bool {
        guard let reference else { return true }
        return try increasing(metrics) ? value - minDelta > reference : value + minDelta < reference
    }

    /// Whether larger is better.
    public func increasing(_ metrics: [Metric]) throws -> Bool {
        switch mode {
        case .min: return false
        case .max: return true
        case .auto:
            var base = Substring(name)
            if base.hasPrefix("val_") { base = base.dropFirst(4) }
            if base == "loss" { return false }
            if let metric = metrics.first(where: { $0.name == base || base.hasSuffix("_" + $0.name) }) { return metric.improvesUpward }
            throw LayerError(.invalidArgument, "cannot tell whether '\(name)' should go up or down; give the mode (min or max)")
        }
    }
}

extension Metric {
    /// Whether the metric improves by going up (Keras' `_direction`).
    public var improvesUpward: Bool {
        switch kind {
        case .accuracy, .binaryAccuracy, .categoricalAccuracy, .sparseCategoricalAccuracy, .topKCategoricalAccuracy,
             .sparseTopKCategoricalAccuracy, .precision, .recall, .auc: true
        case .meanAbsoluteError, .meanSquaredError, .rootMeanSquaredError, .meanAbsolutePercentageError,
             .meanSquaredLogarithmicError, .loss: false
        }
    }
}
