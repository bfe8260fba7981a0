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
    /// Applied to every output that ``outputLosses`` does not set.
    public var loss: Loss
    /// One loss per output (Keras' `loss` given as a list); `nil` leaves that output out of
    /// the loss, as Keras' `None`. When set, it replaces ``loss``.
    public var outputLosses: [Loss?]?
    /// The weight of each output's loss in the total (Keras' `loss_weights`); `nil` weighs
    /// every output by 1.
    public var lossWeights: [Double]?
    /// Computed on every output during ``fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``
    /// and ``evaluateMetrics(x:y:batchSize:sampleWeight:steps:)-([Tensor<Scalar>],_,_,_,_)``; a model of several outputs reports them as
    /// `<output>_<metric>`, as Keras does.
    public var metrics: [Metric]
    /// One list of metrics per output (Keras' `metrics` given as a list of lists); when set,
    /// it replaces ``metrics``.
    public var outputMetrics: [[Metric]]?
    /// Momentums, velocities and the step count.
    public package(set) var optimizerState = OptimizerState<Scalar>()
    /// Set by a callback to end training after the current batch (Keras' `model.stop_training`).
    public var stopTraining = false
    /// Data-parallel training: the workers' reducer (see ``GradientReducer``); `nil` (the
    /// default) trains in this process alone.
    ///
    /// With one, `fit` first makes every worker's weights worker 0's, each worker takes its
    /// share of every batch (the batches themselves are the same on every worker: same seed,
    /// drawn by worker 0), and one sum per step adds up the gradients (each weighted by its
    /// share of the batch), the losses and the moving statistics of normalization layers
    /// (averaged); metrics are summed at the end of each epoch. Every worker then applies the
    /// same update, so all hold the same weights. Validation is shared out the same way, its
    /// sums added up at its end.
    /// Dropout and noise layers draw their masks for the whole batch on every worker and keep
    /// their share's rows, so with the same seeds (their own, or `GlobalRandom`'s set alike
    /// on every worker before the model is made) every worker draws what one process would.
    public var gradientReducer: (any GradientReducer)?
    /// The state of the running `fit`, for ``fitPosition`` and ``resumeFit(from:)``.
    var fitLoop: FitLoop?

    /// Creates a trainer (Keras' `model.compile(optimizer, loss, metrics, loss_weights)`).
    public init(model: any Model<Scalar>, optimizer: Optimizer, loss: Loss, lossWeights: [Double]? = nil, metrics: [Metric] = []) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.lossWeights = lossWeights
        self.metrics = metrics
    }

    /// Creates a trainer with a loss and metrics per output (Keras' `model.compile` with lists).
    ///
    /// - Parameters:
    ///   - losses: One per output; `nil` leaves an output out of the loss.
    ///   - metrics: One list per output.
    public init(
        model: any Model<Scalar>, optimizer: Optimizer, losses: [Loss?], lossWeights: [Double]? = nil, metrics: [[Metric]]? = nil
    ) {
        self.model = model
        self.optimizer = optimizer
        self.loss = losses.lazy.compactMap { $0 }.first ?? .meanSquaredError
        self.outputLosses = losses
        self.lossWeights = lossWeights
        self.metrics = []
        self.outputMetrics = metrics
    }

    /// The weights the optimizer updates, in `model.layers` order (Keras' `trainable_variables`):
    /// none of a frozen layer.
    package var trainableWeights: [Tensor<Scalar>] {
        model.layers.flatMap { layer in
            let weights = layer.weights
            return layer.updatedWeightIndices.map { weights[$0] }
        }
    }

    /// The loss and the gradients of one batch, without updating anything.
    ///
    /// - Parameter training: Applies dropout when `true`.
    /// - Returns: The loss (including regularization), the gradient of each weight in
    ///   `model.layers` order, and the gradient of each input.
    /// - Throws: ``LayerError`` for data that does not fit the model.
    public func gradients(x: [Tensor<Scalar>], y: [Tensor<Scalar>], training: Bool = true) throws -> (loss: Scalar, weights: [[Tensor<Scalar>]], inputs: [Tensor<Scalar>?]) {
        let result = try computeGradients(x: x, y: y, training: training, inputGradients: true)
        return (result.loss, result.weights.map { $0.weights }, result.inputs)
    }

    /// The loss of each output with its weight, `nil` for an output outside the loss.
    ///
    /// - Throws: ``LayerError`` when per-output losses or loss weights do not fit the outputs.
    func objectives() throws -> [(loss: Loss, weight: Double)?] {
        let count = max(model.outputNames.count, 1)
        if let outputLosses, outputLosses.count != count {
            throw LayerError(.invalidArgument, "\(outputLosses.count) losses given for the \(count) output(s) of model '\(model.name)'")
        }
        if let lossWeights {
            guard lossWeights.count == count else {
                throw LayerError(.invalidArgument, "\(lossWeights.count) loss weights given for the \(count) output(s) of model '\(model.name)'")
            }
            guard lossWeights.allSatisfy(\.isFinite) else { throw LayerError(.invalidArgument, "loss weights must be finite, got \(lossWeights)") }
        }
        if let outputMetrics, outputMetrics.count != count {
            throw LayerError(.invalidArgument, "\(outputMetrics.count) metric lists given for the \(count) output(s) of model '\(model.name)'")
        }
        return (0..<count).map { index in
            guard let loss = outputLosses.map({ $0[index] }) ?? loss else { return nil }
            return (loss, lossWeights?[index] ?? 1)
        }
    }

    /// The target of each output: `y` has one per output, or one per output in the loss (as Keras
    /// accepts when some outputs have no loss).
    func targets(_ y: [Tensor<Scalar>], _ objectives: [(loss: Loss, weight: Double)?]) throws -> [Tensor<Scalar>?] {
        if y.count == objectives.count { return y }
        let active = objectives.indices.filter { objectives[$0] != nil }
        guard y.count == active.count else {
            throw LayerError(.invalidInputShape, "model '\(model.name)' has \(objectives.count) output(s), \(active.count) with a loss; \(y.count) target array(s) given")
        }
        var targets = [Tensor<Scalar>?](repeating: nil, count: objectives.count)
        for (index, target) in zip(active, y) { targets[index] = target }
        return targets
    }

    /// The weighted total of the output losses, each output's own (unweighted) loss, and the
    /// gradient to start backpropagation from.
    func outputLosses(
        _ outputs: [(output: Tensor<Scalar>, mask: Tensor<Bool>?, producer: (any Layer<Scalar>)?)], targets: [Tensor<Scalar>?],
        sampleWeight: Tensor<Scalar>?
    ) throws -> (total: Scalar, perOutput: [Scalar?], gradients: [(gradient: Tensor<Scalar>?, throughLogits: Bool)]) {
        let objectives = try objectives()
        guard outputs.count == objectives.count else {
            throw LayerError(.invalidInputShape, "model '\(model.name)' has \(outputs.count) output(s); \(objectives.count) losses")
        }
        var total: Scalar = 0
        var perOutput = [Scalar?](), gradients = [(gradient: Tensor<Scalar>?, throughLogits: Bool)]()
        for (output, (objective, target)) in zip(outputs, zip(objectives, targets)) {
            guard let objective, let target else {
                perOutput.append(nil)
                gradients.append((nil, false))
                continue
            }
            var logits: Tensor<Scalar>?
            if objective.loss.usesCachedLogits, let producer = output.producer as? any LogitsProducing<Scalar>,
               producer.outputActivation == .sigmoid || producer.outputActivation == .softmax {
                logits = producer.recordedLogits
            }
            let (value, gradient) = try objective.loss.evaluate(
                prediction: output.output, target: target, mask: output.mask, logits: logits, sampleWeight: sampleWeight)
            let weight = Scalar(objective.weight)
            total += weight * value
            perOutput.append(value)
            gradients.append((objective.weight == 1 ? gradient : gradient.map { $0 * weight }, logits != nil))
        }
        return (total, perOutput, gradients)
    }

    /// The loss, each output's own loss, each layer's gradients (with the slice norms Keras
    /// clips by), the input gradients, and the outputs with their masks (for the metrics).
    // Specialized: called from other modules for Float, it would otherwise run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func computeGradients(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], training: Bool, inputGradients: Bool, sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, perOutput: [Scalar?], weights: [LayerGradients<Scalar>], inputs: [Tensor<Scalar>?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        model.clearRecords()
        defer { model.clearRecords() }
        let outputs = try model.forwardRecording(x, training: training)
        let (lossTotal, perOutput, outputGradients) = try outputLosses(
            outputs, targets: try targets(y, try objectives()), sampleWeight: sampleWeight)
        let total = lossTotal + regularizationLoss()
        let (byLayer, inputs) = try model.backward(outputGradients, inputGradients: inputGradients)
        var weights = [LayerGradients<Scalar>]()
        for layer in model.layers {
            let all = layer.weights, regularizers = layer.weightRegularizers
            let given = byLayer[ObjectIdentifier(layer)]
            // The gradients of the weights the optimizer updates, regularizers' included.
            var gradients = LayerGradients<Scalar>(input: nil, weightGradients: [])
            for k in layer.updatedWeightIndices {
                var gradient = given.flatMap { k < $0.weightGradients.count ? $0.weightGradients[k] : nil }
                    ?? WeightGradient(Tensor(zeros: all[k].shape))
                if k < regularizers.count, let regularizer = regularizers[k] {
                    // A regularizer's dense gradient makes TensorFlow's slices dense too.
                    gradient = WeightGradient(try gradient.dense.adding(regularizer.gradient(all[k])))
                }
                gradients.weightGradients.append(gradient)
            }
            weights.append(gradients)
        }
        return (total, perOutput, weights, inputs, outputs.map { ($0.output, $0.mask) })
    }

    /// The penalties of the trainable weights (as Keras, none of a frozen layer) plus the
    /// activity penalties of the last call.
    func regularizationLoss() -> Scalar {
        var total: Scalar = 0
        for layer in model.layers {
            let weights = layer.weights, regularizers = layer.weightRegularizers
            for k in layer.updatedWeightIndices where k < regularizers.count {
                if let regularizer = regularizers[k] { total += regularizer.penalty(weights[k]) }
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

    /// One optimizer step, returning the loss, each output's own loss and the outputs it was computed from.
    // Specialized: called from other modules for Float, it would otherwise run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func trainStep(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        let (value, perOutput, gradients, _, outputs) = try computeGradients(
            x: x, y: y, training: true, inputGradients: false, sampleWeight: sampleWeight)
        try applyUpdate(gradients.flatMap(\.weightGradients))
        return (value, perOutput, outputs)
    }

    /// The optimizer's update with `gradients` of the trainable weights, then the constraints.
    ///
    /// - Parameter kept: Per trainable layer, the weights it keeps up itself (moving
    ///   statistics) to set; `nil` leaves them as the step left them.
    func applyUpdate(_ gradients: [WeightGradient<Scalar>], kept: [[Tensor<Scalar>]]? = nil) throws {
        var weights = trainableWeights
        try optimizerState.apply(optimizer, gradients: gradients, to: &weights)
        var start = 0
        for (index, layer) in model.layers.filter(\.trainable).enumerated() {
            let updatedIndices = layer.updatedWeightIndices, constraints = layer.weightConstraints
            var all = layer.weights
            for (j, k) in updatedIndices.enumerated() {
                all[k] = weights[start + j]
                if k < constraints.count, let constraint = constraints[k] {
                    do { all[k] = try constraint.apply(to: all[k]) } catch let error as LayerError {
                        throw LayerError(error.kind, "layer '\(layer.name)': \(error.message)")
                    }
                }
            }
            if let kept {
                for (j, k) in layer.keptWeightIndices.enumerated() { all[k] = kept[index][j] }
            }
            if !all.isEmpty { try layer.setWeights(all) }
            start += updatedIndices.count
        }
    }

    /// Running means of the loss (over samples) and of each output's own loss, logged as
    /// `<output>_loss` when more than one output is in the loss. As Keras on TensorFlow reports
    /// them, the outputs' losses are means over batches, whatever their sizes.
    struct LossMeans {
        var total = 0.0, perOutput: [Double], samples = 0, batches = 0
        let names: [String?]

        init(names: [String], objectives: [(loss: Loss, weight: Double)?]) {
            let logged = objectives.compactMap { $0 }.count > 1
            self.names = objectives.indices.map { index in
                guard logged, objectives[index] != nil else { return nil }
                return (index < names.count ? names[index] : "output_\(index)") + "_loss"
            }
            perOutput = objectives.map { _ in 0 }
        }

        mutating func add(_ loss: Scalar, _ outputs: [Scalar?], samples count: Int) {
            total += Double(loss) * Double(count)
            for (k, value) in outputs.enumerated() where k < perOutput.count { perOutput[k] += Double(value ?? 0) }
            samples += count
            batches += 1
        }

        /// Adds a data-parallel worker's share of a batch: its loss over `count` samples and
        /// its outputs' losses weighted by its `fraction` of the batch (summed over the workers
        /// by ``sums``); the batch itself counts on every worker.
        mutating func addShare(_ loss: Scalar, _ outputs: [Scalar?], samples count: Int, fraction: Double) {
            total += Double(loss) * Double(count)
            for (k, value) in outputs.enumerated() where k < perOutput.count { perOutput[k] += Double(value ?? 0) * fraction }
            samples += count
            batches += 1
        }

        /// The sums that add up over workers (not the batch count, the same everywhere).
        var sums: [Double] {
            get { [total, Double(samples)] + perOutput }
            set {
                guard newValue.count == 2 + perOutput.count else { return }
                total = newValue[0]
                samples = Int(newValue[1])
                perOutput = Array(newValue[2...])
            }
        }

        func logs(_ accumulators: [[MetricAccumulator]], prefix: String = "") -> [String: Double] {
            var logs = [prefix + "loss": total / Double(Swift.max(samples, 1))]
            for (name, value) in zip(names, perOutput) { if let name { logs[prefix + name] = value / Double(Swift.max(batches, 1)) } }
            for accumulator in accumulators.joined() { logs[prefix + accumulator.metric.name] = accumulator.result }
            return logs
        }
    }
}
