/// Evaluation and metrics: Keras' `evaluate`, and the metric accumulators `fit` shares.
extension Trainer {
    /// One accumulator per output and metric, named as Keras names them.
    func metricAccumulators() throws -> [[MetricAccumulator]] {
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

    func update(
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

    /// ``evaluateMetrics(x:y:batchSize:sampleWeight:steps:)-([Tensor<Scalar>],_,_,_,_)`` on samples read a batch at a time
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

    func sources(_ tensors: [Tensor<Scalar>]) -> [any BatchSource<Scalar>] { tensors.map { $0 as any BatchSource<Scalar> } }

    /// One batch: the inputs and targets at `rows`, checked to hold finite numbers.
    func batch(_ rows: [Int], x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>]) throws -> (x: [Tensor<Scalar>], y: [Tensor<Scalar>]) {
        let inputs = try x.map { try $0.samples(at: rows) }, targets = try y.map { try $0.samples(at: rows) }
        for (what, arrays) in [("input", inputs), ("target", targets)] {
            for (index, array) in arrays.enumerated() where !array.isAllFinite() {
                let first = rows.min() ?? 0
                throw LayerError(.invalidArgument, "\(what) \(index) contains NaN or infinite values (in a batch of samples from \(first))")
            }
        }
        return (inputs, targets)
    }

    /// The loss and the metrics over the given batches of rows.
    func evaluate(
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
    func gradientsFreeLoss(
        x: [Tensor<Scalar>], targets: [Tensor<Scalar>?], sampleWeight: Tensor<Scalar>?
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) {
        model.clearRecords()
        defer { model.clearRecords() }
        let outputs = try model.forwardRecording(x, training: false)
        let (total, perOutput, _) = try outputLosses(outputs, targets: targets, sampleWeight: sampleWeight)
        return (total + regularizationLoss(), perOutput, outputs.map { ($0.output, $0.mask) })
    }
}
