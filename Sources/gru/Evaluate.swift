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
        let chosenLoss = try loss.map { try Loss(named: $0) } ?? KerasCompileConfig.loss(from: file.compileConfig)
        let chosenMetrics = try metrics.map(Fit.metrics(named:)) ?? KerasCompileConfig.metrics(from: file.compileConfig)
        let trainer = Trainer(model: file.model, optimizer: .sgd(), loss: chosenLoss, metrics: chosenMetrics)
        try data.device.apply()
        let (inputs, targets) = try data.arrays()
        let results = try trainer.evaluateMetrics(x: inputs, y: targets, batchSize: data.batchSize)
        print("loss=\(results["loss"] ?? 0)")
        for metric in chosenMetrics { print("\(metric.name)=\(results[metric.name] ?? 0)") }
    }
}
