import ArgumentParser
import KerasFiles
import SwiftGRU

/// The model and data arguments that `fit` and `evaluate` share.
struct TrainingData: ParsableArguments {
    @Argument(help: "The model file (.keras, or a tf.keras 2 .h5; fit then needs --optimizer and --loss).")
    var model: String

    @Argument(help: "Inputs: a .npy, or an .npz with one array per model input.")
    var x: String

    @Argument(help: "Targets: a .npy, or an .npz with one array per model output.")
    var y: String

    @Option(help: "Samples per batch.")
    var batchSize = 32

    @OptionGroup var device: DeviceOption

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    /// The inputs and the targets, read a batch at a time: a `.npy` in place (data larger
    /// than memory trains in bounded memory), the arrays of an `.npz` from memory.
    func sources() throws -> (inputs: [any BatchSource<Float>], targets: [any BatchSource<Float>]) {
        (try Self.sources(x, what: "X"), try Self.sources(y, what: "Y"))
    }

    static func sources(_ path: String, what: String) throws -> [any BatchSource<Float>] {
        guard !path.hasSuffix(".npz") else { return try arrays(path, what: what) }
        do { return [try NumPyFile(contentsOf: path)] } catch let error as FileFormatError {
            throw ValidationError("\(what) (\(path)): \(error.message)")
        }
    }

    /// The arrays of a .npy file (one) or an .npz file (in order), as Float tensors.
    static func arrays(_ path: String, what: String) throws -> [Tensor<Float>] {
        let bytes = try readFile(path)
        do {
            if path.hasSuffix(".npz") { return try NumPyArray.arrays(npz: bytes).map { $0.array.tensor() } }
            return [try NumPyArray(npy: bytes).tensor()]
        } catch let error as FileFormatError {
            throw ValidationError("\(what) (\(path)): \(error.message)")
        }
    }
}
