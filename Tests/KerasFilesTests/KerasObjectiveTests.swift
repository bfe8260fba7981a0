import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// Fits that depend on more than one loss (Scripts/fixtures/make-objective-fixtures.py): a loss per
/// output with loss_weights and metrics per output, frozen layers, steps_per_epoch with
/// validation_steps, and weighted validation data; Swift reaches Keras' history and weights.
@Suite("Objectives and fit arguments like Keras")
struct KerasObjectiveTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        struct Fit: Decodable, Sendable {
            let batch_size: Int
            let epochs: Int
            let steps_per_epoch: Int?
            let validation_steps: Int?
        }
        let name: String
        let fit: Fit
        let inputs: Int
        let outputs: Int
        let validated: Bool
        let unchanged_weights: [Int]
        let history: [String: [Double]]
        var description: String { name }
    }

    struct Manifest: Decodable {
        let cases: [Case]
    }

    static let cases: [Case] = {
        guard let data = try? ModelFixtures.bytes("objectives/manifest.json") else { return [] }
        return (try? JSONDecoder().decode(Manifest.self, from: Data(data)))?.cases ?? []
    }()

    @Test func casesArePresent() { #expect(Self.cases.count >= 5) }

    @Test(arguments: cases)
    func fitsAsKeras(entry: Case) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("objectives/\(entry.name).keras"))
        let trainer = try file.compiledTrainer()
        let arrays = Dictionary(uniqueKeysWithValues: try NumPyArray.arrays(npz: ModelFixtures.bytes("objectives/\(entry.name).data.npz")).map {
            ($0.name, $0.array.tensor(of: Float.self))
        })
        func list(_ prefix: String, _ count: Int) throws -> [Tensor<Float>] {
            try (0..<count).map { try #require(arrays["\(prefix)\($0)"], "\(entry.name): no \(prefix)\($0)") }
        }
        let before = file.model.layers.flatMap { $0.weights }
        let history = try trainer.fit(
            x: list("x", entry.inputs), y: list("y", entry.outputs), batchSize: entry.fit.batch_size, epochs: entry.fit.epochs,
            shuffle: false, validationData: entry.validated ? (try list("vx", entry.inputs), try list("vy", entry.outputs)) : nil,
            validationSampleWeight: arrays["vw"], stepsPerEpoch: entry.fit.steps_per_epoch, validationSteps: entry.fit.validation_steps)
        #expect(Set(history.history.keys) == Set(entry.history.keys), "\(entry.name): \(history.history.keys.sorted())")
        for (metric, values) in entry.history {
            let ours = try #require(history[metric])
            #expect(ours.count == values.count, "\(entry.name) \(metric)")
            for (a, b) in zip(ours, values) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(entry.name) \(metric): \(a) vs Keras \(b)") }
        }
        let expected = try NumPyArray.arrays(npz: ModelFixtures.bytes("objectives/\(entry.name).after.npz")).map { $0.array.tensor(of: Float.self) }
        let after = file.model.layers.flatMap { $0.weights }
        #expect(after.count == expected.count)
        for (k, (w, e)) in zip(after, expected).enumerated() {
            #expect(try w.maxAbsoluteDifference(to: e) <= 2e-4, "\(entry.name) weight \(k)")
        }
        // What Keras kept fixed (frozen layers, an output without a loss) is bit for bit unchanged.
        for k in entry.unchanged_weights { #expect(after[k] == before[k], "\(entry.name) weight \(k) moved") }
    }

    /// Losses, loss weights or metric lists that do not fit the outputs are refused before training.
    @Test func mismatchedObjectivesAreRefused() throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("objectives/outputs_list.keras"))
        let arrays = try NumPyArray.arrays(npz: ModelFixtures.bytes("objectives/outputs_list.data.npz"))
        let x = arrays[0].array.tensor(of: Float.self)
        let y = arrays.dropFirst().map { $0.array.tensor(of: Float.self) }
        let weightsBefore = file.model.layers.flatMap { $0.weights }
        let trainer = try file.compiledTrainer()
        trainer.lossWeights = [1]
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: y) }
        trainer.lossWeights = nil
        trainer.outputLosses = [.meanSquaredError]
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: y) }
        trainer.outputLosses = nil
        trainer.outputMetrics = [[]]
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: y) }
        #expect(file.model.layers.flatMap { $0.weights } == weightsBefore)
        let names = file.model.outputNames
        #expect(throws: FileFormatError.self) {
            try KerasCompileConfig.losses(from: ["loss": ["mse"]], outputNames: names)
        }
        #expect(throws: FileFormatError.self) {
            try KerasCompileConfig.losses(from: ["loss": ["out_c": "mse"]], outputNames: names)
        }
        #expect(throws: FileFormatError.self) {
            try KerasCompileConfig.losses(from: ["loss": "mse", "loss_weights": ["out_a": "heavy"]], outputNames: names)
        }
    }

    /// A model saved after compile with losses per output is written back with them.
    @Test func perOutputLossesAreWrittenBack() throws {
        let config = KerasCompileConfig.make(
            optimizer: .sgd(), loss: .meanSquaredError, outputLosses: [.huber(delta: 0.5), nil], lossWeights: [2, 1])
        let read = try KerasCompileConfig.losses(from: config, outputNames: ["a", "b"])
        #expect(read.outputLosses == [.huber(delta: 0.5), nil])
        #expect(read.lossWeights == [2, 1])
    }
}
