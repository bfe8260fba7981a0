import Foundation
import HDF5
import SwiftGRU

/// A model read from a Keras file, with what the file says about training.
public struct KerasModelFile {
    /// The kinds of file this library reads.
    public enum Format: String, Sendable {
        /// Keras 3 `model.save("m.keras")`: a zip of config.json and model.weights.h5.
        case keras
        /// tf.keras 2 `model.save("m.h5")`: one HDF5 file with `model_config`.
        case legacyHDF5
    }

    /// The model, built and holding the file's weights.
    public let model: any Model<Float>
    /// The `compile_config` of a `.keras` file (optimizer, loss, metrics), or the one a tf.keras 2
    /// `.h5` file's `training_config` amounts to; `nil` for a model saved uncompiled.
    public let compileConfig: JSONValue?
    /// The Keras version that wrote the file, if recorded.
    public let kerasVersion: String?
    public let format: Format
    /// What the file asks for that runs differently here (float64 layers run in float32),
    /// one sentence each; empty when the model runs as written.
    public let notes: [String]
    /// The optimizer state saved with the model (`optimizer/vars` of a `.keras` file, in
    /// Keras' order), for `Trainer/restoreOptimizerState(kerasVariables:)`; empty when the
    /// model was saved before training.
    public let optimizerVariables: [Tensor<Double>]
    /// Why training this model here would differ from Keras' (a setting read but not applied
    /// in training), one sentence each; empty when it trains as in Keras.
    public let trainingRefusals: [String]
    /// The layout of the tf.keras 2 `.h5` file the model was read from, to write it back as one.
    let legacyLayout: LegacyLayout?

    /// Loads a `.keras` file or a tf.keras 2 `.h5` model file.
    ///
    /// - Throws: ``FileFormatError`` naming the problem when the file cannot be read,
    ///   is damaged, or holds a layer this library does not support.
    public init(contentsOf path: String) throws {
        try self.init(bytes: try Self.read(path), name: path)
    }

    /// Loads a `.keras` file or a tf.keras 2 `.h5` model file at a file URL.
    ///
    /// - Throws: ``FileFormatError`` as ``init(contentsOf:)-(String)``, or for a URL that is not a file URL.
    public init(contentsOf url: URL) throws {
        try self.init(contentsOf: try url.filePath())
    }

    /// Loads a model from the bytes of a `.keras` or `.h5` file.
    ///
    /// - Parameter name: The file's name, for messages.
    /// - Throws: ``FileFormatError`` naming the problem.
    public init(bytes: [UInt8], name: String = "the model file") throws {
        if bytes.starts(with: [0x50, 0x4B]) {
            try self.init(kerasArchive: bytes, name: name)
        } else if bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) {
            try self.init(legacy: bytes, name: name)
        } else {
            throw FileFormatError("\(name) is neither a .keras archive nor an HDF5 .h5 file")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileFormatError("cannot read '\(path)': no such file or no permission")
        }
        return [UInt8](data)
    }

    private init(kerasArchive bytes: [UInt8], name: String) throws {
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes: bytes) } catch let error as FileFormatError {
            throw FileFormatError("\(name): \(error.message)")
        }
        for member in ["config.json", "model.weights.h5"] where !archive.names.contains(member) {
            throw FileFormatError("\(name) is not a Keras model: the archive has no \(member)")
        }
        let metadata = archive.names.contains("metadata.json")
            ? try? JSONValue(parsing: archive.contents(of: "metadata.json"), what: "metadata.json") : nil
        let version = metadata?["keras_version"]?.string
        let config = try JSONValue(parsing: archive.contents(of: "config.json"), what: "\(name): config.json")
        let decoder = KerasConfigDecoder(legacy: version?.hasPrefix("2.") ?? false)
        // Every weight is read from the file below: nothing is drawn for it.
        let built = try Initializer.$drawsValues.withValue(false) { try KerasModelBuilder(decoder: decoder).model(config) }
        let weights: HDF5File
        do { weights = try HDF5File(bytes: archive.contents(of: "model.weights.h5")) } catch let error as HDF5Error {
            throw FileFormatError("\(name): model.weights.h5: \(error.message)", underlying: error)
        }
        try KerasWeightLayout.load(weights, into: built.layerClasses)
        self.optimizerVariables = try KerasWeightLayout.optimizerVariables(in: weights)
        self.trainingRefusals = decoder.notes.trainingRefusals
        self.model = built.model
        self.compileConfig = config["compile_config"].flatMap { $0.isNull ? nil : $0 }
        self.kerasVersion = version
        self.format = .keras
        self.notes = decoder.notes.messages
        self.legacyLayout = nil
    }

    private init(legacy bytes: [UInt8], name: String) throws {
        let file: HDF5File
        do { file = try HDF5File(bytes: bytes) } catch let error as HDF5Error {
            throw FileFormatError("\(name): \(error.message)", underlying: error)
        }
        guard let configText = file.root.attributes["model_config"]?.value.strings?.first else {
            throw FileFormatError("\(name) holds weights only (no model_config); build the model in Swift and load the weights into it")
        }
        let version = file.root.attributes["keras_version"]?.value.strings?.first
        let config = try JSONValue(parsing: Array(configText.utf8), what: "\(name): model_config")
        let decoder = KerasConfigDecoder(legacy: !(version?.hasPrefix("3.") ?? false))
        // Every weight is read from the file below: nothing is drawn for it.
        let built = try Initializer.$drawsValues.withValue(false) { try KerasModelBuilder(decoder: decoder).model(config) }
        let weightsRoot = file.root.group(at: "model_weights") ?? file.root
        try Self.loadLegacyWeights(weightsRoot, file: file, into: built.model.layers, name: name)
        var layout = LegacyLayout(file: file, weights: weightsRoot, convertedLayers: decoder.notes.cuDNNLayers)
        layout.optimizerVariables = try LegacyLayout.optimizerVariables(in: file)
        self.legacyLayout = layout
        self.model = built.model
        if let text = file.root.attributes["training_config"]?.value.strings?.first {
            let trainingConfig = try JSONValue(parsing: Array(text.utf8), what: "\(name): training_config")
            self.compileConfig = try KerasCompileConfig.compileConfig(fromTrainingConfig: trainingConfig)
        } else {
            self.compileConfig = nil
        }
        self.kerasVersion = version
        self.format = .legacyHDF5
        self.notes = decoder.notes.messages
        self.optimizerVariables = []
        self.trainingRefusals = decoder.notes.trainingRefusals
    }

    /// A string-array attribute that h5py may have split as `name0`, `name1`, ...
    static func stringList(_ attributes: [String: HDF5Attribute], _ key: String) -> [String]? {
        if let whole = attributes[key]?.value.strings { return whole }
        var parts = [String]()
        var index = 0
        while let chunk = attributes["\(key)\(index)"]?.value.strings {
            parts += chunk
            index += 1
        }
        return index > 0 ? parts : nil
    }

    /// Loads tf.keras 2 weights: one group per layer name, datasets named by `weight_names`.
    /// Weights in cuDNN's layout (CuDNNGRU, CuDNNLSTM) are converted, as Keras 2 does.
    static func loadLegacyWeights(_ root: HDF5Group, file: HDF5File, into layers: [any Layer<Float>], name: String) throws {
        let stored = Set(stringList(root.attributes, "layer_names") ?? root.memberNames)
        for layer in layers where !layer.weights.isEmpty || !layer.isBuilt {
            guard stored.contains(layer.name), let group = root.group(at: layer.name) else {
                if layer.weights.isEmpty { continue }
                throw FileFormatError("\(name): no weights for layer '\(layer.name)'")
            }
            let weightNames = stringList(group.attributes, "weight_names") ?? []
            let tensors = try weightNames.map { weightName -> Tensor<Float> in
                guard let dataset = group.dataset(at: weightName) else {
                    throw FileFormatError("\(name): weight '\(weightName)' of layer '\(layer.name)' is missing")
                }
                return try KerasWeightLayout.tensor(dataset, file: file, name: weightName)
            }
            do {
                try layer.setWeights(try CuDNNWeights.converted(tensors, for: layer))
            } catch let error as LayerError {
                throw FileFormatError("\(name): weights for layer '\(layer.name)' do not fit: \(error.message)", underlying: error)
            }
        }
    }

    // MARK: Saving

    /// The bytes of a `.keras` file holding `model` (config.json, metadata.json and
    /// model.weights.h5), which `keras.models.load_model` reads.
    ///
    /// - Parameter compileConfig: Kept so that the file can be trained again.
    /// - Throws: ``FileFormatError`` for a layer or setting that Keras 3 files cannot hold.
    ///
    /// - Parameter optimizerVariables: The optimizer state to save with the model, in Keras'
    ///   order (`Trainer/kerasOptimizerVariables`), so that Keras or `gru fit` go on where
    ///   training stopped.
    public static func kerasBytes(
        for model: any Model<Float>, compileConfig: JSONValue? = nil, optimizerVariables: [Tensor<Double>] = []
    ) throws -> [UInt8] {
        let (config, layerClasses) = try KerasConfigEncoder.model(model, compileConfig: compileConfig)
        let metadata: JSONValue = ["keras_version": "3.15.1", "date_saved": "1980-01-01@00:00:00", "saved_by": "swift-gru"]
        var tree = try KerasWeightLayout.tree(for: layerClasses)
        try KerasWeightLayout.addOptimizerVariables(optimizerVariables, to: &tree)
        let weights = try HDF5Writer.encode(tree)
        return try ZipArchive.encode([
            ("metadata.json", metadata.encoded()),
            ("config.json", config.encoded()),
            ("model.weights.h5", weights),
        ])
    }

    /// Saves `model` as a `.keras` file, with the optimizer state when given; the file is
    /// replaced only once the new one is complete.
    ///
    /// - Throws: ``FileFormatError`` when the model cannot be saved or the file cannot be written.
    public static func save(
        _ model: any Model<Float>, compileConfig: JSONValue? = nil, optimizerVariables: [Tensor<Double>] = [], to path: String
    ) throws {
        try AtomicFile.write(try kerasBytes(for: model, compileConfig: compileConfig, optimizerVariables: optimizerVariables), to: path)
    }

    /// Saves `model` as a `.keras` file at a file URL, as ``save(_:compileConfig:optimizerVariables:to:)-(_,_,_,String)``.
    ///
    /// - Throws: ``FileFormatError`` when the model cannot be saved, the URL is not a file URL,
    ///   or the file cannot be written.
    public static func save(
        _ model: any Model<Float>, compileConfig: JSONValue? = nil, optimizerVariables: [Tensor<Double>] = [], to url: URL
    ) throws {
        try save(model, compileConfig: compileConfig, optimizerVariables: optimizerVariables, to: try url.filePath())
    }

    /// Loads a Keras 3 `.weights.h5` file (`model.save_weights`) or a tf.keras 2 weights
    /// `.h5` into a model built in Swift with the same layers.
    ///
    /// - Throws: ``FileFormatError`` when the file cannot be read or does not fit the model.
    public static func loadWeights(from path: String, into model: any Model<Float>) throws {
        try loadWeights(bytes: try read(path), into: model, name: path)
    }

    /// Loads a weights file at a file URL into a model built in Swift, as
    /// ``loadWeights(from:into:)-(String,_)``.
    ///
    /// - Throws: ``FileFormatError`` when the URL is not a file URL, or the file cannot be read
    ///   or does not fit the model.
    public static func loadWeights(from url: URL, into model: any Model<Float>) throws {
        try loadWeights(from: try url.filePath(), into: model)
    }

    /// Loads weights from the bytes of a weights file into a model built in Swift, as
    /// ``loadWeights(from:into:)-(String,_)``.
    ///
    /// - Parameter name: The file's name, for messages.
    /// - Throws: ``FileFormatError`` when the bytes cannot be read or do not fit the model.
    public static func loadWeights(bytes: [UInt8], into model: any Model<Float>, name path: String = "the weights file") throws {
        let file: HDF5File
        do { file = try HDF5File(bytes: bytes) } catch let error as HDF5Error {
            throw FileFormatError("\(path): \(error.message)", underlying: error)
        }
        if file.root.group(at: "layers") != nil || file.root.group(at: "_layer_checkpoint_dependencies") != nil {
            try KerasWeightLayout.load(file, into: model.layers.map { ($0, $0.typeName) })
        } else {
            try loadLegacyWeights(file.root.group(at: "model_weights") ?? file.root, file: file, into: model.layers, name: path)
        }
    }

    /// Builds the model a JSON configuration describes, with fresh weights (Keras'
    /// `model_from_json`): Keras 3's `model.to_json()` or a `.keras` file's `config.json`, or
    /// tf.keras 2's `model.to_json()` (recognized by its `keras_version`).
    ///
    /// - Throws: ``FileFormatError`` naming what cannot be read or built.
    public static func model(fromJSON text: String) throws -> any Model<Float> {
        let config = try JSONValue(parsing: Array(text.utf8), what: "the model JSON")
        let version = config["keras_version"]?.string
        let decoder = KerasConfigDecoder(legacy: version.map { !$0.hasPrefix("3.") } ?? false)
        return try KerasModelBuilder(decoder: decoder).model(config).model
    }

    /// Checks that `model` can be saved as a `.keras` file (every layer and setting has a Keras 3
    /// form), without writing anything.
    ///
    /// - Throws: ``FileFormatError`` naming what Keras 3 files cannot hold.
    public static func checkSavable(_ model: any Model<Float>, compileConfig: JSONValue? = nil) throws {
        _ = try KerasConfigEncoder.model(model, compileConfig: compileConfig)
    }

    /// Saves the weights of `model` as a Keras 3 `.weights.h5` file, with the optimizer state
    /// when given (as Keras' `save_weights` of a compiled model).
    ///
    /// - Parameter optimizerVariables: The optimizer state in Keras' order
    ///   (`Trainer/kerasOptimizerVariables`).
    /// - Throws: ``FileFormatError`` when the file cannot be written.
    public static func saveWeights(of model: any Model<Float>, optimizerVariables: [Tensor<Double>] = [], to path: String) throws {
        try AtomicFile.write(try HDF5Writer.encode(weightsTree(of: model, optimizerVariables: optimizerVariables)), to: path)
    }

    /// The groups of a Keras 3 `.weights.h5` file holding `model`'s weights and, when given, the
    /// optimizer state.
    static func weightsTree(of model: any Model<Float>, optimizerVariables: [Tensor<Double>]) throws -> HDF5GroupBuilder {
        var tree = try KerasWeightLayout.tree(for: model.layers.map { ($0, $0.typeName) })
        if !optimizerVariables.isEmpty { try KerasWeightLayout.addOptimizerVariables(optimizerVariables, to: &tree) }
        return tree
    }

    /// Saves the weights of `model` as a Keras 3 `.weights.h5` file at a file URL.
    ///
    /// - Throws: ``FileFormatError`` when the URL is not a file URL or the file cannot be written.
    public static func saveWeights(of model: any Model<Float>, optimizerVariables: [Tensor<Double>] = [], to url: URL) throws {
        try saveWeights(of: model, optimizerVariables: optimizerVariables, to: try url.filePath())
    }
}
