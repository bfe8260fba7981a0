import Foundation
@testable import KerasFiles
import SwiftGRU
import Testing

/// PyTorch nn.GRU state dicts (Scripts/make-pytorch-fixtures.py, saved as safetensors) read as
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
}
