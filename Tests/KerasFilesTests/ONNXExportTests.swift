import Foundation
@testable import KerasFiles
import SwiftGRU
import Testing

/// ONNX export (Scripts/fixtures/make-onnx-fixtures.py checked each committed export in ONNX Runtime
/// against Keras within 1e-5): exporting the same `.keras` gives the same bytes, and the graph
/// holds the recurrent nodes, their variant and direction, and the weights in ONNX's layout.
@Suite("ONNX export")
struct ONNXExportTests {
    /// The nodes of an ONNX model: op type and string/int attributes; the initializers' raw floats.
    static func read(_ bytes: [UInt8]) throws -> (nodes: [(op: String, attributes: [String: ProtobufReader.Value])], initializers: [String: [Float]]) {
        let model = try ProtobufReader.fields(bytes)
        guard let graph = model.first(where: { $0.0 == 7 })?.1.data else { throw FileFormatError("no graph") }
        var nodes = [(op: String, attributes: [String: ProtobufReader.Value])](), initializers = [String: [Float]]()
        for (field, value) in try ProtobufReader.fields(graph) {
            guard field == 1 || field == 5, let data = value.data else { continue }
            let inner = try ProtobufReader.fields(data)
            if field == 1 {
                var attributes = [String: ProtobufReader.Value]()
                for (f, v) in inner where f == 5 {
                    let attribute = try ProtobufReader.fields(v.data ?? [])
                    guard let name = attribute.first(where: { $0.0 == 1 })?.1.string else { continue }
                    attributes[name] = attribute.first { [3, 4, 7].contains($0.0) }?.1
                }
                nodes.append((inner.first { $0.0 == 4 }?.1.string ?? "", attributes))
            } else if field == 5, let name = inner.first(where: { $0.0 == 8 })?.1.string, let raw = inner.first(where: { $0.0 == 9 })?.1.data {
                let values = stride(from: 0, to: raw.count - 3, by: 4).map { i in Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24) }
                initializers[name] = values
            }
        }
        return (nodes, initializers)
    }

    @Test(arguments: [
        "text_bidirectional", "series_variants", "masked_lstm_simple_rnn", "convolutional_pooling", "shapes_and_activations", "attention_layers",
        "images_dot_pooling", "masked_average_pooling", "bidirectional_hard_sigmoid", "crnn_time_distributed", "multiple_outputs",
        "causal_cross_attention",
    ])
    func exportIsStableAndHoldsTheLayers(name: String) throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("onnx/\(name).keras"))
        let exported = try ONNXExport.bytes(for: file.model)
        #expect(exported == (try ModelFixtures.bytes("onnx/\(name).onnx")))
        let (nodes, initializers) = try Self.read(exported)
        let x: Tensor<Float> = try ModelFixtures.array("onnx/\(name).x.npy").tensor()
        let keras: Tensor<Float> = try ModelFixtures.array("onnx/\(name).y.npy").tensor()
        #expect(try file.model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: keras) <= 1e-5)
        let recurrent = nodes.filter { ["GRU", "LSTM", "RNN"].contains($0.op) }
        switch name {
        case "text_bidirectional":
            #expect(recurrent.map(\.op) == ["GRU", "GRU"])
            #expect(recurrent.map { $0.attributes["direction"]?.string } == ["bidirectional", "forward"])
            #expect(recurrent.allSatisfy { $0.attributes["linear_before_reset"]?.int == 1 })
            #expect(nodes.contains { $0.op == "Gather" })  // the Embedding
        case "series_variants":
            #expect(recurrent.map { $0.attributes["direction"]?.string } == ["reverse", "forward"])
            #expect(recurrent.map { $0.attributes["linear_before_reset"]?.int } == [0, 1])
            // The first GRU's W is its kernel transposed: gates z, r, h as Keras keeps them.
            let gru = try #require(file.model.layers.first as? GRU<Float>)
            let expected = try gru.weights[0].transposed([1, 0]).scalars
            #expect(initializers.contains { $0.key.hasPrefix("/W_") && $0.value == expected })
        case "images_dot_pooling":
            for op in ["Conv", "MaxPool", "AveragePool", "ReduceMean", "ReduceMax", "Sqrt", "MatMul", "GRU"] { #expect(nodes.contains { $0.op == op }, "\(op)") }
        case "masked_average_pooling":
            #expect(nodes.contains { $0.op == "Div" } && recurrent.count == 1)
        case "attention_layers":
            #expect(nodes.filter { $0.op == "Softmax" }.count == 5 && nodes.contains { $0.op == "Tanh" } && recurrent.count == 3)
        case "shapes_and_activations":
            for op in ["Pad", "MaxPool", "AveragePool", "Tile", "Slice", "Elu", "PRelu", "Softmax", "GRU"] { #expect(nodes.contains { $0.op == op }, "\(op)") }
        case "bidirectional_hard_sigmoid":
            // ONNX Runtime reads one alpha and beta per activation that takes them, in order.
            func floats(_ value: ProtobufReader.Value?) -> [Float] {
                let raw = value?.data ?? []
                return stride(from: 0, to: raw.count - 3, by: 4).map { i in
                    Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
                }
            }
            let bidirectional = try #require(recurrent.first)
            #expect(floats(bidirectional.attributes["activation_alpha"]) == [1.0 / 6, 1.0 / 6])
            #expect(floats(bidirectional.attributes["activation_beta"]) == [0.5, 0.5])
            #expect(recurrent.map { $0.attributes["linear_before_reset"]?.int } == [0, 1])
        case "crnn_time_distributed":
            #expect(nodes.contains { $0.op == "Conv" } && nodes.filter { $0.op == "Reshape" }.count >= 6 && recurrent.count == 1)
        case "multiple_outputs", "causal_cross_attention":
            #expect(!recurrent.isEmpty)
        case "convolutional_pooling":
            #expect(nodes.filter { $0.op == "Conv" }.count == 5 && recurrent.map(\.op) == ["GRU", "GRU"])
            #expect(nodes.filter { $0.op == "Conv" }.map { $0.attributes["group"]?.int } == [1, 1, 5, 10, 1])
            #expect(nodes.contains { $0.op == "ReduceMean" } && nodes.contains { $0.op == "Tile" })
        default:
            #expect(recurrent.map(\.op) == ["LSTM", "RNN"])
            #expect(recurrent.last?.attributes["direction"]?.string == "bidirectional")
        }
    }

    /// What ONNX cannot say exactly is refused by name.
    @Test func inexactSettingsAreRefused() throws {
        let carried = try Sequential<Float>(inputShape: [5], layers: [
            Embedding<Float>(inputDim: 5, outputDim: 2, maskZero: true), GRU<Float>(units: 2, returnSequences: true)])
        _ = try carried.predict([Tensor(repeating: 1, shape: [1, 5])], batchSize: nil)
        #expect(throws: FileFormatError.self) { try ONNXExport.bytes(for: carried) }
        let channelsFirst = try Sequential<Float>(inputShape: [3, 6], layers: [Conv1D<Float>(filters: 2, kernelSize: 2, dataFormat: .channelsFirst)])
        _ = try channelsFirst.predict([Tensor(repeating: 1, shape: [1, 3, 6])], batchSize: nil)
        #expect(throws: FileFormatError.self) { try ONNXExport.bytes(for: channelsFirst) }
    }
}

/// `gru convert --streaming`: the recurrent layers' states as graph inputs and outputs (the
/// fixture script stepped it in ONNX Runtime to Keras' whole-sequence output); the same bytes
/// again, and the state inputs named per layer.
@Test func streamingExport() throws {
    let file = try KerasModelFile(contentsOf: ModelFixtures.path("onnx/streaming_gru_lstm.keras"))
    let bytes = try ONNXExport.streamingBytes(for: file.model)
    #expect(bytes == (try ModelFixtures.bytes("onnx/streaming_gru_lstm.onnx")))
    let graph = try #require(try ProtobufReader.fields(bytes).first { $0.0 == 7 }?.1.data)
    let inputs = try ProtobufReader.fields(graph).filter { $0.0 == 11 }.compactMap { try ProtobufReader.fields($0.1.data ?? []).first { $0.0 == 1 }?.1.string }
    let names = file.model.layers.map(\.name)
    #expect(inputs.dropFirst() == ["\(names[0])_state0", "\(names[1])_state0", "\(names[1])_state1"])
    // A layer reading backwards cannot run a chunk at a time.
    let backwards = try KerasModelFile(contentsOf: ModelFixtures.path("onnx/series_variants.keras"))
    #expect(throws: FileFormatError.self) { try ONNXExport.streamingBytes(for: backwards.model) }
}

/// Every model the tests hold exports to a graph that passes the ONNX checker's rules (the
/// exporter validates it before writing), or is refused by name.
@Test func everyFixtureModelExportsAValidGraphOrIsRefused() throws {
    let root = ModelFixtures.path("")
    let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }
        .filter { ($0.hasSuffix(".keras") || $0.hasSuffix(".h5")) && !$0.hasPrefix("fuzz") } ?? []
    #expect(files.count > 100)
    var exported = 0
    for file in files.sorted() {
        guard let model = try? KerasModelFile(contentsOf: root + "/" + file).model else { continue }
        for streaming in [false, true] {
            do {
                let bytes = try streaming ? ONNXExport.streamingBytes(for: model) : ONNXExport.bytes(for: model)
                #expect(!bytes.isEmpty)
                exported += 1
            } catch let error as FileFormatError {
                #expect(!error.message.isEmpty, "\(file)")
            }
        }
    }
    #expect(exported > 100)
}

/// What cannot run a chunk of steps at a time (``StreamingSession``) is not exported for
/// streaming either, by layer name.
@Test func streamingExportRefusesWhatStreamingRefuses() throws {
    let convolution = try Sequential<Float>(inputShape: [6, 3], layers: [Conv1D<Float>(filters: 2, kernelSize: 2), GRU<Float>(units: 2)])
    _ = try convolution.predict([Tensor(repeating: 1, shape: [1, 6, 3])], batchSize: nil)
    _ = try ONNXExport.bytes(for: convolution)
    do {
        _ = try ONNXExport.streamingBytes(for: convolution)
        Issue.record("a convolution over steps was exported for streaming")
    } catch let error as FileFormatError {
        #expect(error.message.contains("conv1d"), "\(error.message)")
    }
}

/// Keras' Concatenate keeps a step any input keeps: a masked GRU's padded steps, repeated in
/// Keras and zeros in ONNX, would be read as kept steps, so the export is refused by name.
@Test func concatenatingDifferentlyMaskedInputsNeedsKerasPadding() throws {
    let file = try KerasModelFile(contentsOf: ModelFixtures.path("merge/masked_concatenate_model.keras"))
    do {
        _ = try ONNXExport.bytes(for: file.model)
        Issue.record("an export whose padded steps are read as kept was written")
    } catch let error as FileFormatError {
        #expect(error.message.contains("'join'") && error.message.contains("zero_output_for_mask"), "\(error.message)")
    }
}
