import Foundation
import HDF5
import KerasFiles
import SwiftGRU
import Testing

/// Every public API that takes a file path has a `URL` form beside it, as Swift developers
/// expect, and the URL forms read and write what the path forms do.
@Suite("File URLs")
struct FileURLTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// The public declarations (their names: `init` or the function's) whose parameters take a
    /// file path as a String, and those taking a URL, in one source file.
    static func declarations(in text: String) -> (paths: [String], urls: Set<String>) {
        var paths = [String](), urls = Set<String>()
        // A declaration runs from `public` to the opening brace of its body.
        let pattern = /public\s+(?:static\s+|convenience\s+)*(?:func\s+(\w+)|(init))\s*(?:<[^>]*>)?\(([^{]*)\{/
        for match in text.matches(of: pattern) {
            let name = String(match.output.1 ?? match.output.2 ?? "")
            let parameters = String(match.output.3)
            if parameters.contains(": URL") { urls.insert(name) }
            // A path parameter: labelled or named path, filepath, filename or a directory (not
            // `at path`, a path inside an HDF5 file, nor `name path`, a name for messages).
            let pathParameter = /(?:^|[(,])\s*(?:(\w+)\s+)?(path|filepath|filename|backupDirectory|directory)\s*:\s*String\b/
            if parameters.matches(of: pathParameter).contains(where: { !["at", "name"].contains(String($0.output.1 ?? "")) }) {
                paths.append(name)
            }
        }
        return (paths, urls)
    }

    @Test func everyPathAPIHasAURLForm() throws {
        var checked = 0
        for module in ["KerasFiles", "HDF5", "SwiftGRU", "GRUDistributed"] {
            let folder = Self.sources.appendingPathComponent(module)
            let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                let (paths, urls) = Self.declarations(in: text)
                for name in paths {
                    checked += 1
                    #expect(urls.contains(name), "\(module)/\(file): the public \(name) that takes a path has no URL form")
                }
            }
        }
        // The scan found the path APIs it is there for (models, weights, arrays, callbacks, HDF5).
        #expect(checked >= 12, "only \(checked) path APIs found: the scan no longer reads the declarations")
    }

    @Test func urlFormsReadAndWriteWhatPathFormsDo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gru-url-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Sequential<Float>(inputShape: [5, 3], layers: [GRU(units: 4), Dense(units: 2)])
        let x = try Tensor<Float>(shape: [2, 5, 3], scalars: (0..<30).map { Float($0) / 30 })
        let expected = try model.predict([x], batchSize: nil)[0]

        let file = directory.appendingPathComponent("model with spaces.keras")
        try KerasModelFile.save(model, to: file)
        let loaded = try KerasModelFile(contentsOf: file).model
        #expect(try loaded.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) == 0)

        let weights = directory.appendingPathComponent("model.weights.h5")
        try KerasModelFile.saveWeights(of: model, to: weights)
        let rebuilt = try Sequential<Float>(inputShape: [5, 3], layers: [GRU(units: 4), Dense(units: 2)])
        try KerasModelFile.loadWeights(from: weights, into: rebuilt)
        #expect(try rebuilt.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) == 0)
        #expect(try HDF5File(contentsOf: weights).root.group(at: "layers") != nil)

        let array = directory.appendingPathComponent("x.npy")
        try AtomicFile.write(NumPyArray.float32(x).npyBytes(), to: array)
        #expect(try NumPyFile(contentsOf: array).sampleCount == 2)

        // A URL of another scheme names itself instead of being read as a path.
        let remote = try #require(URL(string: "https://example.invalid/model.keras"))
        #expect { try KerasModelFile(contentsOf: remote) } throws: { ($0 as? FileFormatError)?.message.contains("not a file URL") == true }
    }
}
