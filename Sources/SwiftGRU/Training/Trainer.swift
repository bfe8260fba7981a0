/// Trains a model the way Keras' `compile` + `fit` does: a loss, an optimizer,
/// weight and activity regularization, constraints after each update.
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: .adam(), loss: .meanSquaredError)
/// let history = try trainer.fit(x: [x], y: [y], batchSize: 32, epochs: 10, validationSplit: 0.2)
/// history["val_loss"]
/// ```
public final class Trainer<Scalar: TensorScalar> {
    public let model: any Model<Scalar>
    public var optimizer: Optimizer
    /// Applied to every output; the total loss is their sum.
    public var loss: Loss
    /// Computed on every output during ``fit(x:y:batchSize:epochs:shuffle:validationSplit:validationData:seed:onEvent:)``
    /// and ``evaluateMetrics(x:y:batchSize:)``; a model of several outputs reports them as
    /// `<output>_<metric>`, as Keras does.
    public var metrics: [Metric]
    /// Momentums, velocities and the step count.
    public private(set) var optimizerState = OptimizerState<Scalar>()
    /// Set by a callback to end training after the current batch (Keras' `model.stop_training`).
    public var stopTraining = false

    /// Creates a trainer (Keras' `model.compile(optimizer, loss, metrics)`).
    public init(model: any Model<Scalar>, optimizer: Optimizer, loss: Loss, metrics: [Metric] = []) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }

    /// The optimizer's state as Keras saves it with a model (`optimizer/vars`), so that
    /// training can go on from a file where it stopped; empty before the first step.
    public var kerasOptimizerVariables: [Tensor<Double>] {
        optimizerState.kerasVariables(for: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// Continues from the optimizer state Keras saved with the model (`optimizer/vars` of a
    /// `.keras` file, ``KerasModelFile/optimizerVariables``): momentums, velocities and the
    /// step count, so that the next steps are the ones Keras would take.
    ///
    /// - Throws: ``LayerError`` when the state does not fit this optimizer and model.
    public func restoreOptimizerState(kerasVariables: [Tensor<Double>]) throws {
        optimizerState = try OptimizerState(
            kerasVariables: kerasVariables, optimizer: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// The weights the optimizer updates, in `model.layers` order (Keras' `trainable_variables`).
    var trainableWeights: [Tensor<Scalar>] {
        model.layers.flatMap { Array($0.weights.prefix($0.trainableWeightCount)) }
    }

    /// The loss and the gradients of one batch, without updating anything.
    ///
    /// - Parameter training: Applies dropout when `true`.
    /// - Returns: The loss (including regularization), the gradient of each weight in
    ///   `model.layers` order, and the gradient of each input.
    /// - Throws: ``LayerError`` for data that does not fit the model.
    public func gradients(x: [Tensor<Scalar>], y: [Tensor<Scalar>], training: Bool = true) throws -> (loss: Scalar, weights: [[Tensor<Scalar>]], inputs: [Tensor<Scalar>?]) {
        let result = try computeGradients(x: x, y: y, training: training, inputGradients: true)
        return (result.loss, result.weights.map(\.weights), result.inputs)
    }

    /// The loss, each layer's gradients (with the slice norms Keras clips by), the input
    /// gradients, and the outputs with their masks (for the metrics).
    func computeGradients(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], training: Bool, inputGradients: Bool, sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, weights: [LayerGradients<Scalar>], inputs: [Tensor<Scalar>?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        model.clearRecords()
        defer { model.clearRecords() }
        let outputs = try model.forwardRecording(x, training: training)
        guard outputs.count == y.count else {
            throw LayerError(.invalidInputShape, "model '\(model.name)' has \(outputs.count) output(s); \(y.count) target array(s) given")
        }
        var total: Scalar = 0
        var outputGradients = [(gradient: Tensor<Scalar>, throughLogits: Bool)]()
        for (output, target) in zip(outputs, y) {
            var logits: Tensor<Scalar>?
            if let wanted = loss.logitsActivation, let producer = output.producer as? any LogitsProducing<Scalar>,
               producer.outputActivation == wanted {
                logits = producer.recordedLogits
            }
            let (value, gradient) = try loss.evaluate(
                prediction: output.output, target: target, mask: output.mask, logits: logits, sampleWeight: sampleWeight)
            total += value
            outputGradients.append((gradient, logits != nil))
        }
        total += regularizationLoss()
        let (byLayer, inputs) = try model.backward(outputGradients, inputGradients: inputGradients)
        var weights = [LayerGradients<Scalar>]()
        for layer in model.layers {
            var gradients = byLayer[ObjectIdentifier(layer)]
                ?? LayerGradients(input: nil, weights: layer.weights.prefix(layer.trainableWeightCount).map { Tensor(zeros: $0.shape) })
            for (k, (weight, regularizer)) in zip(layer.weights, layer.weightRegularizers).enumerated() where k < gradients.weights.count {
                if let regularizer {
                    gradients.weights[k] = try gradients.weights[k].combined(with: regularizer.gradient(weight), +)
                    gradients.sliceSquares[k] = nil
                }
            }
            weights.append(gradients)
        }
        return (total, weights, inputs, outputs.map { ($0.output, $0.mask) })
    }

    /// The weight penalties of every layer plus the activity penalties of the last call.
    func regularizationLoss() -> Scalar {
        var total: Scalar = 0
        for layer in model.layers {
            for (weight, regularizer) in zip(layer.weights, layer.weightRegularizers) {
                if let regularizer { total += regularizer.penalty(weight) }
            }
            total += layer.activityLoss
        }
        return total
    }

    /// One optimizer step on a batch (Keras' `train_on_batch`).
    ///
    /// - Returns: The batch's loss before the update.
    /// - Throws: ``LayerError`` for data that does not fit the model.
    @discardableResult
    public func trainOnBatch(x: [Tensor<Scalar>], y: [Tensor<Scalar>]) throws -> Scalar {
        try trainStep(x: x, y: y).loss
    }

    /// One optimizer step, returning the loss and the outputs it was computed from.
    private func trainStep(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        let (value, gradients, _, outputs) = try computeGradients(x: x, y: y, training: true, inputGradients: false, sampleWeight: sampleWeight)
        let layers = model.layers
        var weights = trainableWeights
        try optimizerState.apply(
            optimizer, gradients: gradients.flatMap(\.weights), sliceSquares: gradients.flatMap(\.sliceSquares), to: &weights)
        var start = 0
        for layer in layers {
            let count = layer.trainableWeightCount
            var updated = Array(weights[start..<(start + count)])
            for (k, constraint) in layer.weightConstraints.enumerated() where k < updated.count {
                if let constraint { updated[k] = constraint.apply(to: updated[k]) }
            }
            // The weights the layer keeps up itself (moving statistics) stay as the step left them.
            updated += layer.weights.dropFirst(count)
            if !updated.isEmpty { try layer.setWeights(updated) }
            start += count
        }
        return (value, outputs)
    }

    /// One accumulator per output and metric, named as Keras names them.
    private func metricAccumulators() -> [[MetricAccumulator]] {
        let names = model.outputNames
        let outputs = max(names.count, 1)
        return (0..<outputs).map { output in
            metrics.map { metric in
                var named = metric
                if outputs > 1 { named.name = (output < names.count ? names[output] : "output_\(output)") + "_" + metric.name }
                return MetricAccumulator(named, loss: loss)
            }
        }
    }

    private func update(
        _ accumulators: inout [[MetricAccumulator]], outputs: [(Tensor<Scalar>, Tensor<Bool>?)], targets: [Tensor<Scalar>],
        sampleWeight: Tensor<Scalar>? = nil
    ) throws {
        for (index, ((prediction, mask), target)) in zip(outputs, targets).enumerated() where index < accumulators.count {
            for k in accumulators[index].indices {
                try accumulators[index][k].update(prediction: prediction, target: target, mask: mask, sampleWeight: sampleWeight)
            }
        }
    }

    private func logs(_ loss: Double, _ accumulators: [[MetricAccumulator]], prefix: String = "") -> [String: Double] {
        var logs = [prefix + "loss": loss]
        for accumulator in accumulators.joined() { logs[prefix + accumulator.metric.name] = accumulator.result }
        return logs
    }

    /// The loss and the metrics on data, in batches, without training (Keras' `evaluate`
    /// with `return_dict = TRUE`): `loss` and each metric by name.
    ///
    /// - Throws: ``LayerError`` for data that does not fit the model or a batch size below 1.
    public func evaluateMetrics(x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32) throws -> [String: Double] {
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        let count = try checkData(x: x, y: y)
        var total = 0.0
        var accumulators = metricAccumulators()
        for start in stride(from: 0, to: count, by: batchSize) {
            let rows = start..<Swift.min(start + batchSize, count)
            let batchY = try y.map { try $0.slice(rows) }
            let (value, outputs) = try gradientsFreeLoss(x: x.map { try $0.slice(rows) }, y: batchY)
            total += Double(value) * Double(rows.count)
            try update(&accumulators, outputs: outputs, targets: batchY)
        }
        return logs(total / Double(Swift.max(count, 1)), accumulators)
    }

    /// The loss on data, in batches, without training (Keras' `evaluate`).
    ///
    /// - Throws: ``LayerError`` for data that does not fit the model or a batch size below 1.
    public func evaluate(x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32) throws -> Scalar {
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        let count = try checkData(x: x, y: y)
        var total: Scalar = 0
        for start in stride(from: 0, to: count, by: batchSize) {
            let rows = start..<Swift.min(start + batchSize, count)
            let value = try gradientsFreeLoss(x: x.map { try $0.slice(rows) }, y: y.map { try $0.slice(rows) }).loss
            total += value * Scalar(rows.count)
        }
        return total / Scalar(Swift.max(count, 1))
    }

    /// The loss of one batch in inference mode (regularization included, as Keras reports it),
    /// and the outputs it came from.
    private func gradientsFreeLoss(x: [Tensor<Scalar>], y: [Tensor<Scalar>]) throws -> (loss: Scalar, outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        model.clearRecords()
        defer { model.clearRecords() }
        let outputs = try model.forwardRecording(x, training: false)
        var total: Scalar = 0
        for (output, target) in zip(outputs, y) {
            var logits: Tensor<Scalar>?
            if let wanted = loss.logitsActivation, let producer = output.producer as? any LogitsProducing<Scalar>,
               producer.outputActivation == wanted {
                logits = producer.recordedLogits
            }
            total += try loss.evaluate(prediction: output.output, target: target, mask: output.mask, logits: logits).loss
        }
        return (total + regularizationLoss(), outputs.map { ($0.output, $0.mask) })
    }

    /// The per-sample loss weights from `sample_weight` or `class_weight` (not both, as Keras).
    private func sampleWeights(_ sampleWeight: Tensor<Scalar>?, _ classWeight: [Int: Double]?, y: [Tensor<Scalar>], count: Int) throws -> Tensor<Scalar>? {
        if sampleWeight != nil, classWeight != nil {
            throw LayerError(.invalidArgument, "give sample_weight or class_weight, not both (as Keras)")
        }
        if let sampleWeight {
            guard sampleWeight.scalarCount == count, sampleWeight.shape.first == count else {
                throw LayerError(.invalidInputShape, "sample_weight must hold one weight per sample (\(count)), got shape \(sampleWeight.shape)")
            }
            guard sampleWeight.scalars.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw LayerError(.invalidArgument, "sample_weight must hold non-negative finite numbers")
            }
            return try sampleWeight.reshaped(to: [count])
        }
        guard let classWeight else { return nil }
        guard y.count == 1, let target = y.first, target.rank <= 2 else {
            throw LayerError(.unsupported, "class_weight needs one target array of rank 1 or 2 (as Keras)")
        }
        let classes = (classWeight.keys.max() ?? -1) + 1
        guard classWeight.keys.count == classes, classWeight.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw LayerError(.invalidArgument, "class_weight must give a non-negative weight to every class from 0 to the largest, got classes \(classWeight.keys.sorted())")
        }
        let width = target.rank == 2 ? target.shape[1] : 1
        var values = [Scalar]()
        for i in 0..<count {
            let row = target.scalars[(i * width)..<((i + 1) * width)]
            let label = width > 1 ? (row.indices.max { row[$0] < row[$1] } ?? 0) - i * width : Int(row.first?.rounded() ?? 0)
            guard let weight = classWeight[label] else {
                throw LayerError(.invalidArgument, "sample \(i) has class \(label), which class_weight does not give")
            }
            values.append(Scalar(weight))
        }
        return try Tensor(shape: [count], scalars: values)
    }

    /// Checks that inputs and targets agree in sample count and hold finite numbers.
    ///
    /// - Returns: The number of samples.
    func checkData(x: [Tensor<Scalar>], y: [Tensor<Scalar>]) throws -> Int {
        guard let count = x.first?.shape.first else {
            throw LayerError(.invalidInputShape, "no input data")
        }
        for (index, array) in x.enumerated() {
            guard array.shape.first == count else {
                throw LayerError(.invalidInputShape, "input \(index) has \(array.shape.first ?? 0) samples; input 0 has \(count)")
            }
            guard array.scalars.allSatisfy(\.isFinite) else {
                throw LayerError(.invalidArgument, "input \(index) contains NaN or infinite values")
            }
        }
        for (index, array) in y.enumerated() {
            guard array.shape.first == count else {
                throw LayerError(.invalidInputShape, "X has \(count) samples but Y\(y.count > 1 ? " \(index)" : "") has \(array.shape.first ?? 0)")
            }
            guard array.scalars.allSatisfy(\.isFinite) else {
                throw LayerError(.invalidArgument, "target \(index) contains NaN or infinite values")
            }
        }
        return count
    }

    /// Trains the model (Keras' `fit`).
    ///
    /// - Parameters:
    ///   - batchSize: Samples per step; the last batch of an epoch may be smaller.
    ///   - shuffle: Reorders the training samples at each epoch (seeded by `seed`).
    ///   - validationSplit: The fraction of samples, taken from the end before shuffling,
    ///     that is held out for `val_loss`.
    ///   - validationData: Explicit validation inputs and targets (wins over the split).
    ///   - seed: Seed of the shuffling; `nil` draws one from ``GlobalRandom``.
    ///   - initialEpoch: The epoch to start at, counted from 0, for a run that goes on (Keras'
    ///     `initial_epoch`); training ends at `epochs`.
    ///   - sampleWeight: One weight per training sample for the loss (Keras' `sample_weight`).
    ///   - classWeight: A weight per class index, giving each sample the weight of its label
    ///     (Keras' `class_weight`; the targets' argmax, or their value for one column).
    ///   - callbacks: Run in order at each epoch and batch (``EarlyStopping``, ...).
    ///   - onEvent: Called after every batch and epoch.
    /// - Returns: The per-epoch `loss` and metrics (and their `val_` versions), and what
    ///   callbacks add (`learning_rate`).
    /// - Throws: ``LayerError`` for data that does not fit the model or bad arguments, and
    ///   what a callback throws.
    @discardableResult
    public func fit(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32, epochs: Int = 1, initialEpoch: Int = 0, shuffle: Bool = true,
        validationSplit: Double = 0, validationData: (x: [Tensor<Scalar>], y: [Tensor<Scalar>])? = nil,
        seed: UInt64? = nil, sampleWeight: Tensor<Scalar>? = nil, classWeight: [Int: Double]? = nil,
        callbacks: [any TrainingCallback<Scalar>] = [], onEvent: ((TrainingEvent) -> Void)? = nil
    ) throws -> History {
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        guard epochs >= 0 else { throw LayerError(.invalidArgument, "epochs must not be negative, got \(epochs)") }
        guard initialEpoch >= 0 else { throw LayerError(.invalidArgument, "initial_epoch must not be negative, got \(initialEpoch)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw LayerError(.invalidArgument, "validation_split must be in [0, 1), got \(validationSplit)")
        }
        let count = try checkData(x: x, y: y)
        let weights = try sampleWeights(sampleWeight, classWeight, y: y, count: count)
        var trainX = x, trainY = y
        var trainWeights = weights
        var validation = validationData
        if let validationData {
            _ = try checkData(x: validationData.x, y: validationData.y)
        } else if validationSplit > 0 {
            let split = Int((Double(count) * (1 - validationSplit)).rounded(.down))
            guard split > 0, split < count else {
                throw LayerError(.invalidArgument, "validation_split \(validationSplit) leaves no training or no validation samples out of \(count)")
            }
            trainX = try x.map { try $0.slice(0..<split) }
            trainY = try y.map { try $0.slice(0..<split) }
            trainWeights = try weights?.slice(0..<split)
            validation = (try x.map { try $0.slice(split..<count) }, try y.map { try $0.slice(split..<count) })
        }
        let samples = trainX[0].shape[0]
        var generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
        var history = History()
        let batches = (samples + batchSize - 1) / batchSize
        stopTraining = false
        for callback in callbacks { try callback.trainingBegins(self) }
        for epoch in initialEpoch..<max(epochs, initialEpoch) where !stopTraining {
            for callback in callbacks { try callback.epochBegins(epoch, self) }
            var order = Array(0..<samples)
            if shuffle { order.shuffle(using: &generator) }
            var total = 0.0, seen = 0
            var accumulators = metricAccumulators()
            for batch in 0..<batches {
                let rows = Array(order[(batch * batchSize)..<Swift.min((batch + 1) * batchSize, samples)])
                let batchY = try trainY.map { try $0.gathering(rows) }, batchWeights = try trainWeights?.gathering(rows)
                let (value, outputs) = try trainStep(x: trainX.map { try $0.gathering(rows) }, y: batchY, sampleWeight: batchWeights)
                total += Double(value) * Double(rows.count)
                seen += rows.count
                try update(&accumulators, outputs: outputs, targets: batchY, sampleWeight: batchWeights)
                let running = self.logs(total / Double(seen), accumulators)
                for callback in callbacks { try callback.batchEnds(batch, logs: running, self) }
                onEvent?(.batchEnd(epoch: epoch, batch: batch, batches: batches, logs: running))
                if stopTraining { break }
            }
            var logs = self.logs(total / Double(Swift.max(seen, 1)), accumulators)
            if let validation {
                for (key, value) in try evaluateMetrics(x: validation.x, y: validation.y, batchSize: batchSize) {
                    logs["val_" + key] = value
                }
            }
            for callback in callbacks { try callback.epochEnds(epoch, logs: &logs, self) }
            history.append(logs)
            onEvent?(.epochEnd(epoch: epoch, epochs: epochs, logs: logs))
        }
        for callback in callbacks { try callback.trainingEnds(self) }
        return history
    }
}

extension Tensor {
    /// The entries at `rows` along the first axis, in that order.
    ///
    /// - Throws: ``TensorError`` when a row is out of range.
    func gathering(_ rows: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw TensorError("cannot gather rows of a scalar") }
        if rows == Array(0..<shape[0]) { return self }
        let inner = shape.dropFirst().reduce(1, *)
        var values = [Scalar]()
        values.reserveCapacity(rows.count * inner)
        for row in rows {
            guard row >= 0, row < shape[0] else { throw TensorError("row \(row) is out of range for shape \(shape)") }
            values += scalars[(row * inner)..<((row + 1) * inner)]
        }
        return try Tensor(shape: [rows.count] + shape.dropFirst(), scalars: values)
    }
}

