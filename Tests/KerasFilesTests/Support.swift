import Foundation
import KerasFiles
import SwiftGRU

/// The manifest written by `Scripts/fixtures/make-file-fixtures.py`.
struct ModelFixtures: Decodable {
    struct Entry: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let inputs: [String]
        let expected: String
        let output_names: [String]
        let batch_size: Int
        let keras: String
        let weights: String
        let legacy: String
        let legacy_expected: String
        let swift_keras: String
        var description: String { name }
    }

    let keras_version: String
    let models: [Entry]

    static let directory: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)

    static let shared: ModelFixtures = {
        guard let url = directory?.appendingPathComponent("models/manifest.json"),
              let data = try? Data(contentsOf: url),
              let manifest = try? JSONDecoder().decode(ModelFixtures.self, from: data)
        else { return ModelFixtures(keras_version: "missing", models: []) }
        return manifest
    }()

    static func path(_ relative: String) -> String {
        directory?.appendingPathComponent(relative).path ?? relative
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw FileFormatError("missing fixture \(relative)")
        }
        return [UInt8](data)
    }

    static func array(_ relative: String) throws -> NumPyArray { try NumPyArray(npy: bytes(relative)) }

    static func inputs(_ entry: Entry) throws -> [Tensor<Float>] {
        try entry.inputs.map { try array("models/" + $0).tensor() }
    }

    /// Expected outputs in output order, from an .npy or .npz fixture.
    static func outputs(_ file: String, names: [String]) throws -> [Tensor<Float>] {
        if file.hasSuffix(".npy") { return [try array("models/" + file).tensor()] }
        let arrays = try NumPyArray.arrays(npz: bytes("models/" + file))
        return try names.map { name in
            guard let match = arrays.first(where: { $0.name == name }) else { throw FileFormatError("no array \(name) in \(file)") }
            return match.array.tensor()
        }
    }
}
