import Foundation
import KerasFiles
import SwiftGRU
import Testing

/// What `gru` promises about seeds and declared batch sizes, run as a user runs the tool.
@Suite("Seeds and declared batch sizes")
struct ReproducibilityTests {
    /// A compiled model whose every random layer has no seed of its own.
    static func unseededModel(at path: String) throws {
        GlobalRandom.setSeed(11)
        let model = try Sequential<Float>(inputShape: [6, 3], layers: [
            GaussianNoise(stddev: 0.3),
            GRU(units: 5, dropout: 0.3, recurrentDropout: 0.2, returnSequences: true),
            Dropout(rate: 0.4),
            GRU(units: 4),
            Dense(units: 2),
        ])
        try KerasModelFile.save(model, compileConfig: KerasCompileConfig.make(optimizer: .adam(learningRate: 0.02), loss: .meanSquaredError), to: path)
    }

    static func arrays(in directory: URL) throws -> (x: String, y: String) {
        var generator = RandomGenerator(seed: 3)
        let x = try Tensor<Float>(shape: [16, 6, 3], scalars: (0..<(16 * 6 * 3)).map { _ in Float(generator.nextNormal()) })
        let y = try Tensor<Float>(shape: [16, 2], scalars: (0..<32).map { _ in Float(generator.nextNormal()) })
        let paths = (directory.appendingPathComponent("x.npy").path, directory.appendingPathComponent("y.npy").path)
        try Data(NumPyArray.float32(x).npyBytes()).write(to: URL(fileURLWithPath: paths.0))
        try Data(NumPyArray.float32(y).npyBytes()).write(to: URL(fileURLWithPath: paths.1))
        return paths
    }

    /// The same seeded `gru fit` twice gives the same bits, dropout and noise included; another
    /// seed gives other weights (so the check can fail).
    @Test func aSeededFitRepeatsBitForBit() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model.keras").path
        try Self.unseededModel(at: model)
        let (x, y) = try Self.arrays(in: directory)
        func fit(seed: Int, _ output: String) throws -> Data {
            let path = directory.appendingPathComponent(output).path
            let run = try CommandLineTests.gru(["fit", model, x, y, "--epochs", "2", "--batch-size", "4", "--seed", "\(seed)", "-o", path, "--device", "cpu"])
            #expect(run.status == 0, "\(run.error)")
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let first = try fit(seed: 5, "a.keras"), second = try fit(seed: 5, "b.keras"), other = try fit(seed: 6, "c.keras")
        #expect(first == second)
        #expect(first != other)
    }

    /// A stateless model whose input declares a batch size (Keras' `batch_shape`) predicts any
    /// number of samples, as Keras does; a stateful one keeps its batch size.
    @Test func aDeclaredBatchSizeBindsOnlyStatefulModels() throws {
        let stateless = try Sequential<Float>(inputShape: [4, 3], batchSize: 20, layers: [GRU(units: 2)])
        let x = try Tensor<Float>(shape: [7, 4, 3], scalars: (0..<84).map { Float($0) / 84 })
        #expect(try stateless.predict([x], batchSize: nil)[0].shape == [7, 2])
        #expect(try stateless.predict([x], batchSize: 3)[0].shape == [7, 2])
        #expect(try stateless(x).shape == [7, 2])
        let stateful = try Sequential<Float>(inputShape: [4, 3], batchSize: 5, layers: [GRU(units: 2, stateful: true)])
        #expect(throws: LayerError.self) { try stateful.predict([x], batchSize: nil) }
    }
}
