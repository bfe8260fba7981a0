import ArgumentParser
import Foundation
import GRUDistributed
import KerasFiles
import SwiftGRU

/// Trains a saved model on arrays, with the optimizer and loss of its compile_config.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a compiled Keras model (.keras) on .npy/.npz data and save the trained model.",
        discussion: "The optimizer and loss come from the file's compile_config; --optimizer, --learning-rate and --loss override them."
    )

    @OptionGroup var data: TrainingData

    @Option(help: "Passes over the data.")
    var epochs = 1

    @Flag(help: "Keep the sample order (Keras' shuffle = FALSE), as stateful models need.")
    var noShuffle = false

    @Option(help: "Fraction of the samples, from the end, held out for val_loss.")
    var validationSplit = 0.0

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Validation data: X and Y files (.npy, or .npz with one array per input or output), and optionally a .npy of sample weights (Keras' validation_data).",
        valueName: "files"))
    var validationData: [String] = []

    @Option(help: "Validate on this many batches only (Keras' validation_steps).")
    var validationSteps: Int?

    @Option(help: "Validate every N epochs, or after the epochs listed (e.g. 1,5,10; counted from 1) (Keras' validation_freq).")
    var validationFreq: String?

    @Option(name: .shortAndLong, help: "Where to save the trained model: .keras, or .h5 for a model read from a tf.keras 2 .h5 file (written back in that format).")
    var output: String

    @Option(help: "Write the per-epoch metrics here as JSON.")
    var history: String?

    @Option(help: "Write an SVG plot of loss and val_loss here.")
    var plot: String?

    @Option(help: "Override the optimizer (with Keras' defaults).")
    var optimizer: OptimizerChoice?

    @Option(help: "Override the learning rate.")
    var learningRate: Double?

    @Option(help: "Override the loss (a Keras loss name).")
    var loss: String?

    @Option(help: "Metrics to compute, comma-separated Keras names (accuracy, mae, auc, ...); default: the compile_config's.")
    var metrics: String?

    @Option(help: "Progress: auto or 1 (a bar on a terminal, a line per epoch otherwise), 2 (one line per epoch, as Keras), 0 (none) (Keras' verbose).")
    var verbose = TrainingProgress.Verbosity.auto

    @Option(help: "Seed for shuffling and dropout.")
    var seed: UInt64?

    @Option(help: ArgumentHelp(
        "A Keras callback with its arguments, repeatable: early_stopping, reduce_lr_on_plateau, model_checkpoint, csv_logger, terminate_on_nan, learning_rate_scheduler, backup_and_restore.",
        discussion: "For example --callback early_stopping:monitor=val_loss,patience=3,restore_best_weights=true, --callback model_checkpoint:filepath=ckpt-{epoch:02d}.keras,save_best_only=true,save_freq=50, --callback terminate_on_nan:raise_error=true, --callback learning_rate_scheduler:schedule='epoch < 10 ? lr : lr * exp(-0.1)' (rates=0.01;0.005;0.001 gives one rate per epoch), or --callback backup_and_restore:backup_dir=backup,save_freq=100 (a killed run started again with the same arguments goes on from the backup)."))
    var callback: [String] = []

    @Option(help: "The epoch to start at, counted from 0, to go on with a run (Keras' initial_epoch).")
    var initialEpoch = 0

    @Option(help: "A .npy of one loss weight per training sample (Keras' sample_weight).")
    var sampleWeight: String?

    @Option(help: "Loss weights per class index, e.g. 0=1,1=2.5 (Keras' class_weight).")
    var classWeight: String?

    @Option(help: "Batches per epoch; epochs go on through the data where the last one stopped (Keras' steps_per_epoch).")
    var stepsPerEpoch: Int?

    @Flag(help: ArgumentHelp(
        "Data-parallel training: run under mpirun -np N (Open MPI or MPICH, loaded at run time).",
        discussion: "Each process reads its share of every batch; the gradients are summed over the processes before each update; process 0 prints and writes the model, history and checkpoints."))
    var distributed = false

    /// Tests only: the process of this rank kills itself when this epoch begins (or after
    /// this batch of it ends).
    @Option(help: .hidden) var testKillRank: Int?
    @Option(help: .hidden) var testKillEpoch = 0
    @Option(help: .hidden) var testKillBatch: Int?

    func validate() throws {
        guard output.hasSuffix(".keras") || output.hasSuffix(".h5") else {
            throw ValidationError("--output must be a .keras (or, for a tf.keras 2 model, .h5) file, got '\(output)'")
        }
        guard epochs >= 0 else { throw ValidationError("--epochs must not be negative") }
        guard initialEpoch >= 0 else { throw ValidationError("--initial-epoch must not be negative") }
        if let stepsPerEpoch, stepsPerEpoch < 1 { throw ValidationError("--steps-per-epoch must be positive") }
        for text in callback { _ = try CallbackOption(text) }
        guard validationSplit >= 0, validationSplit < 1 else { throw ValidationError("--validation-split must be in [0, 1)") }
        guard validationData.isEmpty || validationData.count == 2 || validationData.count == 3 else {
            throw ValidationError("--validation-data takes X and Y files, and optionally a sample-weight .npy")
        }
        if let validationSteps, validationSteps < 1 { throw ValidationError("--validation-steps must be positive") }
        _ = try Fit.validationFrequency(validationFreq)
    }

    /// `--validation-freq`: a number of epochs, or a comma-separated list of epochs.
    static func validationFrequency(_ text: String?) throws -> ValidationFrequency {
        guard let text else { return .every(1) }
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--validation-freq takes a positive number of epochs or a list of epochs, got '\(text)'")
        }
        let epochs = parts.compactMap { $0 }
        return epochs.count == 1 && !text.contains(",") ? .every(epochs[0]) : .epochs(Set(epochs))
    }

    func run() throws {
        let reducer: MPIGradientReducer? = distributed ? try Fit.joinJob() : nil
        // Set before the model is read: layers without seeds of their own draw theirs when they
        // are made, and every process of a job must draw what one process would.
        if let seed = try Fit.sharedSeed(seed, reducer) { GlobalRandom.setSeed(seed) }
        let file = try KerasModelFile.opening(data.model)
        if let reason = file.trainingRefusals.first {
            // Training would not be Keras' (weights Keras keeps fixed, penalties left out).
            throw RuntimeError("\(data.model): \(reason)")
        }
        var chosen = try optimizer.map { try Fit.optimizer(named: $0.rawValue) }
            ?? KerasCompileConfig.optimizer(from: file.compileConfig, learningRate: learningRate, tfKeras2: file.format == .legacyHDF5)
        if let learningRate {
            chosen.learningRate = learningRate
            chosen.learningRateSchedule = nil
        }
        let sampleWeights = try sampleWeight.map { path in
            guard let weights = try TrainingData.arrays(path, what: "sample weights").first else {
                throw RuntimeError("\(path) holds no array")
            }
            return weights
        }
        let classWeights = try classWeight.map(Fit.classWeights)
        let trainer = try Fit.trainer(file, optimizer: chosen, loss: loss, metrics: metrics)
        let compileForFiles = (optimizer == nil && learningRate == nil && loss == nil ? file.compileConfig : nil)
            ?? KerasCompileConfig.make(
                optimizer: chosen, loss: trainer.loss, outputLosses: trainer.outputLosses, lossWeights: trainer.lossWeights)
        let requested = try callback.map { try CallbackOption($0).make(compileConfig: compileForFiles) }
        // A model the output format cannot hold is an error now, not after training.
        if output.hasSuffix(".h5") {
            _ = try file.legacyHDF5Bytes(optimizerVariables: try trainer.tfKeras2OptimizerVariables())
        } else {
            do { try KerasModelFile.checkSavable(file.model, compileConfig: compileForFiles) } catch let error as FileFormatError
                where file.format == .legacyHDF5 {
                throw RuntimeError("\(error.message); give an --output ending in .h5 to keep the model in tf.keras 2's format")
            }
        }
        try data.device.apply()
        trainer.gradientReducer = reducer
        // Process 0 alone reports and writes.
        let writes = (reducer?.rank ?? 0) == 0
        var callbacks = writes ? requested : requested.filter { !($0 is ModelCheckpoint) && !($0 is CSVLogger<Float>) }
        for case let backup as BackupAndRestore in callbacks { backup.writes = writes }
        if let testKillRank, testKillRank == reducer?.rank ?? 0 {
            callbacks.append(KillAt(epoch: testKillEpoch, batch: testKillBatch))
        }
        let (inputs, targets) = try data.sources()
        let validation = try validationData.isEmpty ? nil : (
            x: TrainingData.sources(validationData[0], what: "validation X"), y: TrainingData.sources(validationData[1], what: "validation Y"),
            weights: validationData.count == 3 ? TrainingData.arrays(validationData[2], what: "validation sample weights").first : nil)
        // Training goes on where the file's optimizer stopped, unless another one is asked for.
        if optimizer == nil {
            do { try file.restoreOptimizerState(of: trainer) } catch let error as LayerError {
                throw RuntimeError("\(data.model): \(error.message) (give --optimizer to start a fresh one)")
            }
            // The file's rate unless one is asked for.
            if let learningRate { trainer.optimizer.learningRate = learningRate }
        }
        let progress = TrainingProgress(verbosity: verbose, distributed: (reducer?.size ?? 1) > 1)
        let result: History
        do {
            var options = FitOptions<Float>(
                batchSize: data.batchSize, epochs: epochs, initialEpoch: initialEpoch, shuffle: !noShuffle, validationSplit: validationSplit,
                validationSampleWeight: validation?.weights, seed: seed, sampleWeight: sampleWeights, classWeight: classWeights,
                stepsPerEpoch: stepsPerEpoch, validationSteps: validationSteps)
            options.validationFrequency = try Fit.validationFrequency(validationFreq)
            result = try trainer.fit(
                x: inputs, y: targets, options: options, validationData: validation.map { ($0.x, $0.y) }, callbacks: callbacks,
                onEvent: writes ? progress.handle : nil)
        } catch {
            // The other processes wait in the next sum: end them all, with the reason.
            if let reducer, reducer.size > 1 {
                FileHandle.standardError.write(Data("gru fit (process \(reducer.rank)): \(error)\n".utf8))
                reducer.abort(code: 1)
            }
            throw error
        }
        defer { reducer?.finish() }
        guard writes else { return }
        if output.hasSuffix(".h5") {
            try file.saveLegacyHDF5(optimizerVariables: try trainer.tfKeras2OptimizerVariables(), to: output)
        } else {
            try KerasModelFile.save(file.model, compileConfig: compileForFiles, optimizerVariables: trainer.kerasOptimizerVariables, to: output)
        }
        if let history {
            // As Python's json writes Keras' history: NaN and Infinity as they are.
            let object = JSONValue.object(result.history.mapValues { .array($0.map(JSONValue.number)) })
            try AtomicFile.write(object.encoded(), to: history)
        }
        if let plot { try AtomicFile.write(Array(LossPlot.svg(result.history).utf8), to: plot) }
        print("saved \(output)")
    }

    /// Joins the MPI job of `--distributed`.
    static func joinJob() throws -> MPIGradientReducer {
        do { return try MPIGradientReducer() } catch let error as MPIError {
            throw RuntimeError("--distributed: \(error.message)")
        }
    }

    /// The seed of the run: `--seed`, or in a data-parallel job one drawn by process 0 for all.
    static func sharedSeed(_ seed: UInt64?, _ reducer: MPIGradientReducer?) throws -> UInt64? {
        guard seed == nil, let reducer else { return seed }
        let drawn = GlobalRandom.nextSeed()
        var halves = [Double(drawn >> 32), Double(drawn & 0xFFFF_FFFF)]
        try reducer.broadcast(&halves, from: 0)
        return UInt64(halves[0]) << 32 | UInt64(halves[1])
    }

    /// A trainer compiled as the file says, with the loss or the metrics named on the command
    /// line, if any, for every output instead.
    static func trainer(_ file: KerasModelFile, optimizer: Optimizer, loss: String?, metrics: String?) throws -> Trainer<Float> {
        let trainer: Trainer<Float>
        if let loss {
            trainer = Trainer(model: file.model, optimizer: optimizer, loss: try Loss(named: loss))
            trainer.metrics = try KerasCompileConfig.metrics(from: file.compileConfig)
        } else {
            trainer = try file.compiledTrainer(optimizer: optimizer)
        }
        if let metrics {
            trainer.metrics = try Fit.metrics(named: metrics)
            trainer.outputMetrics = nil
        }
        return trainer
    }

    /// `0=1,1=2.5`: a weight per class index.
    static func classWeights(_ text: String) throws -> [Int: Double] {
        var weights = [Int: Double]()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let label = Int(parts[0]), let weight = Double(parts[1]) else {
                throw ValidationError("--class-weight: '\(pair)' is not class=weight")
            }
            weights[label] = weight
        }
        return weights
    }

    /// Metrics from a comma-separated list of Keras names.
    static func metrics(named list: String) throws -> [Metric] {
        try list.split(separator: ",").map { name in
            do { return try Metric(named: name.trimmingCharacters(in: .whitespaces)) } catch let error as LayerError {
                throw ValidationError(error.message)
            }
        }
    }

    static func optimizer(named name: String) throws -> Optimizer {
        do { return try KerasCompileConfig.optimizer(named: name) } catch let error as FileFormatError {
            throw ValidationError(error.message)
        }
    }
}

/// Tests only (`--test-kill-rank`): this process kills itself when an epoch begins, or after
/// one of its batches, as a worker that dies would.
private final class KillAt: TrainingCallback {
    let epoch: Int, batch: Int?
    private var current = 0
    init(epoch: Int, batch: Int?) {
        self.epoch = epoch
        self.batch = batch
    }
    func epochBegins(_ epoch: Int, _ trainer: Trainer<Float>) throws {
        current = epoch
        if epoch == self.epoch, batch == nil { kill(getpid(), SIGKILL) }
    }
    func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Float>) throws {
        if current == epoch, batch == self.batch { kill(getpid(), SIGKILL) }
    }
}

/// The optimizers `--optimizer` names, Keras' class names in lower case.
enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
    case sgd, adam, adamw, rmsprop, adagrad, nadam, adamax, adadelta, lion, ftrl

    /// Any case (`Adam` as `adam`), as Keras takes optimizer names.
    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}
