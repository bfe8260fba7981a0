/// Lowers the learning rate when a monitored quantity stops improving (Keras'
/// `ReduceLROnPlateau`): after `patience` epochs without an improvement of more than
/// `minDelta`, the rate is multiplied by `factor` (not below `minLearningRate`), then
/// `cooldown` epochs pass before counting again. Adds `learning_rate` to the logs.
public final class ReduceLROnPlateau<Scalar: TensorScalar>: TrainingCallback {
    public let monitor: String
    public let factor: Double
    public let patience: Int
    public let mode: MonitorMode
    public let minDelta: Double
    public let cooldown: Int
    public let minLearningRate: Double
    private var wait = 0, cooldownCounter = 0
    private var best: Double?

    /// Creates the callback with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for a factor of 1 or more, or negative counts.
    public init(
        monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, mode: MonitorMode = .auto, minDelta: Double = 1e-4,
        cooldown: Int = 0, minLearningRate: Double = 0
    ) throws {
        guard factor < 1, factor >= 0 else {
            throw LayerError(.invalidArgument, "ReduceLROnPlateau: factor must be below 1 (it multiplies the rate), got \(factor)")
        }
        guard patience >= 0, cooldown >= 0 else {
            throw LayerError(.invalidArgument, "ReduceLROnPlateau: patience and cooldown must not be negative")
        }
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = mode
        self.minDelta = abs(minDelta)
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
    }

    public func trainingBegins(_ trainer: Trainer<Scalar>) throws {
        guard trainer.optimizer.learningRateSchedule == nil else {
            throw LayerError(.unsupported, "ReduceLROnPlateau cannot change a learning rate that follows a schedule")
        }
        wait = 0
        cooldownCounter = 0
        best = nil
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws {
        logs["learning_rate"] = Double(Float(trainer.optimizer.learningRate))
        guard let current = logs[monitor] else { return }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if try MonitoredQuantity(name: monitor, mode: mode, minDelta: minDelta).isImprovement(current, over: best, metrics: trainer.metrics) {
            best = current
            wait = 0
        } else if cooldownCounter == 0 {
            wait += 1
            if wait >= patience {
                let old = Double(Float(trainer.optimizer.learningRate))
                if old > Double(Float(minLearningRate)) {
                    trainer.optimizer.learningRate = Double(Float(max(old * factor, minLearningRate)))
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }
}
