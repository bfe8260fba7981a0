import Foundation
@testable import KerasFiles
import Testing
@testable import SwiftGRU
import HDF5

/// GRU models people published (Fixtures/real, each under its own license), against the
/// Keras that reads them (`Scripts/make-real-model-fixtures.py`): a Keras 2.1 file whose GRUs
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
