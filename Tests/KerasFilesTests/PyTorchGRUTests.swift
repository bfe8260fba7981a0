import Foundation
@testable import KerasFiles
import SwiftGRU
import Testing

/// PyTorch nn.GRU state dicts (Scripts/fixtures/make-pytorch-fixtures.py, saved as safetensors) read as
/// Keras GRU layers give PyTorch's own output, and go back to the same state dict.
@Suite("PyTorch nn.GRU weights")
struct PyTorchGRUTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let prefix: String?
        var description: String { name }
    }

    static let cases: [Case] = {
        struct Manifest: Decodable { let cases: [Case] }
        guard let data = try? ModelFixtures.bytes("pytorch/manifest.json") else { return [] }
        return (try? JSONDecoder().decode(Manifest.self, from: Data(data)))?.cases ?? []
    }()

    @Test func casesArePresent() { #expect(Self.cases.count >= 3) }

    @Test(arguments: cases)
    func predictsAsPyTorchAndGoesBack(entry: Case) throws {
        let tensors = try SafeTensors.tensors(in: ModelFixtures.bytes("pytorch/\(entry.name).safetensors"))
        let model = try PyTorchGRU.model(from: tensors)
        let x: Tensor<Float> = try ModelFixtures.array("pytorch/\(entry.name).x.npy").tensor()
        let expected: Tensor<Float> = try ModelFixtures.array("pytorch/\(entry.name).y.npy").tensor()
        #expect(try model.predict([x], batchSize: nil)[0].maxAbsoluteDifference(to: expected) <= 1e-5)
        let back = try PyTorchGRU.stateDict(of: model, prefix: entry.prefix ?? "")
        for (name, tensor) in back { #expect(tensors[name] == tensor, "\(entry.name): \(name)") }
        #expect(back.count == tensors.keys.filter { $0.hasPrefix((entry.prefix ?? "") + "weight") || $0.hasPrefix((entry.prefix ?? "") + "bias") }.count)
        // The safetensors writer round-trips the tensors.
        #expect(try SafeTensors.tensors(in: SafeTensors.bytes(back)) == back)
    }

    /// Damaged files and state dicts that are not an nn.GRU's are errors naming the problem.
    @Test func badInputsAreErrors() throws {
        let good = try ModelFixtures.bytes("pytorch/gru_one_layer.safetensors")
        for bytes in [Array(good.prefix(7)), Array(good.dropLast(8)), [255, 255, 255, 255, 255, 255, 255, 127] + Array(good.dropFirst(8))] {
            #expect(throws: FileFormatError.self) { try SafeTensors.tensors(in: bytes) }
        }
        var tensors = try SafeTensors.tensors(in: good)
        tensors["weight_hh_l0"] = Tensor(zeros: [3, 3])
        #expect(throws: FileFormatError.self) { try PyTorchGRU.model(from: tensors) }
        #expect(throws: FileFormatError.self) { try PyTorchGRU.model(from: ["head.weight": Tensor(zeros: [1, 3])]) }
        let lstm = try Sequential<Float>(inputShape: [nil, 3], layers: [LSTM<Float>(units: 2)])
        #expect(throws: FileFormatError.self) { try PyTorchGRU.stateDict(of: lstm) }
        let resetBefore = try Sequential<Float>(inputShape: [nil, 3], layers: [GRU<Float>(units: 2, resetAfter: false)])
        #expect(throws: FileFormatError.self) { try PyTorchGRU.stateDict(of: resetBefore) }
    }

    /// A tensor missing, a layer skipped, or a tensor under the prefix that is not an
    /// nn.GRU's: refused by name, never made zeros or dropped.
    @Test func incompleteStateDictsAreRefusedByName() throws {
        let two = try SafeTensors.tensors(in: ModelFixtures.bytes("pytorch/gru_one_layer.safetensors"))
        func refusal(_ tensors: [String: Tensor<Float>], prefix: String? = nil) -> String {
            do {
                _ = try PyTorchGRU.model(from: tensors, prefix: prefix)
                return ""
            } catch { return "\(error)" }
        }
        var noRecurrentBias = two
        noRecurrentBias["bias_hh_l0"] = nil
        #expect(refusal(noRecurrentBias).contains("bias_hh_l0"))
        var gap = two
        for (name, tensor) in two { gap[name.replacingOccurrences(of: "_l0", with: "_l2")] = tensor }
        #expect(refusal(gap).contains("layer 1 is missing"))
        var projection = two
        projection["weight_hr_l0"] = Tensor(zeros: [2, 2])
        #expect(refusal(projection).contains("weight_hr_l0"))
    }

    /// Only the GRU's tensors are read: a BatchNorm's int64 counter elsewhere in the file does
    /// not stop the conversion, and the prefix may leave out its final dot.
    @Test func otherTensorsOfAnyTypeAreLeftAlone() throws {
        let gru = try SafeTensors.tensors(in: ModelFixtures.bytes("pytorch/gru_one_layer.safetensors"))
        var named = [String: Tensor<Float>]()
        for (name, tensor) in gru { named["encoder.gru." + name] = tensor }
        var bytes = try SafeTensors.bytes(named)
        // The same file with an I64 tensor added to its header and data.
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        var header = try JSONValue(parsing: Array(bytes[8..<(8 + length)]), what: "header").object ?? [:]
        let dataCount = bytes.count - 8 - length
        header["bn.num_batches_tracked"] = ["dtype": "I64", "shape": [], "data_offsets": [.integer(dataCount), .integer(dataCount + 8)]]
        var text = JSONValue.object(header).encoded()
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        bytes = (0..<8).map { UInt8((text.count >> (8 * $0)) & 0xFF) } + text + Array(bytes[(8 + length)...]) + [UInt8](repeating: 7, count: 8)
        #expect(throws: FileFormatError.self) { try SafeTensors.tensors(in: bytes) }
        let model = try PyTorchGRU.model(safeTensors: bytes, prefix: "encoder.gru")
        #expect(model.layers.count == 1)
    }

    /// Keras GRUs that nn.GRU cannot hold are refused by name when written.
    @Test func gruSettingsWithoutAnNNGRUEqualAreRefused() throws {
        func refusal(_ layers: [any Layer<Float>]) throws -> String {
            let model = try Sequential<Float>(inputShape: [nil, 3], layers: layers)
            _ = try model.predict([Tensor(repeating: 0.5, shape: [1, 4, 3])], batchSize: nil)
            do {
                _ = try PyTorchGRU.stateDict(of: model, prefix: "gru")
                return ""
            } catch { return "\(error)" }
        }
        #expect(try refusal([GRU<Float>(units: 2, goBackwards: true)]).contains("go_backwards"))
        #expect(try refusal([GRU<Float>(units: 3, returnSequences: true), GRU<Float>(units: 2)]).contains("hidden size"))
        #expect(try refusal([GRU<Float>(units: 2, returnSequences: true), GRU<Float>(units: 2)]).isEmpty)
    }
}
