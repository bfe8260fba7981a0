import Foundation
@testable import KerasFiles
import Testing

@testable import SwiftGRU

/// The layers real GRU models put between GRUs (LeakyReLU, BatchNormalization, ReLU),
/// against Keras 3 (`Scripts/fixtures/make-layer-fixtures.py`).
@Suite("Layers around a GRU")
struct LayersAroundGRUTests {
    @Test(arguments: ["activations_between_grus.keras", "activations_between_grus.swift.keras"])
    func predictsLikeKeras(file: String) throws {
        let model = try KerasModelFile(bytes: ModelFixtures.bytes("layers/" + file)).model
        #expect(model.layers.contains { $0 is BatchNormalization<Float> } && model.layers.contains { $0 is LeakyReLU<Float> })
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/activations_between_grus.input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/activations_between_grus.expected.npy")).tensor()
        #expect(try model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
    }

    /// The other recurrent layers: LSTMs on padded tokens (LSTM, Bidirectional(LSTM), one
    /// going backwards, RNN(LSTMCell)); SimpleRNNs on masked sequences (relu, backwards, an RNN
    /// over a stack of a SimpleRNNCell and an LSTMCell).
    @Test(arguments: ["lstm_masked_bidirectional", "simple_rnn_stack"], [".keras", ".swift.keras"])
    func otherRecurrentLayersPredictLikeKeras(name: String, suffix: String) throws {
        let model = try KerasModelFile(bytes: ModelFixtures.bytes("layers/" + name + suffix)).model
        #expect(model.layers.contains { $0 is LSTM<Float> || $0 is SimpleRNN<Float> })
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/\(name).input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/\(name).expected.npy")).tensor()
        #expect(try model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
    }

    /// Convolutions and poolings (a CRNN over frames, forecasters, separable, depthwise and
    /// grouped, channels-first), shape layers, normalizations and activations, the
    /// regularization layers, merges with masks and every attention layer, each model saved by
    /// Keras 3 and its conversion by `gru convert`.
    @Test(
        arguments: [
            "crnn", "conv1d_forecaster", "conv1d_variants", "channels_first", "image_to_sequence", "normalizations_and_noise",
            "masked_merges", "attention_layers", "masked_attention", "preprocessing_layers", "operations_on_sequences", "shape_operations", "joins_and_choices",
            "conv_lstm_frames", "conv_lstm_1d_states", "volumes", "nested_models", "padded_frames", "deconvolutions", "group_normalization",
            "activity_convlstm", "video_autoencoder", "spatial_dropout_frames",
        ], [".keras", ".swift.keras"])
    func modelsAroundAGRUPredictLikeKeras(name: String, suffix: String) throws {
        let model = try KerasModelFile(bytes: ModelFixtures.bytes("layers/" + name + suffix)).model
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/\(name).input.npy")).tensor()
        let expected: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/\(name).expected.npy")).tensor()
        let error = try model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected)
        #expect(error <= 1e-5, "\(name)\(suffix): error \(error)")
    }

    /// Layers with 16-bit policies (mixed_float16, float16 weights, mixed_bfloat16) load with a
    /// note and compute in float32: as the same weights in float32 Keras, and within 16-bit
    /// precision of Keras' own 16-bit prediction.
    @Test func sixteenBitPoliciesComputeInFloat32() throws {
        let file = try KerasModelFile(bytes: ModelFixtures.bytes("layers/policies.keras"))
        #expect(file.notes.contains { $0.contains("(mixed_float16)") && $0.contains("(float16)") && $0.contains("(mixed_bfloat16)") })
        let x: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/policies.input.npy")).tensor()
        let keras16: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/policies.expected.npy")).tensor()
        let keras32: Tensor<Float> = try NumPyArray(npy: ModelFixtures.bytes("layers/policies.expected_float32.npy")).tensor()
        let predicted = try file.model.predict([x], batchSize: nil)[0]
        #expect(try predicted.maxAbsoluteDifference(to: keras32) <= 1e-5)
        let sixteen = try predicted.maxAbsoluteDifference(to: keras16)
        #expect(sixteen > 1e-5 && sixteen <= 0.05, "16-bit Keras differs by \(sixteen)")
    }

    /// LSTM and SimpleRNN regularizers and constraints are read from files, applied in training
    /// (nothing refused) and written back; an LSTM with dropout trains.
    @Test func lstmTrainingSettingsAreKept() throws {
        let model = try Sequential<Float>(inputShape: [4, 2], layers: [LSTM<Float>(cell: LSTMCell(units: 3, dropout: 0.2)), Dense<Float>(units: 1)])
        let x = Tensor<Float>(repeating: 0.5, shape: [2, 4, 2]), y = Tensor<Float>(zeros: [2, 1])
        let history = try Trainer(model: model, optimizer: .sgd(), loss: .meanSquaredError).fit(x: [x], y: [y], batchSize: 2, epochs: 1)
        #expect(history["loss"]?.count == 1)
        #expect(throws: LayerError.self) { try LSTM<Float>(units: 0) }
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 2]}}, {"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}, "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.02}}}}, {"class_name": "SimpleRNN", "config": {"name": "rnn", "units": 2, "recurrent_constraint": {"class_name": "NonNeg", "config": {}}}}]}}"#
        let decoder = KerasConfigDecoder(legacy: false)
        let read = try KerasModelBuilder(decoder: decoder).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect(decoder.notes.trainingRefusals.isEmpty)
        let lstm = try #require(read.layers.first as? LSTM<Float>), rnn = try #require(read.layers.last as? SimpleRNN<Float>)
        #expect(lstm.weightRegularizers.first == .l2(0.01) && lstm.activityRegularizer == .l1(0.02))
        #expect(rnn.weightConstraints == [nil, .nonNeg, nil])
        let written = try KerasConfigEncoder.layer(lstm, inputShape: nil)
        #expect(written["config"]?["kernel_regularizer"]?["class_name"]?.string == "L2")
        #expect(written["config"]?["activity_regularizer"]?["class_name"]?.string == "L1")
    }

    /// A GroupNormalization over several axes is refused by name, not read as the last axis.
    @Test func groupNormalizationOverSeveralAxesIsRefused() throws {
        let text = #"{"class_name": "GroupNormalization", "config": {"name": "gn", "groups": 2, "axis": [1, 2]}}"#
        #expect { try KerasConfigDecoder(legacy: false).layer(JSONValue(parsing: Array(text.utf8), what: "test")) } throws: {
            "\($0)".contains("GroupNormalization over the axes")
        }
    }

        /// Keras 2 wrote LeakyReLU's slope as `alpha`.
    @Test func keras2LeakyReLU() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 2]}}, {"class_name": "LeakyReLU", "config": {"name": "leaky", "alpha": 0.1}}, {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [2], "epsilon": 0.001}}]}}"#
        let model = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: true)).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect((model.layers[0] as? LeakyReLU<Float>)?.negativeSlope == 0.1)
        #expect((model.layers[1] as? BatchNormalization<Float>)?.axis == 2)
    }

    @Test func reluBackwardIsTheSlope() throws {
        let relu = try ReLU<Float>(maxValue: 1, negativeSlope: 0.1, threshold: 0.5)
        let x = try Tensor<Float>(shape: [1, 4], scalars: [-1, 0.7, 2, 0.2])
        let y = try relu.forward(x, mask: nil, training: false).output
        #expect(try y.maxAbsoluteDifference(to: Tensor(shape: [1, 4], scalars: [-0.15, 0.7, 1, -0.03])) <= 1e-6)
        _ = try relu.forwardRecording(x, mask: nil, initialState: [], training: true)
        let g = try relu.backward([Tensor(repeating: 2, shape: [1, 4])])
        #expect(g.input?.scalars == [0.2, 2, 0, 0.2])
    }

    @Test func badArgumentsAndTrainingAreClearErrors() throws {
        #expect(throws: LayerError.self) { try ReLU<Float>(threshold: -1) }
        #expect(throws: LayerError.self) { try LeakyReLU<Float>(negativeSlope: -0.2) }
        let norm = try BatchNormalization<Float>(axis: 1)
        #expect(throws: LayerError.self) { try norm.build(inputShape: [nil, 4, 3]) }
        // Backpropagating a call made in inference mode is refused by name.
        let trained = try BatchNormalization<Float>()
        let x = Tensor<Float>(repeating: 1, shape: [2, 3])
        #expect(try trained.forwardRecording(x, mask: nil, initialState: [], training: false).output.shape == [2, 3])
        #expect(throws: LayerError.self) { try trained.backward([x]) }
    }

    /// A first layer may declare its input as `input_shape` (without the batch axis).
    @Test func inputShapeWithoutTheBatch() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "GRU", "config": {"name": "g", "units": 2, "input_shape": [5, 3]}}]}}"#
        let model = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: true)).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect(model.inputShapes == [[nil, 5, 3]])
    }

    /// Keras 2.0 wrote an Embedding's index type as its dtype; that is no reason to refuse it.
    @Test func keras2EmbeddingWithAnIntegerDType() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Embedding", "config": {"name": "e", "input_dim": 10, "output_dim": 3, "dtype": "int32", "batch_input_shape": [null, 5]}}, {"class_name": "GRU", "config": {"name": "g", "units": 2, "reset_after": true}}]}}"#
        let model = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: true)).model(JSONValue(parsing: Array(text.utf8), what: "test")).model
        #expect(model.layers.first is Embedding<Float>)
        let dense = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "int32", "batch_input_shape": [null, 5]}}]}}"#
        #expect(throws: FileFormatError.self) {
            _ = try KerasModelBuilder(decoder: KerasConfigDecoder(legacy: true)).model(JSONValue(parsing: Array(dense.utf8), what: "test"))
        }
    }
}

/// The layers around a GRU refuse bad arguments and inputs with errors naming the layer.
@Suite("Layers around a GRU: bad arguments")
struct LayersAroundGRUErrorTests {
    @Test func badArgumentsAreClearErrors() throws {
        #expect(throws: LayerError.self) { try Conv1D<Float>(filters: 0, kernelSize: 3) }
        #expect(throws: LayerError.self) { try Conv1D<Float>(filters: 4, kernelSize: 3, strides: 2, dilationRate: 2) }
        #expect(throws: LayerError.self) { try Conv1D<Float>(filters: 4, kernelSize: 3, groups: 3) }
        #expect(throws: LayerError.self) { try Conv2D<Float>(filters: 4, kernelSize: [3], padding: .same) }
        #expect(throws: LayerError.self) { try Conv2D<Float>(filters: 4, kernelSize: [3, 3], padding: .causal) }
        #expect(throws: LayerError.self) { try MaxPooling1D<Float>(poolSize: 0) }
        #expect(throws: LayerError.self) { try Reshape<Float>(targetShape: [-1, -1]) }
        #expect(throws: LayerError.self) { try Permute<Float>(dims: [1, 3]) }
        #expect(throws: LayerError.self) { try RepeatVector<Float>(n: 0) }
        #expect(throws: LayerError.self) { try Cropping1D<Float>(cropping: (-1, 0)) }
        #expect(throws: LayerError.self) { try LayerNormalization<Float>(epsilon: -1) }
        #expect(throws: LayerError.self) { try MultiHeadAttention<Float>(numHeads: 0, keyDim: 2) }
        #expect(throws: LayerError.self) { try Dot<Float>(axes: [1, 2, 3]) }
        #expect(throws: LayerError.self) { try GaussianDropout<Float>(rate: 1) }
    }

    @Test func badInputsAreClearErrors() throws {
        let sequence = Tensor<Float>(repeating: 1, shape: [2, 5, 3])
        // A window longer than the input leaves no output.
        #expect(throws: LayerError.self) { try Conv1D<Float>(filters: 2, kernelSize: 6).forward(sequence, mask: nil, training: false) }
        #expect(throws: LayerError.self) { try Conv2D<Float>(filters: 2, kernelSize: [2, 2]).forward(sequence, mask: nil, training: false) }
        #expect(throws: LayerError.self) { try Cropping1D<Float>(cropping: (3, 2)).forward(sequence, mask: nil, training: false) }
        #expect(throws: LayerError.self) { try Reshape<Float>(targetShape: [4, -1]).forward(sequence, mask: nil, training: false) }
        #expect(throws: LayerError.self) { try Subtract<Float>().forward([sequence], masks: [nil], training: false) }
        #expect(throws: LayerError.self) {
            try Attention<Float>().forward([sequence, Tensor(repeating: 1, shape: [2, 4, 2])], masks: [nil, nil], training: false)
        }
        #expect(throws: LayerError.self) {
            try MultiHeadAttention<Float>(numHeads: 2, keyDim: 2).forward([sequence, sequence], masks: [nil, Tensor(repeating: true, shape: [2, 4])], training: false)
        }
    }
}
