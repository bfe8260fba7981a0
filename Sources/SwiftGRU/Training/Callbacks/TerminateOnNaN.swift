/// Stops training after the batch whose loss is NaN or infinite (Keras' `TerminateOnNaN`),
/// printing Keras' message; with `raiseError`, fails the training instead.
public final class TerminateOnNaN<Scalar: TensorScalar>: TrainingCallback {
    /// Whether training was stopped, and after which batch.
    public private(set) var stoppedAtBatch: Int?
    /// Throws instead of stopping (Keras' `raise_error`).
    public let raiseError: Bool

    public init(raiseError: Bool = false) {
        self.raiseError = raiseError
    }

    public func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Scalar>) throws {
        guard let loss = logs["loss"], !loss.isFinite else { return }
        stoppedAtBatch = batch
        if raiseError { throw LayerError(.invalidArgument, "Batch \(batch): Invalid loss \(loss), terminating training") }
        print("Batch \(batch): Invalid loss, terminating training")
        trainer.stopTraining = true
    }
}
