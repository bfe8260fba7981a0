/// Keras' `fit`: its arguments checked, the validation split, the epochs and batches with their callbacks.
extension Trainer {
    /// `sample_weight` checked: one non-negative finite weight per sample.
    func checkedSampleWeight(_ sampleWeight: Tensor<Scalar>?, count: Int) throws -> Tensor<Scalar>? {
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
    func checkClassWeight(_ classWeight: [Int: Double], targets: [any BatchSource<Scalar>]) throws {
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
    func classWeights(_ classWeight: [Int: Double], target: Tensor<Scalar>) throws -> Tensor<Scalar> {
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
    ///   - seed: Seed of the shuffling; `nil` draws one from `GlobalRandom`.
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
            x: sources(x), y: sources(y),
            options: FitOptions(
                batchSize: batchSize, epochs: epochs, initialEpoch: initialEpoch, shuffle: shuffle, validationSplit: validationSplit,
                validationSampleWeight: validationSampleWeight, seed: seed, sampleWeight: sampleWeight, classWeight: classWeight,
                stepsPerEpoch: stepsPerEpoch, validationSteps: validationSteps),
            validationData: validationData.map { (sources($0.x), sources($0.y)) }, callbacks: callbacks, onEvent: onEvent)
    }

    /// Trains a model of one input and one output (Keras' `fit(x, y, ...)`), as the array form
    /// ``fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``
    /// does with `[x]` and `[y]`.
    ///
    /// - Returns: The per-epoch logs.
    /// - Throws: As the array form.
    @discardableResult
    public func fit(
        x: Tensor<Scalar>, y: Tensor<Scalar>, batchSize: Int = 32, epochs: Int = 1, initialEpoch: Int = 0, shuffle: Bool = true,
        validationSplit: Double = 0, validationData: (x: Tensor<Scalar>, y: Tensor<Scalar>)? = nil,
        validationSampleWeight: Tensor<Scalar>? = nil,
        seed: UInt64? = nil, sampleWeight: Tensor<Scalar>? = nil, classWeight: [Int: Double]? = nil,
        stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
        callbacks: [any TrainingCallback<Scalar>] = [], onEvent: ((TrainingEvent) -> Void)? = nil
    ) throws -> History {
        try fit(
            x: [x], y: [y], batchSize: batchSize, epochs: epochs, initialEpoch: initialEpoch, shuffle: shuffle,
            validationSplit: validationSplit, validationData: validationData.map { ([$0.x], [$0.y]) },
            validationSampleWeight: validationSampleWeight, seed: seed, sampleWeight: sampleWeight, classWeight: classWeight,
            stepsPerEpoch: stepsPerEpoch, validationSteps: validationSteps, callbacks: callbacks, onEvent: onEvent)
    }

    /// ``fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``
    /// with its arguments as one ``FitOptions`` value, on samples read a batch at a time
    /// (`NumPyFile`s of KerasFiles, or any ``BatchSource``), so that memory stays at the model
    /// and a few batches whatever the data's size. Each batch is checked for NaN and infinite
    /// values as it is read.
    ///
    /// - Throws: As the in-memory version, and what reading a source throws.
    @discardableResult
    public func fit(
        x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], options: FitOptions<Scalar> = FitOptions(),
        validationData: (x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>])? = nil,
        callbacks: [any TrainingCallback<Scalar>] = [], onEvent: ((TrainingEvent) -> Void)? = nil
    ) throws -> History {
        let (batchSize, epochs, initialEpoch) = (options.batchSize, options.epochs, options.initialEpoch)
        let (validationSplit, validationSampleWeight, sampleWeight) = (options.validationSplit, options.validationSampleWeight, options.sampleWeight)
        let (classWeight, stepsPerEpoch, validationSteps) = (options.classWeight, options.stepsPerEpoch, options.validationSteps)
        guard batchSize > 0 else { throw LayerError(.invalidArgument, "batch_size must be positive, got \(batchSize)") }
        guard epochs >= 0 else { throw LayerError(.invalidArgument, "epochs must not be negative, got \(epochs)") }
        guard initialEpoch >= 0 else { throw LayerError(.invalidArgument, "initial_epoch must not be negative, got \(initialEpoch)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw LayerError(.invalidArgument, "validation_split must be in [0, 1), got \(validationSplit)")
        }
        if let stepsPerEpoch, stepsPerEpoch < 1 { throw LayerError(.invalidArgument, "steps_per_epoch must be positive, got \(stepsPerEpoch)") }
        if let validationSteps, validationSteps < 1 { throw LayerError(.invalidArgument, "validation_steps must be positive, got \(validationSteps)") }
        if case .every(let n) = options.validationFrequency, n < 1 {
            throw LayerError(.invalidArgument, "validation_freq must be a positive number of epochs, got \(n)")
        }
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
        var seed = options.seed ?? GlobalRandom.nextSeed()
        let reducer = gradientReducer.flatMap { $0.size > 1 ? $0 : nil }
        if let reducer {
            guard batchSize >= reducer.size else {
                throw LayerError(.invalidArgument, "batch_size \(batchSize) is smaller than the \(reducer.size) workers: each takes a share of every batch")
            }
            try checkAgreement(reducer, [
                ("training samples", Double(trainX[0].sampleCount)),
                ("validation samples", Double(validation?.x.first?.sampleCount ?? 0)),
                ("input shapes", Self.fingerprint(trainX.map(\.sampleShape))), ("target shapes", Self.fingerprint(trainY.map(\.sampleShape))),
                ("sample weights", trainWeights == nil ? 0 : 1), ("class weights", classWeight == nil ? 0 : 1),
                ("batch size", Double(batchSize)), ("epochs", Double(epochs)), ("initial epoch", Double(initialEpoch)),
                ("steps per epoch", Double(stepsPerEpoch ?? -1)), ("validation steps", Double(validationSteps ?? -1)),
                ("model weights", Self.fingerprint(trainableWeights.map(\.shape))),
                ("model layers", Self.fingerprint(model.layers.map { [$0.weights.count, $0.trainable ? 1 : 0] })),
            ])
            try synchronizeWeights(reducer)
            // Worker 0's seed, so that every worker draws the same batches.
            var halves = [Double(seed >> 32), Double(seed & 0xFFFF_FFFF)]
            try reducer.broadcast(&halves, from: 0)
            seed = UInt64(halves[0]) << 32 | UInt64(halves[1])
        }
        var generator = RandomGenerator(seed: seed)
        var history = History()
        var schedule = BatchSchedule(samples: trainX[0].sampleCount, batchSize: batchSize, steps: stepsPerEpoch, shuffle: options.shuffle)
        stopTraining = false
        fitLoop = FitLoop(
            epochGenerator: generator, passGenerator: nil, passBatch: schedule.next, samples: schedule.samples, batchSize: batchSize,
            stepsPerEpoch: stepsPerEpoch, shuffle: options.shuffle, acceptsResume: true)
        defer { fitLoop = nil }
        for callback in callbacks { try callback.trainingBegins(self) }
        fitLoop?.acceptsResume = false
        // A backup's position: its epoch, the batches it trained, the shuffling where it began.
        let resumed = fitLoop?.resumeFrom
        if let resumed, !resumed.epochGenerator.isEmpty, let epochGenerator = fitLoop?.epochGenerator {
            generator = epochGenerator
            schedule.restore(pass: RandomGenerator(state: resumed.passGenerator), next: resumed.passBatch)
        }
        for epoch in (resumed?.epoch ?? initialEpoch)..<max(epochs, resumed?.epoch ?? initialEpoch) where !stopTraining {
            let skipped = epoch == resumed?.epoch ? resumed?.batchesDone ?? 0 : 0
            fitLoop?.begin(
                epoch: epoch, batchesDone: skipped, logs: skipped > 0 ? resumed?.logs ?? [:] : [:], generator: generator, schedule: schedule)
            for callback in callbacks { try callback.epochBegins(epoch, self) }
            var means = LossMeans(names: model.outputNames, objectives: objectives)
            var accumulators = try metricAccumulators()
            let batches = schedule.batchesPerEpoch
            for (batch, rows) in schedule.nextEpoch(using: &generator).enumerated() where batch >= skipped {
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
                // Workers add up their metrics at the epoch's end: until then the batches' logs
                // hold the loss alone, which is the whole batch's on every worker.
                let running = means.logs(reducer == nil ? accumulators : [])
                fitLoop?.batchesDone = batch + 1
                fitLoop?.logs = running
                for callback in callbacks { try callback.batchEnds(batch, logs: running, self) }
                onEvent?(.batchEnd(epoch: epoch, batch: batch, batches: batches, logs: running))
                if stopTraining { break }
            }
            if let reducer { try reduceMetrics(&accumulators, reducer) }
            // An epoch resumed after its last batch keeps the logs its backup saved; one resumed
            // part-way reports the batches trained since.
            var logs = skipped > 0 && fitLoop?.batchesDone == skipped ? resumed?.logs ?? [:] : means.logs(accumulators)
            if let validation, options.validationFrequency.validates(epoch: epoch) {
                // As Keras, each validation starts at the first batch.
                var schedule = BatchSchedule(samples: validation.x[0].sampleCount, batchSize: batchSize, steps: validationSteps, shuffle: false)
                let values = try evaluate(
                    x: validation.x, y: validation.y, sampleWeight: validation.weights, batches: schedule.nextEpoch(using: &generator))
                for (key, value) in values { logs["val_" + key] = value }
            }
            // Callbacks at the epoch's end see the position of the next epoch.
            fitLoop?.begin(epoch: epoch + 1, generator: generator, schedule: schedule)
            for callback in callbacks { try callback.epochEnds(epoch, logs: &logs, self) }
            history.append(logs)
            onEvent?(.epochEnd(epoch: epoch, epochs: epochs, logs: logs))
        }
        for callback in callbacks { try callback.trainingEnds(self) }
        return history
    }
}

/// The arguments of Keras' `fit` beyond the data, the validation data and the callbacks.
public struct FitOptions<Scalar: TensorScalar>: Sendable {
    /// Samples per batch (Keras' `batch_size`).
    public var batchSize: Int
    /// The epoch training ends at (Keras' `epochs`).
    public var epochs: Int
    /// The epoch to start at, counted from 0, for a run that goes on (Keras' `initial_epoch`).
    public var initialEpoch: Int
    /// Whether the batches are drawn in a new order each epoch.
    public var shuffle: Bool
    /// The fraction of samples, taken from the end before shuffling, held out for `val_loss`.
    public var validationSplit: Double
    /// One weight per validation sample (the third element of Keras' `validation_data`).
    public var validationSampleWeight: Tensor<Scalar>?
    /// Seed of the shuffling; `nil` draws one from `GlobalRandom`.
    public var seed: UInt64?
    /// One weight per training sample for the loss (Keras' `sample_weight`).
    public var sampleWeight: Tensor<Scalar>?
    /// A weight per class index, giving each sample the weight of its label (Keras' `class_weight`).
    public var classWeight: [Int: Double]?
    /// Batches per epoch (Keras' `steps_per_epoch`).
    public var stepsPerEpoch: Int?
    /// Validates on the first batches only (Keras' `validation_steps`).
    public var validationSteps: Int?
    /// The epochs that validate (Keras' `validation_freq`): every epoch by default.
    public var validationFrequency: ValidationFrequency = .every(1)

    /// Keras' defaults, or the arguments given.
    public init(
        batchSize: Int = 32, epochs: Int = 1, initialEpoch: Int = 0, shuffle: Bool = true, validationSplit: Double = 0,
        validationSampleWeight: Tensor<Scalar>? = nil, seed: UInt64? = nil, sampleWeight: Tensor<Scalar>? = nil,
        classWeight: [Int: Double]? = nil, stepsPerEpoch: Int? = nil, validationSteps: Int? = nil
    ) {
        self.batchSize = batchSize
        self.epochs = epochs
        self.initialEpoch = initialEpoch
        self.shuffle = shuffle
        self.validationSplit = validationSplit
        self.validationSampleWeight = validationSampleWeight
        self.seed = seed
        self.sampleWeight = sampleWeight
        self.classWeight = classWeight
        self.stepsPerEpoch = stepsPerEpoch
        self.validationSteps = validationSteps
    }
}

/// The epochs after which `fit` validates (Keras' `validation_freq`).
public enum ValidationFrequency: Sendable, Hashable {
    /// Every `n` epochs: after epochs n, 2n, ... (counted from 1).
    case every(Int)
    /// After the epochs listed (counted from 1).
    case epochs(Set<Int>)

    /// Whether the epoch numbered `epoch` (counted from 0) validates.
    public func validates(epoch: Int) -> Bool {
        switch self {
        case .every(let n): n > 0 && (epoch + 1) % n == 0
        case .epochs(let listed): listed.contains(epoch + 1)
        }
    }
}
