/// Stops training after the batch whose loss is NaN or infinite (Keras' `TerminateOnNaN`).
public final class TerminateOnNaN<Scalar: TensorScalar>: TrainingCallback {
    /// Whether training was stopped, and after which batch.
    public private(set) var stoppedAtBatch: Int?

    public init() {}

    public func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Scalar>) throws {
        if let loss = logs["loss"], !loss.isFinite {
            stoppedAtBatch = batch
            trainer.stopTraining = true
        }
    }
}
