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
    /// Computed on every output during ``fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)``
    /// and ``evaluateMetrics(x:y:batchSize:sampleWeight:steps:)``; a model of several outputs reports them as
    /// `<output>_<metric>`, as Keras does.
    public var metrics: [Metric]
    /// One list of metrics per output (Keras' `metrics` given as a list of lists); when set,
    /// it replaces ``metrics``.
    public var outputMetrics: [[Metric]]?
    /// Momentums, velocities and the step count.
    public private(set) var optimizerState = OptimizerState<Scalar>()
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
    /// their share's rows, so with the same seeds (their own, or ``GlobalRandom``'s set alike
    /// on every worker before the model is made) every worker draws what one process would.
    public var gradientReducer: (any GradientReducer)?

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

    /// The optimizer's state as a tf.keras 2 `.h5` file keeps it (`optimizer_weights`); empty
    /// before the first step.
    ///
    /// - Throws: ``LayerError`` for an optimizer whose tf.keras 2 state is not written here.
    public func tfKeras2OptimizerVariables() throws -> [Tensor<Double>] {
        try optimizerState.tfKeras2Variables(for: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// Continues from the optimizer state a tf.keras 2 `.h5` file saved (`optimizer_weights`),
    /// as tf.keras does when it loads the file.
    ///
    /// - Throws: ``LayerError`` when the state does not fit this optimizer and model.
    public func restoreOptimizerState(tfKeras2Variables: [Tensor<Double>]) throws {
        optimizerState = try OptimizerState(
            tfKeras2Variables: tfKeras2Variables, optimizer: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// The weights the optimizer updates, in `model.layers` order (Keras' `trainable_variables`):
    /// none of a frozen layer.
    var trainableWeights: [Tensor<Scalar>] {
        model.layers.flatMap { $0.trainable ? Array($0.weights.prefix($0.trainableWeightCount)) : [] }
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
    private func targets(_ y: [Tensor<Scalar>], _ objectives: [(loss: Loss, weight: Double)?]) throws -> [Tensor<Scalar>?] {
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
    private func outputLosses(
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
            let count = layer.trainable ? layer.trainableWeightCount : 0
            var gradients = byLayer[ObjectIdentifier(layer)]
                ?? LayerGradients(input: nil, weights: layer.weights.prefix(count).map { Tensor(zeros: $0.shape) })
            if gradients.weights.count > count {
                gradients.weights.removeSubrange(count...)
                gradients.sliceSquares.removeSubrange(min(count, gradients.sliceSquares.count)...)
                gradients.sliceAbsolutes.removeSubrange(min(count, gradients.sliceAbsolutes.count)...)
            }
            for (k, (weight, regularizer)) in zip(layer.weights, layer.weightRegularizers).enumerated() where k < gradients.weights.count {
                if let regularizer {
                    gradients.weights[k] = try gradients.weights[k].adding(regularizer.gradient(weight))
                    gradients.sliceSquares[k] = nil
                    if k < gradients.sliceAbsolutes.count { gradients.sliceAbsolutes[k] = nil }
                }
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
            let count = layer.trainable ? layer.trainableWeightCount : 0
            for (weight, regularizer) in zip(layer.weights.prefix(count), layer.weightRegularizers) {
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

    /// One optimizer step, returning the loss, each output's own loss and the outputs it was computed from.
    // Specialized: called from other modules for Float, it would otherwise run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func trainStep(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], sampleWeight: Tensor<Scalar>? = nil
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        let (value, perOutput, gradients, _, outputs) = try computeGradients(
            x: x, y: y, training: true, inputGradients: false, sampleWeight: sampleWeight)
        try applyUpdate(
            gradients.flatMap(\.weights), sliceSquares: gradients.flatMap(\.sliceSquares),
            sliceAbsolutes: gradients.flatMap(\.sliceAbsolutes))
        return (value, perOutput, outputs)
    }

    /// The optimizer's update with `gradients` of the trainable weights, then the constraints.
    ///
    /// - Parameter kept: Per trainable layer, the weights it keeps up itself (moving
    ///   statistics) to set; `nil` leaves them as the step left them.
    private func applyUpdate(
        _ gradients: [Tensor<Scalar>], sliceSquares: [Tensor<Scalar>?], sliceAbsolutes: [Tensor<Scalar>?],
        kept: [[Tensor<Scalar>]]? = nil
    ) throws {
        var weights = trainableWeights
        try optimizerState.apply(
            optimizer, gradients: gradients, sliceSquares: sliceSquares, sliceAbsolutes: sliceAbsolutes, to: &weights)
        var start = 0
        for (index, layer) in model.layers.filter(\.trainable).enumerated() {
            let count = layer.trainableWeightCount
            var updated = Array(weights[start..<(start + count)])
            for (k, constraint) in layer.weightConstraints.enumerated() where k < updated.count {
                if let constraint {
                    do { updated[k] = try constraint.apply(to: updated[k]) } catch let error as LayerError {
                        throw LayerError(error.kind, "layer '\(layer.name)': \(error.message)")
                    }
                }
            }
            updated += kept.map { $0[index] } ?? Array(layer.weights.dropFirst(count))
            if !updated.isEmpty { try layer.setWeights(updated) }
            start += count
        }
    }

    /// One step of data-parallel training on the global batch `rows`: this worker's share
    /// forward and backward, one sum over the workers, the same update everywhere.
    ///
    /// - Returns: The batch's loss and outputs' losses, and this worker's outputs (`nil` when
    ///   its share is empty: it then computes one row with no weight, to give zeros).
    private func distributedStep(
        rows: [Int], x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], classWeight: [Int: Double]?,
        sampleWeight: Tensor<Scalar>?, reducer: any GradientReducer
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]?, y: [Tensor<Scalar>], weights: Tensor<Scalar>?) {
        let share = reducer.share(of: rows.count)
        let mine = share.isEmpty ? Array(rows.prefix(1)) : Array(rows[share])
        let fraction = share.isEmpty ? 0 : Double(share.count) / Double(rows.count)
        let (inputs, batchY) = try batch(mine, x: x, y: y)
        let batchWeights = try classWeight.map { try classWeights($0, target: batchY[0]) } ?? sampleWeight?.gathering(mine)
        // Masks and noise are drawn for the whole batch, this share's rows kept (BatchShare).
        let (value, perOutput, gradients, _, outputs) = try BatchShare.$current.withValue(
            BatchShare(offset: share.isEmpty ? 0 : share.lowerBound, rows: mine.count, total: rows.count)
        ) {
            try computeGradients(x: inputs, y: batchY, training: true, inputGradients: false, sampleWeight: batchWeights)
        }
        let weightGradients = gradients.flatMap(\.weights), squares = gradients.flatMap(\.sliceSquares)
        let absolutes = gradients.flatMap(\.sliceAbsolutes)
        let keptShapes = model.layers.filter(\.trainable).map { $0.weights.dropFirst($0.trainableWeightCount).map(\.shape) }
        // One buffer: gradients and slice squares weighted by this worker's share, the kept
        // weights to average, the losses.
        var buffer = [Double]()
        for gradient in weightGradients { buffer += gradient.scalars.map { Double($0) * fraction } }
        for case let square? in squares { buffer += square.scalars.map { Double($0) * fraction * fraction } }
        for case let absolute? in absolutes { buffer += absolute.scalars.map { Double($0) * fraction } }
        for layer in model.layers where layer.trainable {
            for weight in layer.weights.dropFirst(layer.trainableWeightCount) {
                buffer += weight.scalars.map { Double($0) / Double(reducer.size) }
            }
        }
        buffer.append(Double(value) * fraction)
        for output in perOutput { buffer.append(Double(output ?? 0) * fraction) }
        try reducer.sum(&buffer)
        var at = 0
        func take(_ shape: [Int]) throws -> Tensor<Scalar> {
            let count = shape.reduce(1, *)
            defer { at += count }
            return try Tensor(shape: shape, scalars: buffer[at..<(at + count)].map { Scalar($0) })
        }
        let summed = try weightGradients.map { try take($0.shape) }
        let summedSquares = try squares.map { try $0.map { try take($0.shape) } }
        let summedAbsolutes = try absolutes.map { try $0.map { try take($0.shape) } }
        let kept = try keptShapes.map { try $0.map { try take($0) } }
        let loss = Scalar(buffer[at])
        let losses = perOutput.indices.map { $0 + at + 1 < buffer.count && perOutput[$0] != nil ? Scalar(buffer[at + 1 + $0]) : nil }
        try applyUpdate(summed, sliceSquares: summedSquares, sliceAbsolutes: summedAbsolutes, kept: kept)
        return (loss, losses, share.isEmpty ? nil : outputs, batchY, batchWeights)
    }

    /// Makes every worker's weights worker 0's.
    private func synchronizeWeights(_ reducer: any GradientReducer) throws {
        var values = model.layers.flatMap { $0.weights.flatMap { $0.scalars.map { Double($0) } } }
        try reducer.broadcast(&values, from: 0)
        var at = 0
        for layer in model.layers where !layer.weights.isEmpty {
            let weights = try layer.weights.map { weight -> Tensor<Scalar> in
                defer { at += weight.scalarCount }
                return try Tensor(shape: weight.shape, scalars: values[at..<(at + weight.scalarCount)].map { Scalar($0) })
            }
            try layer.setWeights(weights)
        }
    }

    /// Adds up the metrics' sums over the workers.
    private func reduceMetrics(_ accumulators: inout [[MetricAccumulator]], _ reducer: any GradientReducer) throws {
        var sums = accumulators.joined().flatMap(\.sums)
        var counts = [Double(sums.count)]
        try reducer.sum(&counts)
        guard counts[0] == Double(sums.count * reducer.size) else {
            throw LayerError(.invalidArgument, "the workers' metrics do not match (a worker saw no batch of this epoch: use a batch size of at least the number of workers)")
        }
        try reducer.sum(&sums)
        var at = 0
        for output in accumulators.indices {
            for k in accumulators[output].indices {
                let count = accumulators[output][k].sums.count
                accumulators[output][k].sums = Array(sums[at..<(at + count)])
                at += count
            }
        }
    }

    /// One accumulator per output and metric, named as Keras names them.
    private func metricAccumulators() throws -> [[MetricAccumulator]] {
        let names = model.outputNames
        let objectives = try objectives()
        return objectives.indices.map { output in
            (outputMetrics?[output] ?? metrics).map { metric in
                var named = metric
                if objectives.count > 1 { named.name = outputName(output) + "_" + metric.name }
                return MetricAccumulator(named)
            }
        }
        func outputName(_ index: Int) -> String { index < names.count ? names[index] : "output_\(index)" }
    }

    /// Running means of the loss (over samples) and of each output's own loss, logged as
    /// `<output>_loss` when more than one output is in the loss. As Keras on TensorFlow reports
    /// them, the outputs' losses are means over batches, whatever their sizes.
    private struct LossMeans {
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

    private func update(
        _ accumulators: inout [[MetricAccumulator]], outputs: [(Tensor<Scalar>, Tensor<Bool>?)], targets: [Tensor<Scalar>?],
        sampleWeight: Tensor<Scalar>? = nil
    ) throws {
        for (index, ((prediction, mask), target)) in zip(outputs, targets).enumerated() where index < accumulators.count {
            guard let target else { continue }
            for k in accumulators[index].indices {
                try accumulators[index][k].update(prediction: prediction, target: target, mask: mask, sampleWeight: sampleWeight)
            }
        }
    }

    /// The loss and the metrics on data, in batches, without training (Keras' `evaluate`
    /// with `return_dict = TRUE`): `loss`, each output's loss and each metric by name.
    ///
    /// - Parameters:
    ///   - sampleWeight: One weight per sample for the loss (and the weighted metrics).
    ///   - steps: Evaluates only the first `steps` batches (Keras' `steps`).
    /// - Throws: ``LayerError`` for data that does not fit the model or a batch size below 1.
    public func evaluateMetrics(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32, sampleWeight: Tensor<Scalar>? = nil, steps: Int? = nil
    ) throws -> [String: Double] {
        try evaluateMetrics(x: sources(x), y: sources(y), batchSize: batchSize, sampleWeight: sampleWeight, steps: steps)
    }

    /// ``evaluateMetrics(x:y:batchSize:sampleWeight:steps:)`` on samples read a batch at a time
    /// (files larger than memory).
    ///
    /// - Throws: ``LayerError`` for data that does not fit the model or a batch size below 1,
    ///   and what reading a source throws.
    public func evaluateMetrics(
        x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], batchSize: Int = 32, sampleWeight: Tensor<Scalar>? = nil,
        steps: Int? = nil
    ) throws -> [String: Double] {
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        if let steps, steps < 1 { throw LayerError(.invalidArgument, "steps must be positive, got \(steps)") }
        let count = try checkData(x: x, y: y)
        var schedule = BatchSchedule(samples: count, batchSize: batchSize, steps: steps, shuffle: false)
        var generator = RandomGenerator(seed: 0)
        return try evaluate(x: x, y: y, sampleWeight: try checkedSampleWeight(sampleWeight, count: count),
                            batches: schedule.nextEpoch(using: &generator))
    }

    private func sources(_ tensors: [Tensor<Scalar>]) -> [any BatchSource<Scalar>] { tensors.map { $0 as any BatchSource<Scalar> } }

    /// One batch: the inputs and targets at `rows`, checked to hold finite numbers.
    private func batch(_ rows: [Int], x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>]) throws -> (x: [Tensor<Scalar>], y: [Tensor<Scalar>]) {
        let inputs = try x.map { try $0.samples(at: rows) }, targets = try y.map { try $0.samples(at: rows) }
        for (what, arrays) in [("input", inputs), ("target", targets)] {
            for (index, array) in arrays.enumerated() where !array.scalars.allSatisfy(\.isFinite) {
                let first = rows.min() ?? 0
                throw LayerError(.invalidArgument, "\(what) \(index) contains NaN or infinite values (in a batch of samples from \(first))")
            }
        }
        return (inputs, targets)
    }

    /// The loss and the metrics over the given batches of rows.
    private func evaluate(
        x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], sampleWeight: Tensor<Scalar>?, batches: [[Int]]
    ) throws -> [String: Double] {
        let objectives = try objectives()
        var means = LossMeans(names: model.outputNames, objectives: objectives)
        var accumulators = try metricAccumulators()
        // Data-parallel training: each worker evaluates its share of every batch, and the sums
        // are added up once at the end.
        let reducer = gradientReducer.flatMap { $0.size > 1 ? $0 : nil }
        for rows in batches {
            let share = reducer?.share(of: rows.count) ?? 0..<rows.count
            guard !share.isEmpty else {
                means.addShare(0, [], samples: 0, fraction: 0)
                continue
            }
            let mine = Array(rows[share])
            let batchWeights = try sampleWeight?.gathering(mine)
            let (inputs, batchY) = try batch(mine, x: x, y: y)
            let targets = try self.targets(batchY, objectives)
            let (value, perOutput, outputs) = try BatchShare.$current.withValue(
                reducer == nil ? nil : BatchShare(offset: share.lowerBound, rows: mine.count, total: rows.count)
            ) {
                try gradientsFreeLoss(x: inputs, targets: targets, sampleWeight: batchWeights)
            }
            means.addShare(value, perOutput, samples: mine.count, fraction: Double(mine.count) / Double(rows.count))
            try update(&accumulators, outputs: outputs, targets: targets, sampleWeight: batchWeights)
        }
        if let reducer {
            var sums = means.sums
            try reducer.sum(&sums)
            means.sums = sums
            try reduceMetrics(&accumulators, reducer)
        }
        return means.logs(accumulators)
    }

    /// The loss on data, in batches, without training (Keras' `evaluate`).
    ///
    /// - Throws: ``LayerError`` for data that does not fit the model or a batch size below 1.
    public func evaluate(x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32) throws -> Scalar {
        Scalar(try evaluateMetrics(x: x, y: y, batchSize: batchSize)["loss"] ?? 0)
    }

    /// The loss of one batch in inference mode (regularization included, as Keras reports it),
    /// each output's own loss, and the outputs they came from.
    private func gradientsFreeLoss(
        x: [Tensor<Scalar>], targets: [Tensor<Scalar>?], sampleWeight: Tensor<Scalar>?
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        model.clearRecords()
        defer { model.clearRecords() }
        let outputs = try model.forwardRecording(x, training: false)
        let (total, perOutput, _) = try outputLosses(outputs, targets: targets, sampleWeight: sampleWeight)
        return (total + regularizationLoss(), perOutput, outputs.map { ($0.output, $0.mask) })
    }

    /// `sample_weight` checked: one non-negative finite weight per sample.
    private func checkedSampleWeight(_ sampleWeight: Tensor<Scalar>?, count: Int) throws -> Tensor<Scalar>? {
        guard let sampleWeight else { return nil }
        guard sampleWeight.scalarCount == count, sampleWeight.shape.first == count else {
            throw LayerError(.invalidInputShape, "sample_weight must hold one weight per sample (\(count)), got shape \(sampleWeight.shape)")
        }
        guard sampleWeight.scalars.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw LayerError(.invalidArgument, "sample_weight must hold non-negative finite numbers")
        }
        return try sampleWeight.reshaped(to: [count])
    }

    /// Checks `class_weight`: a non-negative weight for every class from 0 to the largest, for
    /// one target array of rank 1 or 2 (as Keras).
    private func checkClassWeight(_ classWeight: [Int: Double], targets: [any BatchSource<Scalar>]) throws {
        guard targets.count == 1, let target = targets.first, target.sampleShape.count <= 1 else {
            throw LayerError(.unsupported, "class_weight needs one target array of rank 1 or 2 (as Keras)")
        }
        let classes = (classWeight.keys.max() ?? -1) + 1
        guard classWeight.keys.count == classes, classWeight.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw LayerError(.invalidArgument, "class_weight must give a non-negative weight to every class from 0 to the largest, got classes \(classWeight.keys.sorted())")
        }
    }

    /// The weight of each sample of a batch from its label: the targets' argmax, or their value
    /// for one column.
    private func classWeights(_ classWeight: [Int: Double], target: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let count = target.sampleCount, width = target.rank == 2 ? target.shape[1] : 1
        var values = [Scalar]()
        for i in 0..<count {
            let row = target.scalars[(i * width)..<((i + 1) * width)]
            let label = width > 1 ? (row.indices.max { row[$0] < row[$1] } ?? 0) - i * width : Int(row.first?.rounded() ?? 0)
            guard let weight = classWeight[label] else {
                throw LayerError(.invalidArgument, "a sample has class \(label), which class_weight does not give")
            }
            values.append(Scalar(weight))
        }
        return try Tensor(shape: [count], scalars: values)
    }

    /// Checks that inputs and targets agree in sample count.
    ///
    /// - Returns: The number of samples.
    func checkData(x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>]) throws -> Int {
        guard let count = x.first?.sampleCount else {
            throw LayerError(.invalidInputShape, "no input data")
        }
        for (index, array) in x.enumerated() where array.sampleCount != count {
            throw LayerError(.invalidInputShape, "input \(index) has \(array.sampleCount) samples; input 0 has \(count)")
        }
        for (index, array) in y.enumerated() where array.sampleCount != count {
            throw LayerError(.invalidInputShape, "X has \(count) samples but Y\(y.count > 1 ? " \(index)" : "") has \(array.sampleCount)")
        }
        return count
    }

    /// Trains the model (Keras' `fit`).
    ///
    /// - Parameters:
    ///   - batchSize: Samples per step; the last batch of an epoch may be smaller.
    ///   - shuffle: Reorders the training samples each time they are all used (seeded by `seed`).
    ///   - validationSplit: The fraction of samples, taken from the end before shuffling,
    ///     that is held out for `val_loss`.
    ///   - validationData: Explicit validation inputs and targets (wins over the split).
    ///   - validationSampleWeight: One weight per validation sample (the third element of
    ///     Keras' `validation_data`).
    ///   - seed: Seed of the shuffling; `nil` draws one from ``GlobalRandom``.
    ///   - initialEpoch: The epoch to start at, counted from 0, for a run that goes on (Keras'
    ///     `initial_epoch`); training ends at `epochs`.
    ///   - sampleWeight: One weight per training sample for the loss (Keras' `sample_weight`).
    ///   - classWeight: A weight per class index, giving each sample the weight of its label
    ///     (Keras' `class_weight`; the targets' argmax, or their value for one column).
    ///   - stepsPerEpoch: Batches per epoch (Keras' `steps_per_epoch`); as in Keras the batches
    ///     go on from where the previous epoch stopped, an epoch ends early when the data runs
    ///     out, and the next one starts the data again.
    ///   - validationSteps: Validates on the first batches only (Keras' `validation_steps`).
    ///   - callbacks: Run in order at each epoch and batch (``EarlyStopping``, ...).
    ///   - onEvent: Called after every batch and epoch.
    /// - Returns: The per-epoch `loss`, each output's loss (several outputs), the metrics (and
    ///   their `val_` versions), and what callbacks add (`learning_rate`).
    /// - Throws: ``LayerError`` for data that does not fit the model or bad arguments, and
    ///   what a callback throws.
    @discardableResult
    public func fit(
        x: [Tensor<Scalar>], y: [Tensor<Scalar>], batchSize: Int = 32, epochs: Int = 1, initialEpoch: Int = 0, shuffle: Bool = true,
        validationSplit: Double = 0, validationData: (x: [Tensor<Scalar>], y: [Tensor<Scalar>])? = nil,
        validationSampleWeight: Tensor<Scalar>? = nil,
        seed: UInt64? = nil, sampleWeight: Tensor<Scalar>? = nil, classWeight: [Int: Double]? = nil,
        stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
        callbacks: [any TrainingCallback<Scalar>] = [], onEvent: ((TrainingEvent) -> Void)? = nil
    ) throws -> History {
        try fit(
            x: sources(x), y: sources(y), batchSize: batchSize, epochs: epochs, initialEpoch: initialEpoch, shuffle: shuffle,
            validationSplit: validationSplit, validationData: validationData.map { (sources($0.x), sources($0.y)) },
            validationSampleWeight: validationSampleWeight, seed: seed, sampleWeight: sampleWeight, classWeight: classWeight,
            stepsPerEpoch: stepsPerEpoch, validationSteps: validationSteps, callbacks: callbacks, onEvent: onEvent)
    }

    /// ``fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)``
    /// on samples read a batch at a time (`NumPyFile`s of KerasFiles, or any ``BatchSource``), so
    /// that memory stays at the model and a few batches whatever the data's size. Each batch is
    /// checked for NaN and infinite values as it is read.
    ///
    /// - Throws: As the in-memory version, and what reading a source throws.
    @discardableResult
    public func fit(
        x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], batchSize: Int = 32, epochs: Int = 1, initialEpoch: Int = 0,
        shuffle: Bool = true, validationSplit: Double = 0,
        validationData: (x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>])? = nil, validationSampleWeight: Tensor<Scalar>? = nil,
        seed: UInt64? = nil, sampleWeight: Tensor<Scalar>? = nil, classWeight: [Int: Double]? = nil,
        stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
        callbacks: [any TrainingCallback<Scalar>] = [], onEvent: ((TrainingEvent) -> Void)? = nil
    ) throws -> History {
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        guard epochs >= 0 else { throw LayerError(.invalidArgument, "epochs must not be negative, got \(epochs)") }
        guard initialEpoch >= 0 else { throw LayerError(.invalidArgument, "initial_epoch must not be negative, got \(initialEpoch)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw LayerError(.invalidArgument, "validation_split must be in [0, 1), got \(validationSplit)")
        }
        if let stepsPerEpoch, stepsPerEpoch < 1 { throw LayerError(.invalidArgument, "steps_per_epoch must be positive, got \(stepsPerEpoch)") }
        if let validationSteps, validationSteps < 1 { throw LayerError(.invalidArgument, "validation_steps must be positive, got \(validationSteps)") }
        let objectives = try objectives()
        let count = try checkData(x: x, y: y)
        if sampleWeight != nil, classWeight != nil {
            throw LayerError(.invalidArgument, "give sample_weight or class_weight, not both (as Keras)")
        }
        if let classWeight { try checkClassWeight(classWeight, targets: y) }
        let weights = try checkedSampleWeight(sampleWeight, count: count)
        var trainX = x, trainY = y
        var trainWeights = weights
        var validation = validationData.map { (x: $0.x, y: $0.y, weights: validationSampleWeight) }
        if let validationData {
            let samples = try checkData(x: validationData.x, y: validationData.y)
            validation?.weights = try checkedSampleWeight(validationSampleWeight, count: samples)
        } else if validationSampleWeight != nil {
            throw LayerError(.invalidArgument, "validation sample weights need validation data")
        } else if validationSplit > 0 {
            let split = Int((Double(count) * (1 - validationSplit)).rounded(.down))
            guard split > 0, split < count else {
                throw LayerError(.invalidArgument, "validation_split \(validationSplit) leaves no training or no validation samples out of \(count)")
            }
            // As Keras, the split keeps the sample weights given; class weights are for training.
            func part(_ range: Range<Int>) -> ([any BatchSource<Scalar>]) -> [any BatchSource<Scalar>] {
                { sources in sources.map { SampleRange(base: $0, range: range) } }
            }
            trainX = part(0..<split)(x)
            trainY = part(0..<split)(y)
            trainWeights = try weights?.slice(0..<split)
            validation = (part(split..<count)(x), part(split..<count)(y), try weights?.slice(split..<count))
        }
        _ = try metricAccumulators()
        var seed = seed ?? GlobalRandom.nextSeed()
        let reducer = gradientReducer.flatMap { $0.size > 1 ? $0 : nil }
        if let reducer {
            guard batchSize >= reducer.size else {
                throw LayerError(.invalidArgument, "batch_size \(batchSize) is smaller than the \(reducer.size) workers: each takes a share of every batch")
            }
            try synchronizeWeights(reducer)
            // Worker 0's seed, so that every worker draws the same batches.
            var halves = [Double(seed >> 32), Double(seed & 0xFFFF_FFFF)]
            try reducer.broadcast(&halves, from: 0)
            seed = UInt64(halves[0]) << 32 | UInt64(halves[1])
        }
        var generator = RandomGenerator(seed: seed)
        var history = History()
        var schedule = BatchSchedule(samples: trainX[0].sampleCount, batchSize: batchSize, steps: stepsPerEpoch, shuffle: shuffle)
        stopTraining = false
        for callback in callbacks { try callback.trainingBegins(self) }
        for epoch in initialEpoch..<max(epochs, initialEpoch) where !stopTraining {
            for callback in callbacks { try callback.epochBegins(epoch, self) }
            var means = LossMeans(names: model.outputNames, objectives: objectives)
            var accumulators = try metricAccumulators()
            let batches = schedule.batchesPerEpoch
            for (batch, rows) in schedule.nextEpoch(using: &generator).enumerated() {
                if let reducer {
                    let step = try distributedStep(
                        rows: rows, x: trainX, y: trainY, classWeight: classWeight, sampleWeight: trainWeights, reducer: reducer)
                    means.add(step.loss, step.perOutput, samples: rows.count)
                    if let outputs = step.outputs {
                        try update(&accumulators, outputs: outputs, targets: try targets(step.y, objectives), sampleWeight: step.weights)
                    }
                } else {
                    let (inputs, batchY) = try self.batch(rows, x: trainX, y: trainY)
                    let batchWeights = try classWeight.map { try classWeights($0, target: batchY[0]) } ?? trainWeights?.gathering(rows)
                    let (value, perOutput, outputs) = try trainStep(x: inputs, y: batchY, sampleWeight: batchWeights)
                    means.add(value, perOutput, samples: rows.count)
                    try update(&accumulators, outputs: outputs, targets: try targets(batchY, objectives), sampleWeight: batchWeights)
                }
                let running = means.logs(accumulators)
                for callback in callbacks { try callback.batchEnds(batch, logs: running, self) }
                onEvent?(.batchEnd(epoch: epoch, batch: batch, batches: batches, logs: running))
                if stopTraining { break }
            }
            if let reducer { try reduceMetrics(&accumulators, reducer) }
            var logs = means.logs(accumulators)
            if let validation {
                // As Keras, each validation starts at the first batch.
                var schedule = BatchSchedule(samples: validation.x[0].sampleCount, batchSize: batchSize, steps: validationSteps, shuffle: false)
                let values = try evaluate(
                    x: validation.x, y: validation.y, sampleWeight: validation.weights, batches: schedule.nextEpoch(using: &generator))
                for (key, value) in values { logs["val_" + key] = value }
            }
            for callback in callbacks { try callback.epochEnds(epoch, logs: &logs, self) }
            history.append(logs)
            onEvent?(.epochEnd(epoch: epoch, epochs: epochs, logs: logs))
        }
        for callback in callbacks { try callback.trainingEnds(self) }
        return history
    }
}
