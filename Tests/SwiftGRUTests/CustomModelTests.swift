import Testing

@testable import SwiftGRU

/// A model type of a user's own: it trains like the built-in ones because training reads
/// every model through its graph.
@Suite("A model of one's own")
struct CustomModelTests {
    /// A GRU and a Dense head, wired by hand.
    final class Regressor: Model {
        let gru: GRU<Float>
        let head: Dense<Float>
        var name = "regressor"

        init() throws {
            gru = try GRU<Float>(
                units: 4, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2))
            head = try Dense<Float>(units: 2, kernelInitializer: .glorotUniform(seed: 3))
            try gru.build(inputShape: [nil, 6, 3])
            try head.build(inputShape: [nil, 4])
        }

        var layers: [any Layer<Float>] { [gru, head] }
        var inputShapes: [[Int?]] { [[nil, 6, 3]] }
        var outputNames: [String] { ["head"] }
        func predictOnBatch(_ inputs: [Tensor<Float>], training: Bool) throws -> [Tensor<Float>] {
            [try head.forward(try gru.forward(inputs[0], mask: nil, training: training).output, mask: nil, training: training).output]
        }
        func resetStates() { gru.resetStates() }
        var graph: ModelGraph<Float> {
            ModelGraph(
                inputs: [.init(name: "x", shape: [nil, 6, 3])],
                nodes: [.init(gru, input: .input(0)), .init(head, input: .output(node: 0, index: 0))],
                outputs: [.output(node: 1, index: 0)], nodeShapes: [[[nil, 4]], [[nil, 2]]])
        }
    }

    @Test func trainsLikeTheSameSequentialModel() throws {
        let (x, y) = try TrainerTests.data(samples: 16)
        let custom = try Regressor()
        let sequential = try Sequential<Float>(inputShape: [6, 3], layers: [
            GRU<Float>(units: 4, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2)),
            Dense<Float>(units: 2, kernelInitializer: .glorotUniform(seed: 3)),
        ])
        for model in [custom, sequential] as [any Model<Float>] {
            try Trainer(model: model, optimizer: .adam(learningRate: 0.01), loss: .meanSquaredError)
                .fit(x: [x], y: [y], batchSize: 4, epochs: 2, shuffle: false)
        }
        for (a, b) in zip(custom.layers.flatMap { $0.weights }, sequential.layers.flatMap { $0.weights }) {
            #expect(try a.maxAbsoluteDifference(to: b) <= 1e-6)
        }
        #expect(custom.summary().contains("Total params"))
    }
}
