import Testing

@testable import SwiftGRU

/// Models used as layers: weights in Keras' order, trainable ones among the others, freezing,
/// masks passed on, and the parameter counts a summary gives.
@Suite("Models as layers")
struct ModelLayerTests {
    static func head() throws -> ModelLayer<Double> {
        ModelLayer(try Sequential<Double>(inputShape: [3], layers: [
            try Dense<Double>(units: 4, useBias: false), try BatchNormalization<Double>(), try Dense<Double>(units: 2),
        ], name: "head"))
    }

    /// The moving statistics sit among the trainable weights; training updates the others
    /// through the optimizer and keeps the statistics the layer computed.
    @Test func trainsTheTrainableWeightsAmongTheOthers() throws {
        let head = try Self.head()
        #expect(head.trainableWeightMask == [true, true, true, false, false, true, true])
        let model = try Sequential<Double>(inputShape: [5], layers: [try Dense<Double>(units: 3), head])
        let before = head.weights
        let x = TrainingGradientTests.random([8, 5], seed: 1), y = TrainingGradientTests.random([8, 2], seed: 2)
        try Trainer(model: model, optimizer: .sgd(learningRate: 0.1), loss: .meanSquaredError).trainOnBatch(x: [x], y: [y])
        let after = head.weights
        #expect(zip(before, after).allSatisfy { $0.0.shape == $0.1.shape })
        #expect(zip(before, after).allSatisfy { $0.0.scalars != $0.1.scalars }, "every weight moves: by the optimizer or as moving statistics")
        #expect(model.summary().contains("Non-trainable params: 8 "))

        head.trainable = false
        #expect(head.model.layers.allSatisfy { !$0.trainable })
        let frozen = model.layers[0].weights
        let kept = head.weights
        try Trainer(model: model, optimizer: .sgd(learningRate: 0.1), loss: .meanSquaredError).trainOnBatch(x: [x], y: [y])
        #expect(head.weights.map(\.scalars) == kept.map(\.scalars))
        #expect(model.layers[0].weights.map(\.scalars) != frozen.map(\.scalars))
        #expect(model.summary().contains("Non-trainable params: 38 "))
    }

    /// An inner model passes its output's mask on, as Keras computes it.
    @Test func passesTheMaskOn() throws {
        let inner = try Sequential<Double>(inputShape: [4], layers: [try Embedding<Double>(inputDim: 5, outputDim: 2, maskZero: true)])
        let layer = ModelLayer(inner)
        let ids = try Tensor<Double>(shape: [2, 4], scalars: [1, 2, 0, 0, 3, 0, 0, 0])
        let output = try layer.forward(ids, mask: nil, training: false)
        #expect(output.mask?.scalars == [true, true, false, false, true, false, false, false])
        #expect(try layer.outputShape(forInputShape: [nil, 4]) == [nil, 4, 2])
    }
}
