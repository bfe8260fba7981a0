import Foundation
import Testing
@testable import HDF5

/// Damaged files must throw, never crash or hang.
@Suite("Damaged HDF5 files")
struct HDF5DamageTests {
    static let files = ["keras-trained.weights.h5", "h5py-latest.h5"]

    /// Opens the file and reads every dataset, as a loader would.
    static func readEverything(_ bytes: [UInt8]) throws {
        let file = try HDF5File(bytes: bytes)
        func walk(_ group: HDF5Group) throws {
            for name in group.memberNames {
                switch group.members[name] {
                case .group(let g)?: try walk(g)
                case .dataset(let d)?: _ = try file.read(d)
                case nil: break
                }
            }
        }
        try walk(file.root)
    }

    @Test(arguments: files)
    func truncatedFilesThrow(name: String) throws {
        let bytes = try HDF5ReadWriteTests.fixture(name)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(throws: HDF5Error.self, "truncated at \(length)") { try Self.readEverything(Array(bytes.prefix(length))) }
        }
    }

    @Test(arguments: files)
    func flippedBytesNeverCrash(name: String) throws {
        let bytes = try HDF5ReadWriteTests.fixture(name)
        var rng = SystemRandomNumberGenerator()
        var seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        for _ in 0..<400 {
            var damaged = bytes
            // A few random bytes set to random values, biased to the metadata at the start.
            for _ in 0..<3 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let position = Int(seed >> 33) % min(damaged.count, Int(seed % 2) == 0 ? 4096 : damaged.count)
                damaged[position] = UInt8(truncatingIfNeeded: seed >> 13)
            }
            _ = try? Self.readEverything(damaged)
        }
    }

    @Test func notHDF5() {
        #expect(throws: HDF5Error.self) { try HDF5File(bytes: Array("not an hdf5 file at all".utf8)) }
        #expect(throws: HDF5Error.self) { try HDF5File(bytes: []) }
    }
}
