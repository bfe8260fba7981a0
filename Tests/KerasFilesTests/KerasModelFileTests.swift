import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// Models saved by real Keras (Keras 3 `.keras` and `.weights.h5`, tf.keras 2 `.h5`)
/// load and predict what Keras predicted; Swift's own `.keras` files (which Keras
/// loaded back when the fixtures were made) read back the same.
@Suite("Keras model files")
struct KerasModelFileTests {
    static let tolerance: Float = 1e-5

    static func expectClose(_ actual: [Tensor<Float>], _ expected: [Tensor<Float>], _ what: String) throws {
        #expect(actual.count == expected.count, "\(what): output count")
        for (k, (a, e)) in zip(actual, expected).enumerated() {
            #expect(a.shape == e.shape, "\(what) output \(k): shape")
            if a.shape == e.shape {
                let error = try a.maxAbsoluteDifference(to: e)
                #expect(error <= tolerance, "\(what) output \(k): max abs error \(error)")
            }
        }
    }

    @Test func manifestIsPresent() {
        #expect(ModelFixtures.shared.models.count >= 12)
    }

    @Test(arguments: ModelFixtures.shared.models)
    func kerasFilePredictsLikeKeras(entry: ModelFixtures.Entry) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.keras))
        #expect(file.format == .keras && file.kerasVersion == "3.15.1")
        #expect(file.compileConfig?["optimizer"] != nil, "compile_config is kept")
        let outputs = try file.model.predict(ModelFixtures.inputs(entry), batchSize: entry.batch_size)
        try Self.expectClose(outputs, ModelFixtures.outputs(entry.expected, names: entry.output_names), entry.name)
    }

    @Test(arguments: ModelFixtures.shared.models)
    func legacyH5PredictsLikeTfKeras(entry: ModelFixtures.Entry) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.legacy))
        #expect(file.format == .legacyHDF5)
        let outputs = try file.model.predict(ModelFixtures.inputs(entry), batchSize: entry.batch_size)
        try Self.expectClose(outputs, ModelFixtures.outputs(entry.legacy_expected, names: entry.output_names), entry.name + " (legacy)")
    }

    @Test(arguments: ModelFixtures.shared.models)
    func swiftWrittenFileReadsBack(entry: ModelFixtures.Entry) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.swift_keras))
        let outputs = try file.model.predict(ModelFixtures.inputs(entry), batchSize: entry.batch_size)
        try Self.expectClose(outputs, ModelFixtures.outputs(entry.expected, names: entry.output_names), entry.name + " (Swift-written)")
    }

    @Test(arguments: ModelFixtures.shared.models)
    func saveLoadSaveIsLossless(entry: ModelFixtures.Entry) throws {
        let original = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.keras))
        let first = try KerasModelFile.kerasBytes(for: original.model, compileConfig: original.compileConfig)
        let reloaded = try KerasModelFile(bytes: first)
        #expect(reloaded.model.layers.map { $0.weights } == original.model.layers.map { $0.weights })
        #expect(reloaded.model.layers.map { $0.name } == original.model.layers.map { $0.name })
        #expect(reloaded.compileConfig == original.compileConfig)
        let second = try KerasModelFile.kerasBytes(for: reloaded.model, compileConfig: reloaded.compileConfig)
        #expect(first == second, "a second save writes the same bytes")
    }

    /// `.weights.h5` alone, loaded into models built in Swift.
    @Test func weightsFileLoadsIntoSwiftModels() throws {
        let entries = Dictionary(uniqueKeysWithValues: ModelFixtures.shared.models.map { ($0.name, $0) })
        let stacked = try #require(entries["seq_stacked"])
        let model = try Sequential<Float>(inputShape: [5, 3], layers: [
            GRU<Float>(units: 6, returnSequences: true), GRU<Float>(units: 4, resetAfter: false), Dense<Float>(units: 3, activation: .softmax),
        ])
        try KerasModelFile.loadWeights(from: ModelFixtures.path("models/" + stacked.weights), into: model)
        try Self.expectClose(
            model.predict(ModelFixtures.inputs(stacked), batchSize: 4),
            ModelFixtures.outputs(stacked.expected, names: stacked.output_names), "seq_stacked weights")

        let head = try #require(entries["fn_state_head"])
        let gru = try GRU<Float>(units: 4, returnSequences: true, returnState: true, name: "encoder")
        let functional = try Functional<Float>(
            inputs: [.init(name: "sequence", shape: [nil, 5, 3])],
            nodes: [
                .init(gru, input: .input(0)),
                .init(Dense<Float>(units: 2, name: "head"), input: .output(node: 0, index: 1)),
                .init(TimeDistributed(Dense<Float>(units: 1), name: "per_step"), input: .output(node: 0, index: 0)),
            ],
            outputs: [.output(node: 1, index: 0), .output(node: 2, index: 0)])
        try KerasModelFile.loadWeights(from: ModelFixtures.path("models/" + head.weights), into: functional)
        try Self.expectClose(
            functional.predict(ModelFixtures.inputs(head), batchSize: 4),
            ModelFixtures.outputs(head.expected, names: head.output_names), "fn_state_head weights")

        // Swift writes a .weights.h5 that loads back into a fresh model.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swift-gru-\(UUID()).weights.h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try KerasModelFile.saveWeights(of: model, to: path)
        let fresh = try Sequential<Float>(inputShape: [5, 3], layers: [
            GRU<Float>(units: 6, returnSequences: true), GRU<Float>(units: 4, resetAfter: false), Dense<Float>(units: 3, activation: .softmax),
        ])
        try KerasModelFile.loadWeights(from: path, into: fresh)
        #expect(fresh.weights == model.weights)
    }

    @Test func statefulModelKeepsStateAcrossBatches() throws {
        let entry = try #require(ModelFixtures.shared.models.first { $0.name == "seq_stateful" })
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.keras))
        let inputs = try ModelFixtures.inputs(entry)
        #expect(file.model.isStateful && file.model.inputShapes.first?.first == 2)
        let expected = try ModelFixtures.outputs(entry.expected, names: entry.output_names)
        try Self.expectClose(file.model.predict(inputs, batchSize: nil), expected, "stateful")
        // A second pass continues from the stored state; after a reset it repeats the first.
        #expect(try file.model.predict(inputs, batchSize: nil) != expected)
        file.model.resetStates()
        try Self.expectClose(file.model.predict(inputs, batchSize: nil), expected, "stateful after reset")
        #expect(throws: LayerError.self) { try file.model.predict(inputs, batchSize: 3) }
    }

    @Test func summaryListsLayersAndParameters() throws {
        let entry = try #require(ModelFixtures.shared.models.first { $0.name == "seq_stacked" })
        let summary = try KerasModelFile(contentsOf: ModelFixtures.path("models/" + entry.keras)).model.summary()
        // GRU(6) on 3 features: 3 * 6 * (3 + 6) + 2 * 18 = 198; GRU(4, reset_after false) on 6: 3*4*(6+4) + 12 = 132; Dense: 15.
        #expect(summary.contains(" (GRU)") && summary.contains("(None, 5, 6)") && summary.contains("198"))
        #expect(summary.contains("132") && summary.contains("(None, 3)"))
        #expect(summary.contains("Total params: 345"))
    }

    /// A functional model's summary lists its inputs and what each layer is connected to, as
    /// Keras prints it (`layer[call][output]`, initial states included).
    @Test func functionalSummaryHasConnections() throws {
        let summary = try KerasModelFile(contentsOf: ModelFixtures.path("models/fn_encoder_decoder.keras")).model.summary()
        let lines = summary.split(separator: "\n").map(String.init)
        #expect(lines[2].hasSuffix("┃ Connected to  ┃"))
        #expect(lines.contains("│ source (InputLayer)   │ (None, 5, 3)           │       0 │ -             │"))
        #expect(lines.contains("│ decoder (GRU)         │ (None, 4, 6)           │     180 │ target[0][0], │"))
        #expect(lines.contains("│                       │                        │         │ encoder[0][1] │"))
        #expect(summary.contains("Total params: 399"))
    }

    /// A layer outside the supported set is named with its class; a Lambda or a custom class
    /// is named with the reason it cannot be read (its Python code is not in the file).
    @Test(arguments: [
        (#"{"class_name": "DepthwiseConv2D", "config": {"name": "conv", "kernel_size": 3}}"#, "unsupported layer 'conv' of class DepthwiseConv2D"),
        (#"{"class_name": "Lambda", "config": {"name": "square", "function": "..."}}"#, "layer 'square' is a Lambda layer: it holds a Python function"),
        (#"{"module": "mymodels", "class_name": "Gate", "registered_name": "Custom>Gate", "config": {"name": "gate"}}"#, "layer 'gate' is of the custom class Custom>Gate"),
    ])
    func unsupportedLayerIsNamed(layer: String, message: String) throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, "# + layer + "]}}"
        let config = try JSONValue(parsing: Array(text.utf8), what: "test")
        let error = #expect(throws: FileFormatError.self) {
            _ = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: false)).model(config)
        }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    /// A layer that refuses its configuration is reported in the file's terms, and the
    /// layer's own error, with its kind, comes along.
    @Test func layerErrorsKeepTheirKind() throws {
        let config = try JSONValue(parsing: Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "GRU", "config": {"name": "gru", "units": 0}}]}}"#.utf8), what: "test")
        let error = #expect(throws: FileFormatError.self) {
            _ = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: false)).model(config)
        }
        #expect(error?.message.contains("gru") == true)
        #expect((error?.underlying as? LayerError)?.kind == .invalidArgument)
    }

    /// A model type of one's own is saved as Keras' functional model of its graph.
    @Test func aCustomModelIsSavedAsFunctional() throws {
        final class Chain: Model {
            let gru: GRU<Float>, head: Dense<Float>
            var name = "chain"
            init() throws {
                gru = try GRU<Float>(units: 3, biasInitializer: .randomNormal(seed: 1), name: "gru")
                head = try Dense<Float>(units: 2, name: "head")
                try gru.build(inputShape: [nil, 5, 2])
                try head.build(inputShape: [nil, 3])
            }
            var layers: [any Layer<Float>] { [gru, head] }
            var inputShapes: [[Int?]] { [[nil, 5, 2]] }
            var outputNames: [String] { ["head"] }
            func predictOnBatch(_ inputs: [Tensor<Float>], training: Bool) throws -> [Tensor<Float>] {
                [try head.forward(try gru.forward(inputs[0], mask: nil, training: training).output, mask: nil, training: training).output]
            }
            func resetStates() {}
            var graph: ModelGraph<Float> {
                ModelGraph(
                    inputs: [.init(name: "x", shape: [nil, 5, 2])],
                    nodes: [.init(gru, input: .input(0)), .init(head, input: .output(node: 0, index: 0))],
                    outputs: [.output(node: 1, index: 0)], nodeShapes: [[[nil, 3]], [[nil, 2]]])
            }
        }
        let model = try Chain()
        let loaded = try KerasModelFile(bytes: KerasModelFile.kerasBytes(for: model)).model
        #expect(loaded is Functional<Float>)
        let x: Tensor<Float> = try Initializer.randomNormal(seed: 4).makeTensor(shape: [3, 5, 2])
        let expected = try model.predictOnBatch([x], training: false)[0]
        #expect(try loaded.predictOnBatch([x], training: false)[0].maxAbsoluteDifference(to: expected) <= 1e-6)
    }

    /// A float64 model loads (it runs in float32) and says so instead of staying silent.
    @Test func float64LayersAreNoted() throws {
        let config = try JSONValue(parsing: Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "GRU", "config": {"name": "gru", "units": 3, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}}}}]}}"#.utf8), what: "test")
        let decoder = KerasConfigDecoder(legacy: false)
        _ = try KerasModelBuilder(decoder: decoder).model(config)
        #expect(decoder.notes.messages == ["layers 'gru' are float64 in the file; they run in float32 here"])
    }

    /// Initializers never block loading a model (its weights come from the file): Keras
    /// 3.0-3.6's OrthogonalInitializer is read, an unknown one is replaced and noted.
    @Test func initializersNeverBlockLoading() throws {
        func gru(_ recurrentInitializer: String) throws -> (GRU<Float>?, [String]) {
            let config = try JSONValue(parsing: Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "GRU", "config": {"name": "gru", "units": 3, "recurrent_initializer": \#(recurrentInitializer)}}]}}"#.utf8), what: "test")
            let decoder = KerasConfigDecoder(legacy: false)
            let model = try KerasModelBuilder(decoder: decoder).model(config).model
            return (model.layers.first as? GRU<Float>, decoder.notes.messages)
        }
        let (orthogonal, none) = try gru(#"{"module": "keras.initializers", "class_name": "OrthogonalInitializer", "config": {"gain": 2.0, "seed": 5}, "registered_name": null}"#)
        #expect(orthogonal?.gruCell.recurrentInitializer == .orthogonal(gain: 2, seed: 5))
        #expect(none.isEmpty)
        let (replaced, notes) = try gru(#"{"class_name": "MyCustomInit", "config": {}}"#)
        #expect(replaced?.gruCell.recurrentInitializer == .orthogonal())
        #expect(notes.count == 1 && notes[0].contains("MyCustomInit"))
    }

    /// Files written by Keras 3.0 and 3.5 (`OrthogonalInitializer`) and by tf.keras 2.12 to
    /// 2.15 (`.h5`, and `.keras` in each of their layouts: `_layer_checkpoint_dependencies`
    /// with gaps in the numbering, then `layers`), a stacked Sequential and a functional model
    /// with a masked Bidirectional GRU, ConvLSTM2Ds over frames written by Keras 3.0, 3.5, 3.15
    /// and tf-keras 2.21, and a Sequential frame encoder with BatchNormalization nested in
    /// TimeDistributed (Keras 3.15, tf-keras 2.21), predict as the Keras that wrote them
    /// (Scripts/fixtures/make-version-fixtures.py).
    @Test(arguments: [
        "keras-3.0.5-stacked.keras", "keras-3.0.5-functional.keras", "keras-3.5.0-stacked.keras", "keras-3.5.0-functional.keras",
        "tf-keras-2.12.0-stacked.keras", "tf-keras-2.12.0-functional.keras", "tf-keras-2.12.0-stacked.h5", "tf-keras-2.12.0-functional.h5",
        "tf-keras-2.13.1-stacked.keras", "tf-keras-2.13.1-functional.keras", "tf-keras-2.13.1-stacked.h5", "tf-keras-2.13.1-functional.h5",
        "tf-keras-2.14.0-stacked.keras", "tf-keras-2.14.0-functional.keras", "tf-keras-2.14.0-stacked.h5", "tf-keras-2.14.0-functional.h5",
        "tf-keras-2.15.0-stacked.keras", "tf-keras-2.15.0-functional.keras", "tf-keras-2.15.0-stacked.h5", "tf-keras-2.15.0-functional.h5",
        "keras-3.0.5-convlstm.keras", "keras-3.5.0-convlstm.keras", "keras-3.15.1-convlstm.keras", "tf-keras-2.21.0-convlstm.keras",
        "tf-keras-2.21.0-convlstm.h5", "keras-3.15.1-nested.keras", "tf-keras-2.21.0-nested.keras", "tf-keras-2.21.0-nested.h5",
    ])
    func filesOfEveryKerasVersionPredictLikeKeras(file: String) throws {
        let name = "versions/" + file.replacingOccurrences(of: ".keras", with: "").replacingOccurrences(of: ".h5", with: "")
        let model = try KerasModelFile(bytes: ModelFixtures.bytes("versions/" + file))
        let version = file.split(separator: "-").first { $0.first?.isNumber == true }.map(String.init)
        #expect(model.kerasVersion == version)
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes(name + ".input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes(name + ".expected.npy")).tensor()
        #expect(try model.model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
    }

    /// A GRU config without reset_after comes from Keras before that argument existed: the
    /// reset-before GRU. A CuDNNGRU is the GRU with reset_after, tanh and sigmoid.
    @Test func oldGRUConfigurations() throws {
        func model(_ layer: String) throws -> any Model<Float> {
            let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, "# + layer + "]}}"
            return try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: true)).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        }
        let old = try model(#"{"class_name": "GRU", "config": {"name": "gru", "units": 3}}"#)
        #expect((old.layers.first as? GRU<Float>)?.resetAfter == false)
        let fast = try #require(try model(#"{"class_name": "CuDNNGRU", "config": {"name": "fast", "units": 3}}"#).layers.first as? GRU<Float>)
        #expect(fast.resetAfter && fast.gruCell.activation == .tanh && fast.gruCell.recurrentActivation == .sigmoid)
    }

    /// Regularizers and constraints only training reads: one that cannot be read is left
    /// out with a note, never a reason to refuse the model.
    @Test func unreadableTrainingSettingsAreNotes() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": {"class_name": "OrthogonalRegularizer", "config": {"factor": 0.01}}, "bias_constraint": {"class_name": "MyConstraint", "config": {}}, "kernel_constraint": "no_such_constraint"}}]}}"#
        let decoder = KerasConfigDecoder(legacy: false)
        let model = try KerasModelBuilder(decoder: decoder).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect((model.layers.first as? Dense<Float>)?.kernelRegularizer == nil)
        let notes = decoder.notes.messages
        #expect(notes.count == 3 && notes.allSatisfy { $0.contains("layer 'd'") && $0.contains("left out") })
    }

    /// A layer saved with trainable = FALSE is read frozen, and written back so.
    @Test func frozenLayersStayFrozen() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "GRU", "config": {"name": "frozen_gru", "units": 3, "trainable": false}}, {"class_name": "Dense", "config": {"name": "head", "units": 1, "trainable": true}}]}}"#
        let decoder = KerasConfigDecoder(legacy: false)
        let model = try KerasModelBuilder(decoder: decoder).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect(model.layers.map { $0.trainable } == [false, true])
        let written = try KerasConfigEncoder.layer(model.layers[0], inputShape: nil)
        #expect(written["config"]?["trainable"]?.bool == false)
    }

    /// A Keras 2.2 file with CuDNNGRU and CuDNNLSTM layers (weights in cuDNN's layout, made by
    /// `Scripts/fixtures/make-cudnn-fixtures.py` and read back by tf-keras' own conversion) predicts
    /// as the GRU/LSTM model it came from, and is written back with GRU and LSTM classes.
    @Test func cuDNNLayersAreConverted() throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("cudnn/cudnn_stack.h5"))
        #expect(file.notes.contains { $0.contains("'cu_dnngru_1', 'cu_dnnlstm_1', 'cu_dnngru_2'") })
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("cudnn/cudnn_stack.input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("cudnn/cudnn_stack.expected.npy")).tensor()
        #expect(try file.model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
        let written = try KerasModelFile(bytes: KerasModelFile.kerasBytes(for: file.model))
        #expect(try written.model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
        #expect(written.model.layers.map(\.typeName) == ["GRU", "LSTM", "GRU", "Dense"])
    }
}

/// A mask given to a layer in a functional model is the one its inputs carry when a mask starts
/// upstream (an Embedding with mask_zero: Keras writes its computation as an operation); one
/// computed from data that carries no mask would be dropped, so the model is refused by name.
@Suite("Masks given to layers")
struct GivenMaskTests {
    @Test func aPropagatedMaskLoadsAndAnExplicitOneIsRefused() throws {
        let implicit = String(decoding: try ModelFixtures.bytes("models/implicit_mask.json"), as: UTF8.self)
        let model = try KerasModelFile.model(fromJSON: implicit)
        let ids = try Tensor<Float>(shape: [2, 6], scalars: [3, 1, 4, 0, 0, 0, 2, 7, 1, 8, 2, 0])
        #expect(try model.predict([ids], batchSize: nil)[0].shape == [2, 2])
        let explicit = String(decoding: try ModelFixtures.bytes("models/explicit_mask.json"), as: UTF8.self)
        #expect { try KerasModelFile.model(fromJSON: explicit) } throws: { error in
            (error as? FileFormatError)?.message.contains("is given a mask computed in the model ('not_equal') while its inputs carry none") == true
        }
    }
}
