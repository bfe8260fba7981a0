import ArgumentParser
import SwiftGRU

/// Runs the example of Keras' `layer_gru` documentation and prints the shapes.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Keras' layer_gru example: a (32, 10, 8) batch through a 4-unit GRU."
    )

    @Option(help: "Seed for the inputs and the weights.")
    var seed: UInt64 = 42

    func run() throws {
        GlobalRandom.setSeed(seed)
        let inputs: Tensor<Float> = try Initializer.randomUniform(minval: 0, maxval: 1).makeTensor(shape: [32, 10, 8])
        print("inputs: \(inputs.shape)")

        let gru = try GRU<Float>(units: 4)
        let output = try gru(inputs).output
        print("GRU(units: 4) -> output \(output.shape)")

        let full = try GRU<Float>(units: 4, returnSequences: true, returnState: true)
        let result = try full(inputs)
        print("GRU(units: 4, returnSequences: true, returnState: true) -> whole sequence \(result.output.shape), final state \(result.states[0].shape)")
    }
}
