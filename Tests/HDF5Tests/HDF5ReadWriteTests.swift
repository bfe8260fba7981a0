import Foundation
import Testing
@testable import HDF5

@Suite("HDF5 reading and writing")
struct HDF5ReadWriteTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func readsAKerasWeightsFile() throws {
        let file = try HDF5File(bytes: Self.fixture("keras-trained.weights.h5"))
        let kernel = try #require(file.root.dataset(at: "layers/gru/cell/vars/0"))
        #expect(kernel.shape == [3, 18])
        #expect(kernel.datatype == .float(size: 4))
        #expect(try file.read(kernel).count == 54)
        #expect(file.root.dataset(at: "layers/gru_1/cell/vars/2")?.shape == [12])
        let vars = try #require(file.root.group(at: "optimizer/vars"))
        #expect(vars.memberNames.prefix(4) == ["0", "1", "2", "3"])
        #expect(vars.memberNames.last == "\(vars.members.count - 1)")
        #expect(vars.attributes["name"]?.value.strings?.first?.hasPrefix("adam") == true)
        let iterations = try #require(vars.dataset(at: "0"))
        #expect(iterations.shape == [] && iterations.datatype == .integer(size: 8, signed: true))
        #expect(try file.read(iterations) == .integers([1]))
    }

    @Test func readsTheLatestFormat() throws {
        let file = try HDF5File(bytes: Self.fixture("h5py-latest.h5"))
        #expect(file.root.attributes["title"]?.value.strings == ["latest format"])
        #expect(file.root.attributes["numbers"]?.value == .integers([1, 2, 3]))
        let floats = try #require(file.root.dataset(at: "group/nested/floats"))
        #expect(floats.shape == [2, 3])
        #expect(try file.read(floats) == .floats([0, 0.25, 0.5, 0.75, 1, 1.25]))
        #expect(try file.read(#require(file.root.dataset(at: "group/nested/small"))) == .integers([7, 8]))
        #expect(try file.read(#require(file.root.dataset(at: "names"))) == .strings(["alpha", "beta"]))
        #expect(try file.read(#require(file.root.dataset(at: "scalar"))) == .floats([1.5]))
    }

    /// Keras 2.13 on Windows named groups with backslashes (`_layer_checkpoint_dependencies\\gru\\cell`
    /// at the root): read as paths, they nest as Keras' own groups do.
    @Test func backslashNamesReadAsPaths() throws {
        var root = HDF5GroupBuilder()
        try root.setDataset(.float32([1, 2], shape: [2]), at: #"deps\dense/vars/0"#)
        try root.ensureGroup(at: #"deps\gru/vars"#)
        try root.setDataset(.float32([3], shape: [1]), at: #"deps\gru\cell/vars/0"#)
        try root.setDataset(.float32([4], shape: [1]), at: "optimizer/vars/0")
        let file = try HDF5File(bytes: HDF5Writer.encode(root))
        let split = file.root.splittingNames(on: "\\")
        #expect(split.group(at: "deps")?.memberNames == ["dense", "gru"])
        #expect(try file.read(#require(split.dataset(at: "deps/dense/vars/0"))) == .floats([1, 2]))
        #expect(try file.read(#require(split.dataset(at: "deps/gru/cell/vars/0"))) == .floats([3]))
        #expect(split.group(at: "deps/gru/vars")?.members.isEmpty == true)
        #expect(split.dataset(at: "optimizer/vars/0") != nil)
    }

    @Test func writtenFilesReadBack() throws {
        var root = HDF5GroupBuilder()
        root.attributes["title"] = .string("weights")
        try root.setDataset(.float32([1, 2, 3, 4, 5, 6], shape: [2, 3]), at: "layers/dense/vars/0")
        try root.setDataset(.float64([0.5], shape: []), at: "layers/dense/vars/1", attributes: ["unit": .strings(["a", "bcd"])])
        try root.setDataset(.int64([7, -8], shape: [2]), at: "optimizer/vars/0")
        try root.ensureGroup(at: "layers/dense/empty")
        for i in 0..<300 { try root.setDataset(.float32([Float(i)], shape: [1]), at: "many/\(i)") }
        let bytes = try HDF5Writer.encode(root)
        if let path = ProcessInfo.processInfo.environment["HDF5_WRITE_SAMPLE"] {
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
        let file = try HDF5File(bytes: bytes)
        #expect(file.root.attributes["title"]?.value.strings == ["weights"])
        #expect(try file.read(#require(file.root.dataset(at: "layers/dense/vars/0"))) == .floats([1, 2, 3, 4, 5, 6]))
        let scalar = try #require(file.root.dataset(at: "layers/dense/vars/1"))
        #expect(scalar.shape == [])
        #expect(try file.read(scalar) == .floats([0.5]))
        #expect(scalar.attributes["unit"]?.value.strings == ["a", "bcd"])
        #expect(try file.read(#require(file.root.dataset(at: "optimizer/vars/0"))) == .integers([7, -8]))
        #expect(file.root.group(at: "layers/dense/empty")?.members.isEmpty == true)
        let many = try #require(file.root.group(at: "many"))
        #expect(many.memberNames == (0..<300).map(String.init))
        #expect(try file.read(#require(many.dataset(at: "299"))) == .floats([299]))
    }
}
