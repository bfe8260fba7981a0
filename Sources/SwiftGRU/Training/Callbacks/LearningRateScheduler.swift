/// Sets the learning rate at the start of each epoch from a function of the epoch (counted
/// from 0) and the current rate (Keras' `LearningRateScheduler`); adds `learning_rate` to the
/// logs.
public final class LearningRateScheduler<Scalar: TensorScalar>: TrainingCallback {
    public let schedule: @Sendable (_ epoch: Int, _ learningRate: Double) -> Double

    /// Creates the callback.
    public init(_ schedule: @escaping @Sendable (_ epoch: Int, _ learningRate: Double) -> Double) {
        self.schedule = schedule
    }

    public func trainingBegins(_ trainer: Trainer<Scalar>) throws {
        guard trainer.optimizer.learningRateSchedule == nil else {
            throw LayerError(.unsupported, "LearningRateScheduler cannot change a learning rate that follows a schedule")
        }
    }

    public func epochBegins(_ epoch: Int, _ trainer: Trainer<Scalar>) throws {
        let rate = schedule(epoch, Double(Float(trainer.optimizer.learningRate)))
        guard rate.isFinite, rate >= 0 else {
            throw LayerError(.invalidArgument, "LearningRateScheduler: the schedule gave \(rate) for epoch \(epoch + 1)")
        }
        trainer.optimizer.learningRate = Double(Float(rate))
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws {
        logs["learning_rate"] = Double(Float(trainer.optimizer.learningRate))
    }
}
