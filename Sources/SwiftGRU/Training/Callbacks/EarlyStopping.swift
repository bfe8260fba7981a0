/// Stops training when a monitored quantity stops improving (Keras' `EarlyStopping`):
/// after `patience` epochs without an improvement of more than `minDelta`, optionally
/// restoring the weights of the best epoch when training ends.
public final class EarlyStopping<Scalar: TensorScalar>: TrainingCallback {
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    /// A value the quantity must reach before patience runs out (Keras' `baseline`).
    public let baseline: Double?
    public let restoreBestWeights: Bool
    /// Epochs before this one are not watched (Keras' `start_from_epoch`).
    public let startFromEpoch: Int
    /// The epoch training stopped after (0 when it did not stop early).
    public private(set) var stoppedEpoch = 0
    /// The epoch whose value was best.
    public private(set) var bestEpoch = 0
    private var wait = 0
    private var best: Double?
    private var bestWeights: [[Tensor<Scalar>]]?

    /// Creates the callback with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for a negative patience or start epoch.
    public init(
        monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, mode: MonitorMode = .auto, baseline: Double? = nil,
        restoreBestWeights: Bool = false, startFromEpoch: Int = 0
    ) throws {
        guard patience >= 0, startFromEpoch >= 0 else {
            throw LayerError(.invalidArgument, "EarlyStopping: patience and start_from_epoch must not be negative")
        }
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.mode = mode
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
    }

    public func trainingBegins(_ trainer: Trainer<Scalar>) throws {
        wait = 0
        stoppedEpoch = 0
        best = nil
        bestWeights = nil
        bestEpoch = 0
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws {
        let watcher = MonitoredQuantity(name: monitor, mode: mode, minDelta: minDelta)
        guard let current = logs[monitor], epoch >= startFromEpoch else { return }
        if restoreBestWeights, bestWeights == nil {
            bestWeights = trainer.model.layers.map { $0.weights }
            bestEpoch = epoch
        }
        wait += 1
        if try watcher.isImprovement(current, over: best, metrics: trainer.metrics) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = trainer.model.layers.map { $0.weights } }
            if try baseline == nil || watcher.isImprovement(current, over: baseline, metrics: trainer.metrics) { wait = 0 }
            return
        }
        if wait >= patience, epoch > 0 {
            stoppedEpoch = epoch
            trainer.stopTraining = true
        }
    }

    public func trainingEnds(_ trainer: Trainer<Scalar>) throws {
        guard restoreBestWeights, let bestWeights else { return }
        for (layer, weights) in zip(trainer.model.layers, bestWeights) where !weights.isEmpty { try layer.setWeights(weights) }
    }
}
