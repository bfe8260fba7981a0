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

/// The Swift shapes of Keras' calls: every layer is callable, and a model of one input and one
/// output predicts and trains on single tensors, giving what the array forms give.
@Suite("Callable layers and single-tensor models")
struct CallableLayerTests {
    @Test func layersAreCallable() throws {
        var rng = RandomGenerator(seed: 5)
        let x = try Tensor<Float>(shape: [3, 4], scalars: (0..<12).map { _ in Float(rng.nextNormal()) })
        let dense = try Dense<Float>(units: 2)
        try dense.build(inputShape: [nil, 4])
        let y: Tensor<Float> = try dense(x)
        #expect(y == (try dense.forward(x, mask: nil, training: false).output))
        let sum: Tensor<Float> = try Add<Float>()([x, x])
        #expect(sum == x.map { $0 * 2 })
        // A recurrent layer's own call keeps its states; the layer-wide form gives the output.
        let gru = try GRU<Float>(units: 3, returnState: true)
        let sequence = try Tensor<Float>(shape: [2, 5, 4], scalars: (0..<40).map { _ in Float(rng.nextNormal()) })
        let result = try gru(sequence)
        #expect(result.states.count == 1)
        let output: Tensor<Float> = try gru(sequence, training: false)
        #expect(output == result.output)
    }

    @Test func singleTensorPredictAndFit() throws {
        var rng = RandomGenerator(seed: 6)
        let x = try Tensor<Float>(shape: [12, 5, 3], scalars: (0..<180).map { _ in Float(rng.nextNormal()) })
        let y = try Tensor<Float>(shape: [12, 1], scalars: (0..<12).map { _ in Float(rng.nextNormal()) })
        func model() throws -> Sequential<Float> {
            try Sequential<Float>(inputShape: [5, 3], layers: [
                GRU<Float>(units: 4, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2)),
                Dense<Float>(units: 1, kernelInitializer: .glorotUniform(seed: 3)),
            ])
        }
        let single = try model(), arrays = try model()
        #expect(try single.predict(x) == arrays.predict([x], batchSize: nil)[0])
        let a = try Trainer(model: single, optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError)
            .fit(x: x, y: y, batchSize: 4, epochs: 2, validationData: (x, y), seed: 9)
        let b = try Trainer(model: arrays, optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError)
            .fit(x: [x], y: [y], batchSize: 4, epochs: 2, validationData: ([x], [y]), seed: 9)
        #expect(a.history == b.history)
        #expect(single.layers.flatMap { $0.weights } == arrays.layers.flatMap { $0.weights })
    }
}
