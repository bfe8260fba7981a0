import Foundation
import HDF5
@testable import KerasFiles
import SwiftGRU
import Testing

/// Inputs that once crashed a reader (found by the fuzz targets in `Fuzz/`, or reported), kept
/// in Fixtures/fuzz/<kind>/: each goes through what its fuzz target does and must end in a
/// value or a thrown error.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// Every kept input, as `kind/name`.
    static let inputs: [String] = {
        let root = ModelFixtures.path("fuzz")
        let kinds = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return kinds.sorted().flatMap { kind in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + kind)) ?? []).sorted().map { kind + "/" + $0 }
        }
    }()

    @Test func inputsArePresent() { #expect(!Self.inputs.isEmpty) }

    @Test(arguments: inputs)
    func endsInAValueOrAnError(input: String) throws {
        let bytes = try ModelFixtures.bytes("fuzz/" + input)
        switch input.prefix(while: { $0 != "/" }) {
        case "npy":
            if let array = try? NumPyArray(npy: bytes) { _ = array.tensor(of: Float.self) }
            if let arrays = try? NumPyArray.arrays(npz: bytes) { for entry in arrays { _ = entry.array.tensor(of: Float.self) } }
        case "zip":
            if let archive = try? ZipArchive(bytes: bytes) { for entry in archive.entries { _ = try? archive.contents(of: entry) } }
        case "hdf5":
            if let file = try? HDF5File(bytes: bytes) { Self.readAll(file.root, file, depth: 0) }
        case "model":
            if let file = try? KerasModelFile(bytes: bytes, name: input) { Self.predictOnce(file.model) }
        case "json":
            if let model = try? KerasModelFile.model(fromJSON: String(decoding: bytes, as: UTF8.self)) { Self.predictOnce(model) }
        case let kind:
            Issue.record("unknown kind of fuzz input '\(kind)' (npy, zip, hdf5, model, json)")
        }
    }

    static func readAll(_ group: HDF5Group, _ file: HDF5File, depth: Int) {
        guard depth < 16 else { return }
        for name in group.memberNames {
            switch group.members[name] {
            case .group(let child)?: readAll(child, file, depth: depth + 1)
            case .dataset(let dataset)?: _ = try? file.read(dataset).doubles
            case nil: break
            }
        }
    }

    static func predictOnce(_ model: any Model<Float>) {
        let inputs = model.inputShapes.map { shape in [1] + shape.dropFirst().map { min(max($0 ?? 2, 1), 8) } }
        guard inputs.allSatisfy({ $0.count <= 6 && $0.reduce(1, *) <= 4096 }) else { return }
        _ = try? model.predict(inputs.map { Tensor<Float>(repeating: 0.5, shape: $0) }, batchSize: nil)
    }
}

/// `model_from_json`: a Keras 3 `config.json` and a tf.keras 2 `to_json()` (recognized by its
/// `keras_version`, so that its GRUs without reset_after are the original variant).
@Test func modelFromJSON() throws {
    let config = try ZipArchive(bytes: ModelFixtures.bytes("objectives/outputs_list.keras")).contents(of: "config.json")
    let keras3 = try KerasModelFile.model(fromJSON: String(decoding: config, as: UTF8.self))
    #expect(keras3.outputNames == ["out_a", "out_b"])
    let h5 = try HDF5File(bytes: ModelFixtures.bytes("real/traffic-flow-gru/gru.h5"))
    let text = try #require(h5.root.attributes["model_config"]?.value.strings?.first)
    let keras2 = try KerasModelFile.model(fromJSON: String(text.dropLast()) + #", "keras_version": "2.1.4"}"#)
    #expect(keras2.layers.compactMap { $0 as? GRU<Float> }.map(\.resetAfter) == [false, false])
    #expect(throws: FileFormatError.self) { try KerasModelFile.model(fromJSON: "{\"class_name\": \"Sequential\"") }
}
