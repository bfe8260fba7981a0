import ArgumentParser
import Foundation
import KerasFiles
import SwiftGRU

/// Trains a saved model on arrays, with the optimizer and loss of its compile_config.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a compiled Keras model (.keras) on .npy/.npz data and save the trained model.",
        discussion: "The optimizer and loss come from the file's compile_config; --optimizer, --learning-rate and --loss override them."
    )

    @Argument(help: "The model file (.keras, or a tf.keras 2 .h5 with --optimizer and --loss).")
    var model: String

    @Argument(help: "Inputs: a .npy, or an .npz with one array per model input.")
    var x: String

    @Argument(help: "Targets: a .npy, or an .npz with one array per model output.")
    var y: String

    @Option(help: "Passes over the data.")
    var epochs = 1

    @Option(help: "Samples per step.")
    var batchSize = 32

    @Flag(help: "Keep the sample order (Keras' shuffle = FALSE), as stateful models need.")
    var noShuffle = false

    @Option(help: "Fraction of the samples, from the end, held out for val_loss.")
    var validationSplit = 0.0

    @Option(name: .shortAndLong, help: "Where to save the trained model (.keras).")
    var output: String

    @Option(help: "Write the per-epoch metrics here as JSON.")
    var history: String?

    @Option(help: "Write an SVG plot of loss and val_loss here.")
    var plot: String?

    @Option(help: "Override the optimizer: sgd, adam, adamw, rmsprop, adagrad.")
    var optimizer: String?

    @Option(help: "Override the learning rate.")
    var learningRate: Double?

    @Option(help: "Override the loss (a Keras loss name).")
    var loss: String?

    @Option(help: "Seed for shuffling and dropout.")
    var seed: UInt64?

    func validate() throws {
        guard output.hasSuffix(".keras") else { throw ValidationError("--output must be a .keras file, got '\(output)'") }
        guard epochs >= 0 else { throw ValidationError("--epochs must not be negative") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard validationSplit >= 0, validationSplit < 1 else { throw ValidationError("--validation-split must be in [0, 1)") }
    }

    func run() throws {
        let file = try KerasModelFile(contentsOf: model)
        if let seed { GlobalRandom.setSeed(seed) }
        var chosen = try optimizer.map(Fit.optimizer(named:)) ?? KerasCompileConfig.optimizer(from: file.compileConfig)
        if let learningRate { chosen.learningRate = learningRate }
        let chosenLoss = try loss.map { try Loss(named: $0) } ?? KerasCompileConfig.loss(from: file.compileConfig)
        let inputs = try Fit.arrays(x, what: "X")
        let targets = try Fit.arrays(y, what: "Y")
        let trainer = Trainer(model: file.model, optimizer: chosen, loss: chosenLoss)
        let progress = TrainingProgress()
        let result = try trainer.fit(
            x: inputs, y: targets, batchSize: batchSize, epochs: epochs, shuffle: !noShuffle,
            validationSplit: validationSplit, seed: seed, onEvent: progress.handle)
        let compile = (optimizer == nil && learningRate == nil && loss == nil ? file.compileConfig : nil)
            ?? KerasCompileConfig.make(optimizer: chosen, loss: chosenLoss)
        try KerasModelFile.save(file.model, compileConfig: compile, to: output)
        if let history {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try KerasModelFile.writeAtomically([UInt8](try encoder.encode(result.history)), to: history)
        }
        if let plot { try KerasModelFile.writeAtomically(Array(LossPlot.svg(result.history).utf8), to: plot) }
        print("saved \(output)")
    }

    static func optimizer(named name: String) throws -> Optimizer {
        switch name.lowercased() {
        case "sgd": return .sgd()
        case "adam": return .adam()
        case "adamw": return .adamW()
        case "rmsprop": return .rmsprop()
        case "adagrad": return .adagrad()
        default: throw ValidationError("unknown optimizer '\(name)'; use sgd, adam, adamw, rmsprop or adagrad")
        }
    }

    /// The arrays of a .npy file (one) or an .npz file (in order), as Float tensors.
    static func arrays(_ path: String, what: String) throws -> [Tensor<Float>] {
        let bytes = try readFile(path)
        do {
            if path.hasSuffix(".npz") { return try NumPyArray.arrays(npz: bytes).map { $0.array.tensor() } }
            return [try NumPyArray(npy: bytes).tensor()]
        } catch let error as FileFormatError {
            throw ValidationError("\(what) (\(path)): \(error.message)")
        }
    }
}

/// Prints a model's loss on data.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the loss of a compiled Keras model on .npy/.npz data.")

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "Inputs: a .npy, or an .npz with one array per model input.")
    var x: String

    @Argument(help: "Targets: a .npy, or an .npz with one array per model output.")
    var y: String

    @Option(help: "Samples per batch.")
    var batchSize = 32

    @Option(help: "Override the loss (a Keras loss name).")
    var loss: String?

    func run() throws {
        let file = try KerasModelFile(contentsOf: model)
        let chosenLoss = try loss.map { try Loss(named: $0) } ?? KerasCompileConfig.loss(from: file.compileConfig)
        let trainer = Trainer(model: file.model, optimizer: .sgd(), loss: chosenLoss)
        let value = try trainer.evaluate(x: Fit.arrays(x, what: "X"), y: Fit.arrays(y, what: "Y"), batchSize: batchSize)
        print("loss=\(value)")
    }
}
