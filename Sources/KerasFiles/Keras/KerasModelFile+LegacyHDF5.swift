import Foundation
import HDF5
import SwiftGRU

/// What a tf.keras 2 `.h5` model file held besides the weights' values, so that a model read
/// from one can be written back as one: Keras 3 cannot hold every Keras 2 model (its
/// `hard_sigmoid` is another function), and a user fine-tuning a Keras 2 model wants a file
/// their Keras reads.
struct LegacyLayout {
    /// The root attributes kept as they were: `model_config`, `training_config`,
    /// `keras_version`, `backend`.
    var rootAttributes: [String: String]
    /// The `model_weights` groups in order, each with its `weight_names`.
    var layers: [(name: String, weightNames: [String])]
    /// Layers whose weights were converted from cuDNN's layout when read.
    var convertedLayers: Set<String>
    /// The optimizer state (`optimizer_weights`), in tf.keras 2's order.
    var optimizerVariables: [Tensor<Double>]

    init(file: HDF5File, weights root: HDF5Group, convertedLayers: [String]) {
        rootAttributes = [:]
        for key in ["model_config", "training_config", "keras_version", "backend"] {
            if let value = file.root.attributes[key]?.value.strings?.first { rootAttributes[key] = value }
        }
        let names = KerasModelFile.stringList(root.attributes, "layer_names") ?? root.memberNames
        layers = names.map { name in
            (name, root.group(at: name).flatMap { KerasModelFile.stringList($0.attributes, "weight_names") } ?? [])
        }
        self.convertedLayers = Set(convertedLayers)
        optimizerVariables = []
    }

    /// Reads `optimizer_weights`: the values in `weight_names` order.
    static func optimizerVariables(in file: HDF5File) throws -> [Tensor<Double>] {
        guard let group = file.root.group(at: "optimizer_weights") else { return [] }
        return try (KerasModelFile.stringList(group.attributes, "weight_names") ?? []).map { name in
            guard let dataset = group.dataset(at: name), let scalars = try file.read(dataset).doubles else {
                throw FileFormatError("optimizer weight '\(name)' is missing or holds no numbers")
            }
            return try Tensor(shape: dataset.shape, scalars: scalars)
        }
    }
}

extension KerasModelFile {
    /// The bytes of a tf.keras 2 `.h5` model file like the one the model was read from: the
    /// same `model_config` and `training_config`, and the model's current weights under the same
    /// names.
    ///
    /// - Parameter optimizerVariables: The optimizer state in tf.keras 2's order
    ///   (`Trainer/tfKeras2OptimizerVariables()`), which tf.keras loads with the model; none
    ///   makes it start a fresh optimizer.
    /// - Throws: ``FileFormatError`` when the model was not read from a tf.keras 2 `.h5` file,
    ///   or its weights no longer fit the file's (or were converted from cuDNN's layout).
    public func legacyHDF5Bytes(optimizerVariables: [Tensor<Double>] = []) throws -> [UInt8] {
        guard let layout = legacyLayout else {
            throw FileFormatError("only a model read from a tf.keras 2 .h5 file can be written back as one; save it as .keras")
        }
        var root = HDF5GroupBuilder()
        for (key, value) in layout.rootAttributes { root.attributes[key] = .string(value) }
        var weights = HDF5GroupBuilder()
        weights.attributes["layer_names"] = .strings(layout.layers.map(\.name))
        for key in ["keras_version", "backend"] { weights.attributes[key] = root.attributes[key] }
        let byName = Dictionary(model.layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, weightNames) in layout.layers {
            var group = HDF5GroupBuilder()
            group.attributes["weight_names"] = .strings(weightNames)
            if !weightNames.isEmpty {
                guard !layout.convertedLayers.contains(name) else {
                    throw FileFormatError("layer '\(name)' was read from cuDNN's layout (CuDNNGRU/CuDNNLSTM), which is not written back; save the model as .keras")
                }
                guard let layer = byName[name], layer.weights.count == weightNames.count else {
                    throw FileFormatError("layer '\(name)' no longer has the \(weightNames.count) weights the file names")
                }
                for (weightName, tensor) in zip(weightNames, layer.weights) {
                    try group.setDataset(.float32(tensor.scalars, shape: tensor.shape), at: weightName)
                }
            }
            weights.members[name] = .group(group)
        }
        root.members["model_weights"] = .group(weights)
        if !optimizerVariables.isEmpty {
            var state = HDF5GroupBuilder()
            let names = optimizerVariables.indices.map { $0 == 0 ? "optimizer/iter:0" : "optimizer/slot_\($0 - 1):0" }
            state.attributes["weight_names"] = .strings(names)
            for (name, variable) in zip(names, optimizerVariables) {
                let value: HDF5Value = name == names[0]
                    ? .int64(variable.scalars.map { Int64(exactly: $0.rounded()) ?? 0 }, shape: variable.shape)
                    : .float32(variable.scalars.map(Float.init), shape: variable.shape)
                try state.setDataset(value, at: name)
            }
            root.members["optimizer_weights"] = .group(state)
        }
        return try HDF5Writer.encode(root)
    }

    /// Writes ``legacyHDF5Bytes(optimizerVariables:)`` to `path`, replacing a file there only
    /// once it is complete.
    ///
    /// - Throws: ``FileFormatError`` as ``legacyHDF5Bytes(optimizerVariables:)``, or when the
    ///   file cannot be written.
    public func saveLegacyHDF5(optimizerVariables: [Tensor<Double>] = [], to path: String) throws {
        try AtomicFile.write(try legacyHDF5Bytes(optimizerVariables: optimizerVariables), to: path)
    }

    /// Writes ``legacyHDF5Bytes(optimizerVariables:)`` to a file URL, as
    /// ``saveLegacyHDF5(optimizerVariables:to:)-(_,String)``.
    ///
    /// - Throws: ``FileFormatError`` as the path version, or for a URL that is not a file URL.
    public func saveLegacyHDF5(optimizerVariables: [Tensor<Double>] = [], to url: URL) throws {
        try saveLegacyHDF5(optimizerVariables: optimizerVariables, to: try url.filePath())
    }

    /// Puts the optimizer state saved in the file into `trainer` (a `.keras` file's
    /// `optimizer/vars`, a tf.keras 2 file's `optimizer_weights`), so that training goes on
    /// where it stopped, as Keras does after loading the file.
    ///
    /// - Throws: `LayerError` when the state does not fit the trainer's optimizer and model.
    public func restoreOptimizerState(of trainer: Trainer<Float>) throws {
        if let legacyLayout {
            try trainer.restoreOptimizerState(tfKeras2Variables: legacyLayout.optimizerVariables)
        } else {
            try trainer.restoreOptimizerState(kerasVariables: optimizerVariables)
        }
    }
}
