import Foundation
@testable import KerasFiles
import SwiftGRU
import Testing

/// `.npy` files read a batch at a time and written a batch at a time: the same values as
/// reading them whole, and predict and fit on them equal to the in-memory runs.
@Suite("NumPy files in batches")
struct NumPyFileTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: ["float32", "float64", "int32", "int64", "bool", "fortran", "empty"])
    func samplesMatchTheWholeArray(name: String) throws {
        let whole: Tensor<Float> = try ModelFixtures.array("numpy/\(name).npy").tensor()
        let file = try NumPyFile(contentsOf: ModelFixtures.path("numpy/\(name).npy"))
        #expect(file.shape == whole.shape)
        let count = file.sampleCount
        #expect(try file.samples(in: 0..<count) == whole)
        guard count > 1 else { return }
        let order = Array((0..<count).reversed()) + [0, 0]
        #expect(try file.samples(at: order) == whole.samples(at: order))
        #expect(throws: FileFormatError.self) { try file.samples(at: [count]) }
    }

    @Test func damagedFilesAreErrors() throws {
        let good = try ModelFixtures.bytes("numpy/float32.npy")
        for damaged in [Array(good.dropLast(4)), good + [0, 0, 0, 0], Array(good.prefix(9)), try ModelFixtures.bytes("fuzz/npy/overflowing-shape.npy")] {
            let path = Self.temporary("damaged.npy")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try AtomicFile.write(damaged, to: path)
            #expect(throws: FileFormatError.self) { try NumPyFile(contentsOf: path) }
        }
        #expect(throws: FileFormatError.self) { try NumPyFile(contentsOf: ModelFixtures.path("numpy/scalar.npy")) }
        #expect(throws: FileFormatError.self) { try NumPyFile(contentsOf: "/nonexistent/x.npy") }
    }

    /// Written in batches, the file is the one written whole; a writer that does not finish
    /// leaves the file that was there untouched.
    @Test func writtenInBatches() throws {
        let values = try Tensor<Float>(shape: [5, 2, 3], scalars: (0..<30).map { Float($0) * 0.5 - 3 })
        let path = Self.temporary("out.npy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AtomicFile.write([1, 2, 3], to: path)
        do {
            let unfinished = try NumPyFileWriter(path: path, shape: [5, 2, 3])
            try unfinished.append(values.samples(in: 0..<2))
            #expect(throws: FileFormatError.self) { try unfinished.finish() }
        }
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        let writer = try NumPyFileWriter(path: path, shape: [5, 2, 3])
        try writer.append(values.samples(in: 0..<2))
        try writer.append(values.samples(in: 2..<5))
        #expect(throws: FileFormatError.self) { try writer.append(values.samples(in: 0..<1)) }
        try writer.finish()
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == NumPyArray.float32(values).npyBytes())
    }

    /// Predict and fit reading `.npy` files a batch at a time give what they give on the
    /// arrays in memory (shuffled batches, a validation split and class weights included).
    @Test func predictAndFitOnFilesMatchMemory() throws {
        func model() throws -> Sequential<Float> {
            let model = try Sequential<Float>(inputShape: [4, 3], layers: [GRU<Float>(units: 3), Dense<Float>(units: 2, activation: .softmax)])
            for layer in model.layers {
                try layer.setWeights(layer.weights.map { try Tensor(shape: $0.shape, scalars: (0..<$0.scalarCount).map { Float($0 % 7) * 0.1 - 0.3 }) })
            }
            return model
        }
        var rng = RandomGenerator(seed: 3)
        let x = try Tensor<Float>(shape: [11, 4, 3], scalars: (0..<132).map { _ in Float(rng.nextNormal()) })
        let y = try Tensor<Float>(shape: [11], scalars: (0..<11).map { Float($0 % 2) })
        let xPath = Self.temporary("x.npy"), yPath = Self.temporary("y.npy")
        defer { for path in [xPath, yPath] { try? FileManager.default.removeItem(atPath: path) } }
        try AtomicFile.write(NumPyArray.float32(x).npyBytes(), to: xPath)
        try AtomicFile.write(NumPyArray.float32(y).npyBytes(), to: yPath)
        let (xFile, yFile) = (try NumPyFile(contentsOf: xPath), try NumPyFile(contentsOf: yPath))

        let inMemory = try model(), fromFiles = try model()
        var streamed = [Tensor<Float>]()
        try fromFiles.predict([xFile], batchSize: 4) { _, outputs in streamed.append(outputs[0]) }
        #expect(try Tensor.concatenate(streamed, alongAxis: 0) == inMemory.predict([x], batchSize: 4)[0])

        let a = Trainer(model: inMemory, optimizer: .adam(learningRate: 0.05), loss: .sparseCategoricalCrossentropy(), metrics: [try Metric(named: "accuracy")])
        let b = Trainer(model: fromFiles, optimizer: .adam(learningRate: 0.05), loss: .sparseCategoricalCrossentropy(), metrics: [try Metric(named: "accuracy")])
        let expected = try a.fit(x: [x], y: [y], batchSize: 3, epochs: 2, validationSplit: 0.25, seed: 9, classWeight: [0: 1, 1: 2])
        let history = try b.fit(
            x: [xFile], y: [yFile], options: FitOptions(batchSize: 3, epochs: 2, validationSplit: 0.25, seed: 9, classWeight: [0: 1, 1: 2]))
        #expect(history == expected)
        #expect(fromFiles.layers.flatMap { $0.weights } == inMemory.layers.flatMap { $0.weights })
        #expect(try b.evaluateMetrics(x: [xFile], y: [yFile], batchSize: 5) == a.evaluateMetrics(x: [x], y: [y], batchSize: 5))
    }
}
