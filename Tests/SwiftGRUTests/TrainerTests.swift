import Testing
@testable import SwiftGRU

@Suite("Trainer")
struct TrainerTests {
    static func data(samples: Int = 12) throws -> (x: Tensor<Float>, y: Tensor<Float>) {
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 3).makeTensor(shape: [samples, 6, 3])
        let y: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 4).makeTensor(shape: [samples, 2])
        return (x, y)
    }

    static func model(seed: UInt64 = 7, dropout: Double = 0.3) throws -> Sequential<Float> {
        try Sequential<Float>(inputShape: [6, 3], layers: [
            GRU<Float>(units: 5, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
                       dropout: dropout, recurrentDropout: dropout, seed: seed, returnSequences: true),
            GRU<Float>(units: 4, kernelInitializer: .glorotUniform(seed: 3), recurrentInitializer: .orthogonal(seed: 4)),
            Dropout<Float>(rate: dropout, seed: seed),
            Dense<Float>(units: 2, kernelInitializer: .glorotUniform(seed: 5)),
        ])
    }

    @Test func fittingLowersTheLossAndRecordsHistory() throws {
        let (x, y) = try Self.data(samples: 40)
        let model = try Self.model(dropout: 0)
        let trainer = Trainer(model: model, optimizer: .adam(learningRate: 0.02), loss: .meanSquaredError)
        let before = try trainer.evaluate(x: [x], y: [y])
        let history = try trainer.fit(x: [x], y: [y], batchSize: 8, epochs: 15, validationSplit: 0.25, seed: 1)
        #expect(history["loss"]?.count == 15 && history["val_loss"]?.count == 15)
        #expect(try trainer.evaluate(x: [x], y: [y]) < before * 0.8)
        #expect(trainer.optimizerState.iterations == 15 * 4, "30 training samples in batches of 8")
    }

    @Test func dropoutTrainingIsReproducibleWithASeed() throws {
        let (x, y) = try Self.data()
        func train(seed: UInt64) throws -> [Tensor<Float>] {
            let model = try Self.model(seed: seed)
            try Trainer(model: model, optimizer: .sgd(learningRate: 0.1), loss: .meanSquaredError)
                .fit(x: [x], y: [y], batchSize: 4, epochs: 2, seed: 9)
            return model.weights
        }
        #expect(try train(seed: 1) == train(seed: 1))
        #expect(try train(seed: 1) != train(seed: 2))
        // Without dropout, the seed of the layers does not matter.
        let plain = try Self.model(seed: 1, dropout: 0), other = try Self.model(seed: 2, dropout: 0)
        for model in [plain, other] {
            try Trainer(model: model, optimizer: .sgd(learningRate: 0.1), loss: .meanSquaredError).fit(x: [x], y: [y], batchSize: 4, epochs: 1, seed: 9)
        }
        #expect(plain.weights == other.weights)
    }

    @Test func dropoutLayerStatistics() throws {
        let layer = try Dropout<Float>(rate: 0.4, seed: 5)
        let x = Tensor<Float>(repeating: 1, shape: [200, 50])
        let y = try layer.forwardRecording(x, mask: nil, initialState: [], training: true).output
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 10_000 - 0.4) < 0.02)
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.6) < 1e-6 })
        #expect(abs(y.scalars.reduce(0, +) / 10_000 - 1) < 0.05, "the mean is preserved")
        let g = try layer.backward([Tensor(repeating: 1, shape: [200, 50])]).input
        #expect(g == y, "the gradient flows through the kept units with the same scaling")
        #expect(try layer.forward(x, mask: nil, training: false).output == x)
    }

    @Test func badDataIsReported() throws {
        let (x, y) = try Self.data()
        let trainer = Trainer(model: try Self.model(), optimizer: .adam(), loss: .meanSquaredError)
        let length = #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: [try y.slice(0..<10)]) }
        #expect(length?.message.contains("X has 12 samples but Y has 10") == true)
        var broken = x
        broken.withUnsafeMutableBufferPointer { $0[5] = .nan }
        let nan = #expect(throws: LayerError.self) { try trainer.fit(x: [broken], y: [y]) }
        #expect(nan?.message.contains("NaN") == true)
        trainer.loss = .sparseCategoricalCrossentropy()
        let labels = try Tensor<Float>(shape: [12], scalars: (0..<12).map { Float($0 % 3) })
        let range = #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: [labels]) }
        #expect(range?.message.contains("label 2.0 is not a class index in [0, 2)") == true)
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: [y], batchSize: 0) }
        #expect(throws: LayerError.self) { try trainer.evaluate(x: [x], y: [y], batchSize: 0) }
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: [y], validationSplit: 1) }
    }

    @Test func constraintsHoldAfterEachUpdate() throws {
        let (x, y) = try Self.data()
        let model = try Sequential<Float>(inputShape: [6, 3], layers: [
            GRU<Float>(units: 4, kernelConstraint: .maxNorm(maxValue: 0.5), recurrentConstraint: .unitNorm(), biasConstraint: .nonNeg),
            Dense<Float>(units: 2, kernelConstraint: .minMaxNorm(minValue: 0.2, maxValue: 0.3)),
        ])
        try Trainer(model: model, optimizer: .sgd(learningRate: 0.5), loss: .meanSquaredError).fit(x: [x], y: [y], batchSize: 4, epochs: 2)
        func columnNorms(_ w: Tensor<Float>) -> [Float] {
            (0..<w.shape[1]).map { j in (0..<w.shape[0]).reduce(0) { $0 + w[$1, j] * w[$1, j] }.squareRoot() }
        }
        let gru = model.layers[0].weights
        #expect(columnNorms(gru[0]).allSatisfy { $0 <= 0.5 + 1e-5 })
        #expect(columnNorms(gru[1]).allSatisfy { abs($0 - 1) < 1e-4 })
        #expect(gru[2].scalars.allSatisfy { $0 >= 0 })
        #expect(columnNorms(model.layers[1].weights[0]).allSatisfy { $0 >= 0.2 - 1e-5 && $0 <= 0.3 + 1e-5 })
    }
}
