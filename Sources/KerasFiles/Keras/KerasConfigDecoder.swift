import SwiftGRU

/// Turns Keras layer configurations (the objects of `config.json` or of a legacy
/// `model_config`) into Swift layers.
struct KerasConfigDecoder {
    /// tf.keras 2 semantics: `hard_sigmoid` is `clip(0.2x + 0.5)`.
    let legacy: Bool
    /// What was read but runs differently here, for the user to be told.
    let notes = KerasLoadNotes()

    init(legacy: Bool) { self.legacy = legacy }

    func fail(_ message: String, underlying: (any Error & Sendable)? = nil) -> FileFormatError {
        FileFormatError(message, underlying: underlying)
    }

    // MARK: Functions and weight settings

    func activation(_ value: JSONValue?, layer: String) throws -> Activation? {
        guard let value, !value.isNull else { return nil }
        let name: String?
        if let text = value.string {
            name = text
        } else if let inner = value["config"]?.string {
            name = inner
        } else if let inner = value["config"]?["name"]?.string {
            name = inner
        } else {
            name = value["class_name"]?.string.map(Self.snakeCase)
        }
        guard let name else { throw fail("layer '\(layer)': cannot read its activation") }
        if legacy, name == "hard_sigmoid" { return .legacyHardSigmoid }
        do {
            return try Activation(named: name)
        } catch let error as LayerError {
            throw fail("layer '\(layer)': \(error.message)", underlying: error)
        }
    }

    func seed(_ config: JSONValue?) -> UInt64? {
        config?["seed"]?.int.map { UInt64(truncatingIfNeeded: $0) }
    }

    func seed(_ config: KerasConfig) -> UInt64? {
        config["seed"]?.int.map { UInt64(truncatingIfNeeded: $0) }
    }

    private func number(_ config: JSONValue?, _ key: String, _ fallback: Double) -> Double {
        config?[key]?.double ?? fallback
    }

    /// The initializer of a configuration. A loaded model's weights come from the file, so
    /// an initializer that cannot be read never blocks loading: the layer's default stands
    /// in for it, and a note says so.
    func initializer(_ value: JSONValue?, default fallback: Initializer, layer: String) throws -> Initializer {
        guard let value, !value.isNull else { return fallback }
        do {
            return try readInitializer(value, layer: layer)
        } catch let error as FileFormatError {
            notes.replacedInitializers.append(error.message)
            return fallback
        }
    }

    private func readInitializer(_ value: JSONValue, layer: String) throws -> Initializer {
        if let name = value.string {
            do { return try Initializer(named: name) } catch { throw fail("layer '\(layer)': unknown initializer '\(name)'") }
        }
        guard let className = value["class_name"]?.string else { throw fail("layer '\(layer)': cannot read an initializer") }
        let c = value["config"]
        // Keras 3.15's fan axes for kernels of other layouts; the fans here are Keras' defaults.
        for key in ["input_axes", "output_axes"] where c?[key].map({ !$0.isNull }) == true {
            throw fail("layer '\(layer)': initializer \(className) with \(key) is not supported")
        }
        switch className {
        case "Zeros": return .zeros
        case "Ones": return .ones
        case "Constant": return .constant(number(c, "value", 0))
        case "RandomNormal": return .randomNormal(mean: number(c, "mean", 0), stddev: number(c, "stddev", 0.05), seed: seed(c))
        case "RandomUniform": return .randomUniform(minval: number(c, "minval", -0.05), maxval: number(c, "maxval", 0.05), seed: seed(c))
        case "TruncatedNormal": return .truncatedNormal(mean: number(c, "mean", 0), stddev: number(c, "stddev", 0.05), seed: seed(c))
        case "GlorotUniform": return .glorotUniform(seed: seed(c))
        case "GlorotNormal": return .glorotNormal(seed: seed(c))
        case "HeUniform": return .heUniform(seed: seed(c))
        case "HeNormal": return .heNormal(seed: seed(c))
        case "LecunUniform": return .lecunUniform(seed: seed(c))
        case "LecunNormal": return .lecunNormal(seed: seed(c))
        // Keras 3.0 to 3.6 write the orthogonal initializer's class as OrthogonalInitializer.
        case "Orthogonal", "OrthogonalInitializer": return .orthogonal(gain: number(c, "gain", 1), seed: seed(c))
        case "Identity", "IdentityInitializer": return .identity(gain: number(c, "gain", 1))
        case "VarianceScaling":
            guard let mode = Initializer.FanMode(rawValue: c?["mode"]?.string ?? "fan_in"),
                  let distribution = Initializer.Distribution(rawValue: (c?["distribution"]?.string ?? "truncated_normal").replacingNormal)
            else { throw fail("layer '\(layer)': unsupported VarianceScaling settings") }
            return .varianceScaling(scale: number(c, "scale", 1), mode: mode, distribution: distribution, seed: seed(c))
        default:
            throw fail("layer '\(layer)': unsupported initializer '\(className)'")
        }
    }

    /// A regularizer; one that cannot be read is left out of the model, and training it is
    /// refused by name (prediction does not use it).
    func regularizer(_ value: JSONValue?, layer: String) throws -> Regularizer? {
        guard let value, !value.isNull else { return nil }
        if let name = value.string {
            if let known = try? Regularizer(named: name) { return known }
            return dropTrainingSetting("layer '\(layer)': unknown regularizer '\(name)'")
        }
        let c = value["config"]
        switch value["class_name"]?.string {
        case "L1": return .l1(number(c, "l1", 0.01))
        case "L2": return .l2(number(c, "l2", 0.01))
        case "L1L2": return .l1l2(l1: number(c, "l1", 0), l2: number(c, "l2", 0))
        case let other:
            return dropTrainingSetting("layer '\(layer)': unsupported regularizer '\(other ?? "?")'")
        }
    }

    /// A constraint; one that cannot be read is left out of the model, and training it is
    /// refused by name (prediction does not use it).
    func constraint(_ value: JSONValue?, layer: String) throws -> Constraint? {
        guard let value, !value.isNull else { return nil }
        if let name = value.string {
            if let known = try? Constraint(named: name) { return known }
            return dropTrainingSetting("layer '\(layer)': unknown constraint '\(name)'")
        }
        let c = value["config"]
        let axis: [Int]
        switch c?["axis"] {
        case nil, .null?: axis = [0]
        case let value?:
            if let single = value.int {
                axis = [single]
            } else if let list = value.array?.compactMap(\.int), list.count == value.array?.count, !list.isEmpty {
                axis = list
            } else {
                throw fail("layer '\(layer)': a constraint's axis must be an integer or a list of them, got \(value)")
            }
        }
        switch value["class_name"]?.string {
        case "MaxNorm": return .maxNorm(maxValue: number(c, "max_value", 2), axis: axis)
        case "NonNeg": return .nonNeg
        case "UnitNorm": return .unitNorm(axis: axis)
        case "MinMaxNorm":
            return .minMaxNorm(minValue: number(c, "min_value", 0), maxValue: number(c, "max_value", 1), rate: number(c, "rate", 1), axis: axis)
        case let other:
            return dropTrainingSetting("layer '\(layer)': unsupported constraint '\(other ?? "?")'")
        }
    }

    private func dropTrainingSetting<T>(_ message: String) -> T? {
        notes.droppedTrainingSettings.append(message)
        notes.trainingRefusals.append("\(message): training without it would not be Keras' training")
        return nil
    }

    func checkDType(_ config: JSONValue, layer: String, className: String) throws {
        let dtype = config["dtype"]?.string ?? config["dtype"]?["config"]?["name"]?.string ?? "float32"
        // Keras 2.0 wrote an Embedding's input type (its indices) as the layer's dtype.
        if className == "Embedding", dtype.hasPrefix("int") || dtype.hasPrefix("uint") { return }
        switch dtype {
        case "float32": break
        case "float64": notes.float64Layers.append(layer)
        case "float16", "bfloat16", "mixed_float16", "mixed_bfloat16": notes.halfPrecisionLayers.append("'\(layer)' (\(dtype))")
        default:
            throw fail("layer '\(layer)': dtype policy '\(dtype)' is not supported (float32, float64, float16, bfloat16 and the mixed policies are)")
        }
    }

    // MARK: Layers

    /// The layer described by a `{"class_name", "config"}` object.
    func layer(_ object: JSONValue) throws -> any Layer<Float> {
        guard let className = object["class_name"]?.string, let config = object["config"] else {
            throw fail("a layer entry lacks class_name or config")
        }
        let name = config["name"]?.string ?? Self.snakeCase(className)
        try checkDType(config, layer: name, className: className)
        do {
            let declaration = try self.declaration(className, name: name, object: object)
            let read = KerasConfig(config)
            if let quantization = read["quantization_config"], !quantization.isNull {
                throw fail("layer '\(name)' (\(className)) is quantized (quantization_config \(quantization)), which is not supported")
            }
            let layer = try declaration.decode(read, name, self)
            try checkEveryKeyRead(read, layer: name, className: className, inertKeys: declaration.inertKeys)
            if config["trainable"]?.bool == false { layer.trainable = false }
            return layer
        } catch let error as LayerError {
            throw fail("layer '\(name)' (\(className)): \(error.message)", underlying: error)
        }
    }

    /// The keys every layer configuration may hold that the decoder reads itself or that do not
    /// change what the layer computes: the name, `trainable`, the dtype policy (checked by
    /// ``checkDType(_:layer:className:)``), and the input declarations the model builder reads.
    static let commonKeys: Set<String> = ["name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape", "batch_size"]

    /// Refuses, by layer and key, a configuration key that the layer's declaration did not read and
    /// that is neither common to all layers nor declared inert by the declaration: a setting the
    /// layer would otherwise run without.
    func checkEveryKeyRead(_ config: KerasConfig, layer: String, className: String, inertKeys: Set<String>) throws {
        for (key, value) in config.unread where !Self.commonKeys.contains(key) && !inertKeys.contains(key) {
            throw fail("layer '\(layer)' (\(className)): the configuration key '\(key)' (\(value)) is not supported; the layer cannot run as Keras runs it")
        }
    }

    private func declaration(_ className: String, name: String, object: JSONValue) throws -> LayerDeclaration {
        guard let declaration = LayerDeclarations.byClassName[className] else {
            if ["TextVectorization", "StringLookup", "IntegerLookup", "Hashing", "CategoryEncoding"].contains(className) {
                throw fail("layer '\(name)' is a \(className) layer: it turns strings or categories into token ids in Python; run it on your data before gru (save the ids it gives as .npy) and use the model from the layer after it")
            }
            if className == "Lambda" || className == "TFOpLambda" || className == "SlicingOpLambda" {
                throw fail("layer '\(name)' is a \(className) layer: it holds a Python function, which cannot be read from a model file; rebuild the model with built-in layers in its place")
            }
            let registered = object["registered_name"]?.string ?? ""
            let module = object["module"]?.string ?? "keras.layers"
            if registered.contains(">") || !(module.hasPrefix("keras") || module.hasPrefix("tf_keras") || module.hasPrefix("tensorflow")) {
                throw fail("layer '\(name)' is of the custom class \(registered.isEmpty ? className : registered) (module \(module)): its Python code is not in the model file, so it cannot be read")
            }
            throw fail("unsupported layer '\(name)' of class \(className); supported: \(LayerDeclarations.readable)")
        }
        return declaration
    }

    /// Keras' `to_snake_case`: `TimeDistributed` becomes `time_distributed`, `GRU` becomes `gru`,
    /// `StackedRNNCells` becomes `stacked_rnn_cells`.
    static func snakeCase(_ name: String) -> String {
        let characters = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        // An upper-case letter that starts a capitalised word gets an underscore before it...
        var words = [Character]()
        for (i, ch) in characters.enumerated() {
            if i > 0, ch.isUppercase, i + 1 < characters.count, characters[i + 1].isLowercase { words.append("_") }
            words.append(ch)
        }
        // ...and so does an upper-case letter after a lower-case one.
        var out = ""
        for (i, ch) in words.enumerated() {
            if i > 0, ch.isUppercase, words[i - 1].isLowercase { out.append("_") }
            out.append(ch)
        }
        return out.lowercased()
    }
}

extension String {
    /// Keras 2 wrote `normal` for what Keras 3 calls `truncated_normal`.
    fileprivate var replacingNormal: String { self == "normal" ? "truncated_normal" : self }
}

/// What a load read but runs differently here.
final class KerasLoadNotes: @unchecked Sendable {
    /// Layers the file declares as float64 (models read from files compute in float32).
    var float64Layers = [String]()
    /// Initializers that could not be read, each replaced by the layer's default.
    var replacedInitializers = [String]()
    /// Why training this model would not be Keras' training (settings read but not applied).
    var trainingRefusals = [String]()
    /// Layers whose policy computes in 16 bits, as `'name' (policy)`.
    var halfPrecisionLayers = [String]()
    /// Regularizers and constraints that could not be read, left out (prediction does not use them).
    var droppedTrainingSettings = [String]()
    /// Layers read from CuDNNGRU and CuDNNLSTM configurations: their weights are in cuDNN's layout.
    var cuDNNLayers = [String]()

    var messages: [String] {
        var messages = replacedInitializers.map { "\($0); its default stands in (the weights come from the file)" }
        if !cuDNNLayers.isEmpty {
            messages.append("layers \(cuDNNLayers.map { "'\($0)'" }.joined(separator: ", ")) are CuDNNGRU/CuDNNLSTM layers; they run as GRU (reset_after) and LSTM, their weights converted from cuDNN's layout")
        }
        if !halfPrecisionLayers.isEmpty {
            messages.append("layers \(halfPrecisionLayers.joined(separator: ", ")) compute in 16 bits in Keras; here they compute in float32, so results differ from Keras' at 16-bit precision")
        }
        messages += droppedTrainingSettings.map { "\($0); it is left out (prediction does not use it; training would run without it)" }
        if !float64Layers.isEmpty {
            messages.append("layers \(float64Layers.map { "'\($0)'" }.joined(separator: ", ")) are float64 in the file; they run in float32 here")
        }
        return messages
    }
}
