/// Per-epoch metrics of a ``Trainer/fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``
/// call, as Keras' `History`: `history["loss"]`, `history["val_loss"]`.
public struct History: Sendable, Equatable, Codable {
    /// Metric name to one value per epoch.
    public var history: [String: [Double]] = [:]

    public init() {}

    /// The values of a metric, one per epoch.
    public subscript(metric: String) -> [Double]? { history[metric] }

    mutating func append(_ logs: [String: Double]) {
        for (key, value) in logs { history[key, default: []].append(value) }
    }
}

/// What ``Trainer`` reports while it fits, for progress bars and logs.
public enum TrainingEvent: Sendable {
    /// A batch finished: epoch and batch (from 0), the number of batches, and the loss and
    /// metrics over the epoch so far.
    case batchEnd(epoch: Int, batch: Int, batches: Int, logs: [String: Double])
    /// An epoch finished with these metrics (`loss` and the metrics, and their `val_`
    /// versions with validation data).
    case epochEnd(epoch: Int, epochs: Int, logs: [String: Double])
}
