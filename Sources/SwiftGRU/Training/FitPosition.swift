/// Where a running ``Trainer/fit(x:y:options:validationData:callbacks:onEvent:)`` stands:
/// what a training backup (`BackupAndRestore` in KerasFiles) saves beside the weights and the
/// optimizer state, so that a run started again goes on exactly where the backup was made:
/// the same batches in the same order, the same dropout masks.
public struct FitPosition: Sendable, Hashable {
    /// The epoch to go on with, counted from 0.
    public var epoch: Int
    /// The batches of that epoch already trained.
    public var batchesDone: Int
    /// The epoch's loss and metrics over those batches (empty when none were trained).
    public var logs: [String: Double]
    /// The shuffling generator's `RandomGenerator/state` where the epoch began; empty for a
    /// position that gives the epoch alone (a backup Keras wrote), which starts that epoch.
    public var epochGenerator: [UInt64]
    /// The shuffling generator's state before the pass the epoch draws from was shuffled;
    /// empty before the first pass.
    public var passGenerator: [UInt64]
    /// The pass's next batch where the epoch began.
    public var passBatch: Int
    /// The model's ``Model/randomState`` (dropout and noise generators).
    public var randomState: [UInt64]
    /// What the batches depend on, checked when a run goes on from the position: the number of
    /// training samples, the batch size, the batches per epoch (`steps_per_epoch`, 0 for one
    /// pass) and whether the samples are shuffled.
    public var samples: Int, batchSize: Int, stepsPerEpoch: Int, shuffle: Bool

    /// A position with every part given (as a backup reads it back).
    public init(
        epoch: Int, batchesDone: Int, logs: [String: Double], epochGenerator: [UInt64], passGenerator: [UInt64], passBatch: Int,
        randomState: [UInt64], samples: Int, batchSize: Int, stepsPerEpoch: Int, shuffle: Bool
    ) {
        self.epoch = epoch
        self.batchesDone = batchesDone
        self.logs = logs
        self.epochGenerator = epochGenerator
        self.passGenerator = passGenerator
        self.passBatch = passBatch
        self.randomState = randomState
        self.samples = samples
        self.batchSize = batchSize
        self.stepsPerEpoch = stepsPerEpoch
        self.shuffle = shuffle
    }
}

/// The loop state of a running `fit` that a ``FitPosition`` is made from.
struct FitLoop {
    var epoch = 0, batchesDone = 0
    var logs: [String: Double] = [:]
    var epochGenerator: RandomGenerator
    var passGenerator: RandomGenerator?
    var passBatch: Int
    let samples: Int, batchSize: Int, stepsPerEpoch: Int?, shuffle: Bool
    /// Set by ``Trainer/resumeFit(from:)`` while the callbacks' `trainingBegins` run.
    var resumeFrom: FitPosition?
    var acceptsResume = false

    /// Marks the start of `epoch`, with `batchesDone` of its batches already trained (and
    /// their `logs`), the shuffling generator and the batch schedule as they are now.
    mutating func begin(epoch: Int, batchesDone: Int = 0, logs: [String: Double] = [:], generator: RandomGenerator, schedule: BatchSchedule) {
        self.epoch = epoch
        self.batchesDone = batchesDone
        self.logs = logs
        epochGenerator = generator
        passGenerator = schedule.passGenerator
        passBatch = schedule.next
    }
}

extension Trainer {
    /// Where the running `fit` stands (`nil` outside `fit`): after the batch or epoch whose
    /// callbacks are running, the random draws of the model as they are now.
    public var fitPosition: FitPosition? {
        guard let loop = fitLoop else { return nil }
        return FitPosition(
            epoch: loop.epoch, batchesDone: loop.batchesDone, logs: loop.logs, epochGenerator: loop.epochGenerator.state,
            passGenerator: loop.passGenerator?.state ?? [], passBatch: loop.passBatch, randomState: model.randomState,
            samples: loop.samples, batchSize: loop.batchSize, stepsPerEpoch: loop.stepsPerEpoch ?? 0, shuffle: loop.shuffle)
    }

    /// Makes the running `fit` go on from `position` instead of its first epoch (Keras'
    /// BackupAndRestore setting the initial epoch): called by a callback's `trainingBegins`.
    /// The epoch's trained batches are skipped, the shuffling and the model's random draws
    /// put back where they were.
    ///
    /// - Throws: ``LayerError`` outside `trainingBegins`, or when the position was saved for
    ///   other data, another batch size, `steps_per_epoch` or shuffling, or another model.
    public func resumeFit(from position: FitPosition) throws {
        guard var loop = fitLoop, loop.acceptsResume else {
            throw LayerError(.unsupported, "a fit can go on from a saved position only when it begins (in a callback's trainingBegins)")
        }
        func check<T: Equatable & CustomStringConvertible>(_ what: String, _ saved: T, _ now: T) throws {
            guard saved == now else {
                throw LayerError(.invalidArgument, "the backup was made with \(what) \(saved); this run has \(now): give the same arguments, or remove the backup to start again")
            }
        }
        // A position of Keras' (an epoch alone) starts that epoch with this run's shuffling.
        guard !position.epochGenerator.isEmpty else {
            guard position.epoch >= 0 else { throw LayerError(.invalidArgument, "the backup's epoch is negative") }
            loop.resumeFrom = FitPosition(
                epoch: position.epoch, batchesDone: 0, logs: [:], epochGenerator: [], passGenerator: [], passBatch: 0, randomState: [],
                samples: loop.samples, batchSize: loop.batchSize, stepsPerEpoch: loop.stepsPerEpoch ?? 0, shuffle: loop.shuffle)
            fitLoop = loop
            return
        }
        try check("training samples", position.samples, loop.samples)
        try check("batch size", position.batchSize, loop.batchSize)
        try check("steps per epoch", position.stepsPerEpoch, loop.stepsPerEpoch ?? 0)
        try check("shuffle", position.shuffle, loop.shuffle)
        guard position.epoch >= 0, position.batchesDone >= 0, position.passBatch >= 0,
              let epochGenerator = RandomGenerator(state: position.epochGenerator),
              position.passGenerator.isEmpty || RandomGenerator(state: position.passGenerator) != nil
        else {
            throw LayerError(.invalidArgument, "the backup's training position is damaged")
        }
        try model.restoreRandomState(position.randomState)
        loop.epochGenerator = epochGenerator
        loop.resumeFrom = position
        fitLoop = loop
    }
}
