import Foundation
@testable import KerasFiles
import Testing
@testable import SwiftGRU
import HDF5

/// GRU models people published (Fixtures/real, each under its own license), against the
/// Keras that reads them (`Scripts/fixtures/make-real-model-fixtures.py`): a Keras 2.1 file whose GRUs
/// predate reset_after, Keras 2.2 and 2.3 files with hard_sigmoid and reset_after GRUs, a
/// Keras 3.9 LSTM model.
@Suite("Published model files")
struct PublishedModelTests {
    @Test(arguments: [
        ("traffic-flow-gru", "gru.h5"), ("circuit-gru", "gru_model.h5"), ("dot-res-gru", "gru.h5"), ("emg-lstm", "model.keras"),
    ])
    func predictsLikeTheKerasThatReadsIt(name: String, file: String) throws {
        let model = try KerasModelFile(contentsOf: ModelFixtures.path("real/\(name)/\(file)")).model
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/expected.npy")).tensor()
        let exact: Tensor<Double> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/expected_f64.npy")).tensor()
        let predicted = try model.predict([x], batchSize: nil)[0]
        #expect(try predicted.maxAbsoluteDifference(to: expected) <= 1e-5)
        // No farther from the float64 result than float32 Keras is, give or take float32 noise.
        let ours = try Tensor<Double>(predicted).maxAbsoluteDifference(to: exact)
        let keras = try Tensor<Double>(expected).maxAbsoluteDifference(to: exact)
        #expect(ours <= max(2 * keras, 1e-6), "\(name): \(ours) from float64, Keras \(keras)")
    }

    /// In bfloat16 (``ComputePrecision/bfloat16`` on every GRU layer) each GRU model stays
    /// within bfloat16's rounding of Keras' float32 predictions.
    @Test(.enabled(if: ComputePrecision.isBFloat16Available, "this CPU has no AVX512_BF16"), arguments: [
        ("traffic-flow-gru", "gru.h5", Float(2e-3)), ("circuit-gru", "gru_model.h5", 3e-3), ("dot-res-gru", "gru.h5", 3e-4),
    ])
    func predictsInBFloat16(name: String, file: String, bound: Float) throws {
        let model = try KerasModelFile(contentsOf: ModelFixtures.path("real/\(name)/\(file)")).model
        for case let gru as GRU<Float> in model.layers { gru.precision = .bfloat16 }
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/expected.npy")).tensor()
        let difference = try model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected)
        #expect(difference > 0 && difference <= bound, "\(name) in bfloat16: \(difference) from Keras")
    }

    /// Compiled as the file says (a tf.keras 2 training_config with the optimizer state saved
    /// beside it, or a Keras 3 compile_config), each model trains 2 epochs to the history and
    /// weights of the Keras that reads it (`Scripts/fixtures/make-real-model-fixtures.py`; the tf.keras
    /// 2 files as copies with their Dropout rates at 0, since no one else draws TensorFlow's
    /// masks). A tf.keras 2 model is then written back as `.h5`, optimizer state included, and
    /// reads back the same.
    @Test(arguments: [
        ("traffic-flow-gru", "train.h5"), ("circuit-gru", "train.h5"), ("dot-res-gru", "train.h5"), ("emg-lstm", "model.keras"),
    ])
    func trainsLikeTheKerasThatReadsIt(name: String, file path: String) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("real/\(name)/\(path)"))
        let trainer = try file.compiledTrainer()
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/train_x.npy")).tensor()
        let y: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("real/\(name)/train_y.npy")).tensor()
        let history = try trainer.fit(x: [x], y: [y], batchSize: 3, epochs: 2, shuffle: false)
        let expected = try JSONDecoder().decode([String: [Double]].self, from: Data(ModelFixtures.bytes("real/\(name)/train_history.json")))
        #expect(Set(history.history.keys) == Set(expected.keys), "\(name): \(history.history.keys.sorted())")
        for (metric, values) in expected {
            let ours = try #require(history[metric])
            for (a, b) in zip(ours, values) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(name) \(metric): \(a) vs Keras \(b)") }
        }
        let after = try NumPyArray.arrays(npz: ModelFixtures.bytes("real/\(name)/train_after.npz")).map { $0.array.tensor(of: Float.self) }
        let weights = file.model.layers.flatMap { $0.weights }
        #expect(weights.count == after.count)
        for (k, (w, e)) in zip(weights, after).enumerated() {
            #expect(try w.maxAbsoluteDifference(to: e) <= 2e-4, "\(name) weight \(k)")
        }
        guard file.format == .legacyHDF5 else { return }
        let state = try trainer.tfKeras2OptimizerVariables()
        let reread = try KerasModelFile(bytes: file.legacyHDF5Bytes(optimizerVariables: state), name: "written back")
        #expect(reread.model.layers.flatMap { $0.weights } == weights)
        #expect(reread.compileConfig == file.compileConfig)
        let again = try reread.compiledTrainer()
        #expect(try again.tfKeras2OptimizerVariables() == state.map { try Tensor(shape: $0.shape, scalars: $0.scalars.map { Double(Float($0)) }) })
    }

    /// The Keras 2.1 file's GRUs have no reset_after in their config: the original variant.
    @Test func keras21GRUsAreTheOriginalVariant() throws {
        let model = try KerasModelFile(contentsOf: ModelFixtures.path("real/traffic-flow-gru/gru.h5")).model
        let grus = model.layers.compactMap { $0 as? GRU<Float> }
        #expect(grus.count == 2 && grus.allSatisfy { !$0.resetAfter })
    }
}

/// Keras 2.13-2.15 `.keras` files number one class's weight groups with gaps (`dense`,
/// `dense_2`, seen in published files): each class's groups go to its layers in order.
@Test func kerasTwoThirteenGroupNumbersWithGaps() throws {
    var root = HDF5GroupBuilder()
    for name in ["dense", "dense_2", "dropout", "dropout_1", "gru"] { try root.ensureGroup(at: "deps/\(name)/vars") }
    let file = try HDF5File(bytes: HDF5Writer.encode(root))
    let group = try #require(file.root.group(at: "deps"))
    let names = KerasWeightLayout.legacyGroupNames(group, classes: ["gru", "dense", "dropout", "dropout", "dense"])
    #expect(names == ["gru", "dense", "dropout", "dropout_1", "dense_2"])
    // Counts that do not match fall back to Keras 3's numbering.
    #expect(KerasWeightLayout.legacyGroupNames(group, classes: ["dense"]) == ["dense"])
    #expect(KerasWeightLayout.legacyGroupNames(group, classes: ["dense", "dense", "dense"]) == ["dense", "dense_1", "dense_2"])
}
