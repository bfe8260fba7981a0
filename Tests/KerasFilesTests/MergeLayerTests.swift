import Foundation
import KerasFiles
import Testing

@testable import SwiftGRU

/// Models whose GRU branches meet in Add or Concatenate, saved by Keras 3
/// (`Scripts/fixtures/make-merge-fixtures.py`): Swift predicts and differentiates as Keras does, and
/// the files Swift writes are the ones Keras read back.
@Suite("Merge layers")
struct MergeLayerTests {
    static let models = ["add_model", "concatenate_model", "masked_concatenate_model"]

    static func array(_ path: String) throws -> Tensor<Float> {
        try NumPyArray(npy: ModelFixtures.bytes("merge/" + path)).tensor()
    }

    @Test(arguments: models)
    func predictsLikeKeras(name: String) throws {
        for file in [name + ".keras", name + ".swift.keras"] {
            let model = try KerasModelFile(bytes: ModelFixtures.bytes("merge/" + file)).model
            let inputs = try (0..<2).map { try Self.array("\(name).input\($0).npy") }
            let output = try model.predict(inputs, batchSize: nil)[0]
            #expect(try output.maxAbsoluteDifference(to: Self.array(name + ".expected.npy")) <= 1e-5, "\(file)")
        }
    }

    /// The gradients of sum(output) with respect to every weight, against TensorFlow's.
    @Test(arguments: models)
    func differentiatesLikeKeras(name: String) throws {
        let model = try KerasModelFile(bytes: ModelFixtures.bytes("merge/\(name).keras")).model
        let inputs = try (0..<2).map { try Self.array("\(name).input\($0).npy") }
        let outputs = try model.forwardRecording(inputs, training: false)
        let (gradients, _) = try model.backward(outputs.map { (Tensor(repeating: 1, shape: $0.output.shape), false) })
        let swift = model.layers.flatMap { gradients[ObjectIdentifier($0)]?.weights ?? [] }
        let keras = try NumPyArray.arrays(npz: ModelFixtures.bytes("merge/\(name).gradients.npz")).map { $0.array.tensor() as Tensor<Float> }
        #expect(swift.count == keras.count)
        for (k, (a, b)) in zip(swift, keras).enumerated() {
            #expect(a.shape == b.shape)
            #expect(try a.maxAbsoluteDifference(to: b) <= 1e-4, "weight \(k)")
        }
    }

    @Test func mergeShapesAreChecked() throws {
        let add = Add<Float>()
        #expect(throws: LayerError.self) { try add.outputShapes(forInputShapes: [[nil, 3], [nil, 4]]) }
        #expect(try add.outputShapes(forInputShapes: [[nil, 3], [2, 3]]) == [[2, 3]])
        let join = Concatenate<Float>(axis: -1)
        #expect(try join.outputShapes(forInputShapes: [[nil, 5, 3], [nil, 5, 4]]) == [[nil, 5, 7]])
        #expect(throws: LayerError.self) { try join.outputShapes(forInputShapes: [[nil, 5, 3], [nil, 6, 4]]) }
        #expect(throws: LayerError.self) { try Concatenate<Float>(axis: 0).outputShapes(forInputShapes: [[nil, 3], [nil, 3]]) }
        #expect(throws: LayerError.self) { try join.outputShapes(forInputShapes: [[nil, 5, 1 << 62], [nil, 5, 1 << 62]]) }
        // A one-input layer refuses several inputs with an error, not a trap.
        let dense = try Dense<Float>(units: 2)
        #expect(throws: LayerError.self) { try dense.forward([Tensor(zeros: [1, 2]), Tensor(zeros: [1, 2])], masks: [nil, nil], training: false) }
    }

    /// Masks merge as Keras 3.15's compute_mask does (checked in Python).
    @Test func masksAreCombined() throws {
        let a = try Tensor<Bool>(shape: [1, 3], scalars: [true, true, false])
        let b = try Tensor<Bool>(shape: [1, 3], scalars: [true, false, false])
        let x = Tensor<Float>(repeating: 1, shape: [1, 3, 2])
        let result = try Add<Float>().forward([x, x], masks: [a, b], training: false)
        #expect(result.mask?.scalars == [true, false, false])
        #expect(try Add<Float>().forward([x, x], masks: [nil, nil], training: false).mask == nil)
        #expect(try Add<Float>().forward([x, x], masks: [a, nil], training: false).mask == nil)
        // Concatenate along the features: a step counts where any input's does.
        let joined = try Concatenate<Float>().forward([x, x], masks: [a, b], training: false)
        #expect(joined.mask?.scalars == [true, true, false])
        #expect(try Concatenate<Float>().forward([x, x], masks: [a, nil], training: false).mask?.scalars == [true, true, true])
        // Along the steps: the masks are joined too.
        let steps = try Concatenate<Float>(axis: 1).forward([x, x], masks: [a, nil], training: false)
        #expect(steps.mask?.shape == [1, 6] && steps.mask?.scalars == [true, true, false, true, true, true])
    }
}
