import ArgumentParser
import KerasFiles
import SwiftGRU

/// Prints a model's loss on data.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the loss of a compiled Keras model on .npy/.npz data.")

    @OptionGroup var data: TrainingData

    @Option(help: "Override the loss (a Keras loss name).")
    var loss: String?

    func run() throws {
        let file = try KerasModelFile.opening(data.model)
        let chosenLoss = try loss.map { try Loss(named: $0) } ?? KerasCompileConfig.loss(from: file.compileConfig)
        let trainer = Trainer(model: file.model, optimizer: .sgd(), loss: chosenLoss)
        try data.device.apply()
        let (inputs, targets) = try data.arrays()
        print("loss=\(try trainer.evaluate(x: inputs, y: targets, batchSize: data.batchSize))")
    }
}
