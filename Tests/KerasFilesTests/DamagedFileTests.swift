import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// Damaged model files and archives throw a ``FileFormatError``; none crashes or hangs.
@Suite("Damaged model files")
struct DamagedFileTests {
    static let models = ["seq_bidirectional.keras", "fn_encoder_decoder.keras", "seq_rnn_cells.h5", "seq_embedding_mask.h5"]

    /// Loads the model and runs it once, as `gru predict` would.
    static func load(_ bytes: [UInt8]) throws {
        let file = try KerasModelFile(bytes: bytes)
        let inputs = file.model.inputShapes.map { shape in
            Tensor<Float>(repeating: 1, shape: shape.enumerated().map { $0.offset == 0 ? 2 : ($0.element ?? 4) })
        }
        _ = try? file.model.predictOnBatch(inputs, training: false)
    }

    @Test(arguments: models)
    func truncatedFilesThrow(name: String) throws {
        let bytes = try ModelFixtures.bytes("models/" + name)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)) {
            #expect(throws: FileFormatError.self, "truncated at \(length)") { try Self.load(Array(bytes.prefix(length))) }
        }
    }

    @Test(arguments: models)
    func flippedBytesNeverCrash(name: String) throws {
        let bytes = try ModelFixtures.bytes("models/" + name)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<2 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                damaged[Int(state >> 33) % damaged.count] ^= UInt8(truncatingIfNeeded: state >> 17) | 1
            }
            _ = try? Self.load(damaged)
        }
    }

    static func archive(_ members: [(String, [UInt8])]) throws -> [UInt8] {
        try ZipArchive.encode(members.map { (name: $0.0, data: $0.1) })
    }

    @Test func badJSONAndWrongMembers() throws {
        let good = try ZipArchive(bytes: ModelFixtures.bytes("models/seq_gru.keras"))
        let weights = try good.contents(of: "model.weights.h5")
        let config = try good.contents(of: "config.json")

        let badJSON = try Self.archive([("config.json", Array("{\"class_name\": ".utf8)), ("model.weights.h5", weights)])
        let jsonError = #expect(throws: FileFormatError.self) { try KerasModelFile(bytes: badJSON) }
        #expect(jsonError?.message.contains("config.json is not valid JSON") == true)

        let noWeights = try Self.archive([("config.json", config)])
        let membersError = #expect(throws: FileFormatError.self) { try KerasModelFile(bytes: noWeights) }
        #expect(membersError?.message.contains("no model.weights.h5") == true)

        let swapped = try Self.archive([("config.json", weights), ("model.weights.h5", config)])
        #expect(throws: FileFormatError.self) { try KerasModelFile(bytes: swapped) }

        let wrongModel = try Self.archive([("config.json", Array(#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 5, 3]}}, {"class_name": "GRU", "config": {"name": "gru", "units": 9}}]}}"#.utf8)), ("model.weights.h5", weights)])
        let shapeError = #expect(throws: FileFormatError.self) { try KerasModelFile(bytes: wrongModel) }
        #expect(shapeError?.message.contains("do not fit") == true)

        #expect(throws: FileFormatError.self) { try KerasModelFile(bytes: Array("plain text".utf8)) }
        #expect(throws: FileFormatError.self) { try KerasModelFile(contentsOf: "/nonexistent/model.keras") }
    }

    @Test func weightsOnlyH5IsExplained() throws {
        let error = #expect(throws: FileFormatError.self) {
            try KerasModelFile(bytes: ModelFixtures.bytes("models/seq_gru.weights.h5"))
        }
        #expect(error?.message.contains("weights only") == true)
    }

    @Test func failedSaveLeavesTheOldFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swift-gru-\(UUID()).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("precious".utf8)))
        let timeMajor = try Sequential<Float>(inputShape: [5, 3], layers: [GRU<Float>(units: 2, timeMajor: true)])
        #expect(throws: FileFormatError.self) { try KerasModelFile.save(timeMajor, to: path) }
        #expect(FileManager.default.contents(atPath: path) == Data("precious".utf8))
    }
}
