import ArgumentParser
import KerasFiles
import SwiftGRU

/// Prints a model's loss and metrics on data.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the loss and metrics of a compiled Keras model on .npy/.npz data.")

    @OptionGroup var data: TrainingData

    @Option(help: "Override the loss (a Keras loss name).")
    var loss: String?

    @Option(help: "Metrics to compute, comma-separated Keras names (accuracy, mae, auc, ...); default: the compile_config's.")
    var metrics: String?

    func run() throws {
        let file = try KerasModelFile.opening(data.model)
        let trainer = try Fit.trainer(file, optimizer: .sgd(), loss: loss, metrics: metrics)
        try data.device.apply()
        let (inputs, targets) = try data.sources()
        let results = try trainer.evaluateMetrics(x: inputs, y: targets, batchSize: data.batchSize)
        print("loss=\(results["loss"] ?? 0)")
        for (name, value) in results.sorted(by: { $0.key < $1.key }) where name != "loss" { print("\(name)=\(value)") }
    }
}
