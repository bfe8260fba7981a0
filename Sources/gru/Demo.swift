import ArgumentParser
import Foundation
import KerasFiles
import SwiftGRU

/// Trains a GRU on the adding problem: the main job of the README's quick start.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GRU on the adding problem and save the model and its loss plot.",
        discussion: """
            Each sequence holds random numbers in [0, 1] and two marked positions; the target is
            the sum of the two marked numbers. Predicting the mean target gives the baseline loss;
            the GRU must learn to find and add the marked numbers to get far below it.
            """
    )

    @Option(help: "Length of each sequence.")
    var steps = 30

    @Option(help: "Number of sequences (20% are held out for val_loss).")
    var samples = 5000

    @Option(help: "Passes over the training data.")
    var epochs = 20

    @Option(help: "GRU units.")
    var units = 32

    @Option(help: "Seed for the data, the weights and the shuffling.")
    var seed: UInt64 = 42

    @Option(name: .shortAndLong, help: "Where to save the trained model.")
    var output = "gru-demo.keras"

    @Option(help: "Where to save the loss plot (SVG).")
    var plot = "gru-demo-loss.svg"

    func validate() throws {
        guard steps >= 2, samples >= 10, epochs >= 1, units >= 1 else {
            throw ValidationError("need --steps >= 2, --samples >= 10, --epochs >= 1 and --units >= 1")
        }
    }

    func run() throws {
        GlobalRandom.setSeed(seed)
        let (x, y) = Demo.addingProblem(samples: samples, steps: steps, seed: seed)
        let model = try Sequential<Float>(inputShape: [steps, 2], layers: [
            GRU<Float>(units: units), Dense<Float>(units: 1),
        ])
        print("The adding problem: \(samples) sequences of \(steps) steps; GRU(\(units)) -> Dense(1), Adam, mean squared error")
        let optimizer = Optimizer.adam(learningRate: 0.01)
        let trainer = Trainer(model: model, optimizer: optimizer, loss: .meanSquaredError)
        let progress = TrainingProgress(verbosity: .auto, distributed: false)
        let history = try trainer.fit(
            x: [x], y: [y], batchSize: 64, epochs: epochs, validationSplit: 0.2, seed: seed, onEvent: progress.handle)

        // Baseline: always predict the mean training target.
        let split = Int(Double(samples) * 0.8)
        let train = y.scalars[..<split], held = y.scalars[split...]
        let mean = train.reduce(0, +) / Float(train.count)
        let baseline = held.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(held.count)

        try KerasModelFile.save(model, compileConfig: KerasCompileConfig.make(optimizer: optimizer, loss: .meanSquaredError), to: output)
        try AtomicFile.write(Array(LossPlot.svg(history.history, title: "GRU on the adding problem").utf8), to: plot)
        print("saved the model to \(output) and the loss plot to \(plot)")
        let valLoss = history["val_loss"]?.last ?? .nan
        print("final val_loss=\(String(format: "%.5f", valLoss)) baseline=\(String(format: "%.5f", Double(baseline)))")
    }

    /// Sequences of (value, marker) pairs; the target is the sum of the two marked values.
    static func addingProblem(samples: Int, steps: Int, seed: UInt64) -> (Tensor<Float>, Tensor<Float>) {
        var rng = RandomGenerator(seed: seed)
        var x = [Float](repeating: 0, count: samples * steps * 2)
        var y = [Float](repeating: 0, count: samples)
        for s in 0..<samples {
            let first = Int(rng.next() % UInt64(steps / 2))
            var second = steps / 2 + Int(rng.next() % UInt64(steps - steps / 2))
            if second == first { second = (first + 1) % steps }
            for t in 0..<steps {
                let value = Float(rng.nextUniform())
                x[(s * steps + t) * 2] = value
                if t == first || t == second {
                    x[(s * steps + t) * 2 + 1] = 1
                    y[s] += value
                }
            }
        }
        return (Tensor(repeating: 0, shape: [samples, steps, 2]).replacing(x), Tensor(repeating: 0, shape: [samples, 1]).replacing(y))
    }
}

extension Tensor {
    /// The same shape holding `values` (which must have the same count).
    fileprivate func replacing(_ values: [Scalar]) -> Tensor {
        (try? Tensor(shape: shape, scalars: values)) ?? self
    }
}
