import ArgumentParser
import Foundation
import KerasFiles
import SwiftGRU

/// Runs an exported model in ONNX Runtime (through Python's `onnxruntime`, found at run time)
/// and here on the same random inputs, and prints the largest difference.
enum ONNXVerification {
    static func run(_ model: any Model<Float>, onnx path: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gru-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Token ids for an Embedding (a right-padded tail of zeros), values elsewhere.
        var rng = RandomGenerator(seed: 1)
        let vocabulary = (model.layers.first as? Embedding<Float>)?.inputDim
        let inputs = try model.inputShapes.map { shape -> Tensor<Float> in
            let concrete = [3] + shape.dropFirst().map { $0 ?? 7 }
            let count = concrete.reduce(1, *)
            let steps = concrete.count > 1 ? concrete[1] : 1
            let values = (0..<count).map { i -> Float in
                guard let vocabulary else { return Float(rng.nextNormal()) }
                let (sample, step) = (i / steps, i % steps)
                return step >= steps - sample ? 0 : Float(1 + Int(rng.next() % UInt64(max(vocabulary - 1, 1))))
            }
            return try Tensor(shape: concrete, scalars: values)
        }
        let expected = try model.predict(inputs, batchSize: nil)
        for (k, input) in inputs.enumerated() {
            try AtomicFile.write(NumPyArray.float32(input).npyBytes(), to: folder.appendingPathComponent("x\(k).npy").path)
        }
        let script = """
            import sys, numpy as np, onnxruntime as ort
            s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
            feeds = {i.name: np.load(f"{sys.argv[2]}/x{k}.npy") for k, i in enumerate(s.get_inputs())}
            for k, y in enumerate(s.run(None, feeds)): np.save(f"{sys.argv[2]}/y{k}.npy", y)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path, folder.path]
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw RuntimeError("--verify needs python3 with onnxruntime and numpy: \(error.localizedDescription)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw RuntimeError("ONNX Runtime could not run the model (--verify needs python3 with onnxruntime and numpy):\n\(message.suffix(2000))")
        }
        var largest: Float = 0
        for (k, tensor) in expected.enumerated() {
            let theirs: Tensor<Float> = try NumPyArray(npy: readFile(folder.appendingPathComponent("y\(k).npy").path)).tensor()
            largest = max(largest, try tensor.maxAbsoluteDifference(to: theirs))
        }
        print("ONNX Runtime and gru agree within \(largest) on \(inputs.first?.shape.first ?? 0) random samples")
    }
}
