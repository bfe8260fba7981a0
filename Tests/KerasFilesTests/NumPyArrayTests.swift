import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// `.npy` and `.npz` files written by NumPy read correctly; Swift's files read back.
@Suite("NumPy arrays")
struct NumPyArrayTests {
    static func load(_ name: String) throws -> NumPyArray { try ModelFixtures.array("numpy/" + name) }

    @Test func everyDtype() throws {
        let base = (0..<24).map(Double.init)
        guard case .float32(let f32) = try Self.load("float32.npy") else { Issue.record("float32"); return }
        #expect(f32.shape == [2, 3, 4] && f32.scalars == base.map { Float($0 / 7) })
        guard case .float64(let f64) = try Self.load("float64.npy") else { Issue.record("float64"); return }
        #expect(f64.scalars == base.map { $0 / 7 })
        guard case .int32(let i32) = try Self.load("int32.npy") else { Issue.record("int32"); return }
        #expect(i32.scalars == (0..<24).map { Int32($0 - 12) })
        guard case .int64(let i64) = try Self.load("int64.npy") else { Issue.record("int64"); return }
        #expect(i64.scalars == (0..<24).map { Int64($0) * 1_000_003 - 7 })
        guard case .bool(let b) = try Self.load("bool.npy") else { Issue.record("bool"); return }
        #expect(b.scalars == (0..<24).map { $0 % 3 == 0 })
        #expect(try Self.load("scalar.npy") == .float32(try Tensor(shape: [], scalars: [2.5])))
        #expect(try Self.load("empty.npy").shape == [0, 3])
    }

    @Test func fortranOrderIsTransposedBack() throws {
        #expect(try Self.load("fortran.npy") == Self.load("float32.npy"))
    }

    @Test func npzStoredAndDeflated() throws {
        for name in ["stored.npz", "deflated.npz"] {
            let arrays = try NumPyArray.arrays(npz: ModelFixtures.bytes("numpy/" + name))
            #expect(arrays.map(\.name) == ["first", "second"])
            #expect(arrays[0].array == (try Self.load("float32.npy")))
            #expect(arrays[1].array == (try Self.load("int64.npy")))
        }
    }

    @Test func writtenFilesReadBack() throws {
        for name in ["float32.npy", "float64.npy", "int32.npy", "int64.npy", "bool.npy", "scalar.npy", "empty.npy"] {
            let array = try Self.load(name)
            let bytes = array.npyBytes()
            #expect(try NumPyArray(npy: bytes) == array, "\(name)")
            #expect((bytes.count - array.shape.reduce(1, *) * (name.hasPrefix("bool") ? 1 : name.contains("64") ? 8 : 4)) % 64 == 0)
        }
        let pair = [(name: "a", array: try Self.load("int32.npy")), (name: "b", array: try Self.load("bool.npy"))]
        let read = try NumPyArray.arrays(npz: NumPyArray.npzBytes(pair))
        #expect(read.map(\.name) == ["a", "b"] && read.map(\.array) == pair.map(\.array))
    }

    @Test func damagedArraysThrow() throws {
        let bytes = try ModelFixtures.bytes("numpy/float32.npy")
        for length in 0..<bytes.count {
            #expect(throws: FileFormatError.self) { try NumPyArray(npy: Array(bytes.prefix(length))) }
        }
        var complex = bytes
        let descriptor = try #require((0..<(bytes.count - 3)).first { bytes[$0..<($0 + 3)].elementsEqual("<f4".utf8) })
        complex[descriptor + 1] = UInt8(ascii: "c")
        complex[descriptor + 2] = UInt8(ascii: "8")
        let error = #expect(throws: FileFormatError.self) { try NumPyArray(npy: complex) }
        #expect(error?.message.contains("unsupported .npy dtype '<c8'") == true)
        let deflated = try ModelFixtures.bytes("numpy/deflated.npz")
        for length in stride(from: 0, to: deflated.count, by: 7) {
            #expect(throws: FileFormatError.self) { try NumPyArray.arrays(npz: Array(deflated.prefix(length))) }
        }
        var flipped = deflated
        for i in stride(from: 40, to: flipped.count - 100, by: 13) { flipped[i] ^= 0x5A }
        #expect(throws: FileFormatError.self) { try NumPyArray.arrays(npz: flipped) }
    }

    /// A valid header whose extents multiply past Int.max (found by libFuzzer: it used to
    /// trap in the size check's error message) is an error, not a crash.
    @Test func overflowingShapeIsAnError() throws {
        for shape in ["(2869293362593602672, 3)", "(9223372036854775807, 2)", "(4611686018427387904,)"] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
                + Array(header.utf8) + [0, 0, 0, 0]
            #expect(throws: FileFormatError.self) { _ = try NumPyArray(npy: bytes) }
        }
    }
}
