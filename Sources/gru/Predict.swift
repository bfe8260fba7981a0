import ArgumentParser
import Foundation
import KerasFiles
import SwiftGRU

/// Runs a saved model on arrays from `.npy` or `.npz` files.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Keras model (.keras or tf.keras .h5) on inputs from .npy/.npz files.",
        discussion: """
            Several inputs: give one .npy per input, or one .npz with the arrays in input order.
            Several outputs: write an .npz with one array per output, in the model's output order.
            A stateful model keeps its state from batch to batch, as Keras' predict does.
            """
    )

    @Argument(help: "The model file (.keras, or a tf.keras 2 .h5).")
    var model: String

    @Argument(help: "Input arrays: one .npy per model input, or a single .npz.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Where to write the output: .npy (one output) or .npz.")
    var output: String?

    @Option(help: "Samples per batch (default 32, or the model's fixed batch size).")
    var batchSize: Int?

    @OptionGroup var device: DeviceOption

    func run() throws {
        try device.apply()
        let file = try KerasModelFile.opening(model)
        let model = file.model
        let arrays = try readInputs()
        guard arrays.count == model.inputShapes.count || model.inputShapes.isEmpty else {
            throw ValidationError("the model takes \(model.inputShapes.count) input(s); \(arrays.count) given")
        }
        let tensors: [Tensor<Float>] = arrays.map { $0.array.tensor() }
        for (index, (array, expected)) in zip(arrays, model.inputShapes).enumerated() {
            let fits = array.array.shape.count == expected.count && zip(array.array.shape, expected).dropFirst().allSatisfy { $1 == nil || $0 == $1 }
            guard fits else {
                throw ValidationError("input \(index) ('\(array.name)') has shape \(array.array.shape); the model expects \(Predict.describe(expected))")
            }
        }
        let outputs = try model.predict(tensors, batchSize: batchSize)
        let names = UniqueName.make((0..<outputs.count).map { $0 < model.outputNames.count ? model.outputNames[$0] : "output_\($0)" })
        guard let path = output else {
            for (name, tensor) in zip(names, outputs) { print(Predict.report(name, tensor)) }
            return
        }
        if path.hasSuffix(".npz") {
            let entries = zip(names, outputs).map { (name: $0, array: NumPyArray.float32($1)) }
            try AtomicFile.write(try NumPyArray.npzBytes(entries), to: path)
        } else {
            guard outputs.count == 1 else {
                throw ValidationError("the model has \(outputs.count) outputs; write them to an .npz file")
            }
            try AtomicFile.write(NumPyArray.float32(outputs[0]).npyBytes(), to: path)
        }
    }

    private func readInputs() throws -> [(name: String, array: NumPyArray)] {
        if inputs.count == 1, inputs[0].hasSuffix(".npz") {
            return try NumPyArray.arrays(npz: try readFile(inputs[0]))
        }
        return try inputs.map { path in
            guard !path.hasSuffix(".npz") else { throw ValidationError("give either one .npz or one .npy per input") }
            do {
                return (path, try NumPyArray(npy: try readFile(path)))
            } catch let error as FileFormatError {
                throw FileFormatError("\(path): \(error.message)")
            }
        }
    }

    static func describe(_ shape: [Int?]) -> String {
        "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
    }

    static func report(_ name: String, _ tensor: Tensor<Float>) -> String {
        let values = tensor.scalars
        let mean = values.isEmpty ? 0 : values.reduce(0, +) / Float(values.count)
        let preview = values.prefix(6).map { String(format: "%.6g", Double($0)) }.joined(separator: ", ")
        return "\(name): shape \(tensor.shape), min \(values.min() ?? 0), max \(values.max() ?? 0), mean \(mean); first values [\(preview)\(values.count > 6 ? ", ..." : "")]"
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read '\(path)': no such file or no permission")
    }
    return [UInt8](data)
}
