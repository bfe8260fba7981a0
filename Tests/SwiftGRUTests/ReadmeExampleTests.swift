import Testing
import SwiftGRU

/// The README's example (the one from Keras' `layer_gru` page) stays true.
@Suite("README example")
struct ReadmeExampleTests {
    @Test func shapes() throws {
        let inputs: Tensor<Float> = try Initializer.randomUniform(minval: 0, maxval: 1, seed: 1).makeTensor(shape: [32, 10, 8])

        let outputs = try GRU<Float>(units: 4)(inputs).output
        #expect(outputs.shape == [32, 4])

        let gru = try GRU<Float>(units: 4, returnSequences: true, returnState: true)
        let result = try gru(inputs)
        #expect(result.output.shape == [32, 10, 4])
        #expect(result.states[0].shape == [32, 4])
    }

    /// The README's training example, on small random data.
    @Test func training() throws {
        var rng = RandomGenerator(seed: 3)
        let x = try Tensor<Float>(shape: [20, 5, 3], scalars: (0..<300).map { _ in Float(rng.nextNormal()) })
        let y = try Tensor<Float>(shape: [20, 1], scalars: (0..<20).map { _ in rng.nextUniform() > 0.5 ? 1 : 0 })
        let model = try Sequential<Float>(inputShape: [5, 3], layers: [GRU<Float>(units: 4), Dense<Float>(units: 1, activation: .sigmoid)])
        let trainer = Trainer(
            model: model, optimizer: .adam(learningRate: 0.01), loss: .binaryCrossentropy(),
            metrics: [try Metric(named: "accuracy"), try Metric(named: "auc")])
        let history = try trainer.fit(
            x: [x], y: [y], batchSize: 32, epochs: 10, shuffle: false, validationSplit: 0.2,
            callbacks: [try EarlyStopping<Float>(monitor: "val_loss", patience: 3, restoreBestWeights: true)])
        #expect(history["val_accuracy"]?.isEmpty == false && history["auc"] != nil)
    }
}
