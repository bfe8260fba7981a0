import Foundation

/// A read-only HDF5 file in memory: the subset h5py writes (superblock 0 to 3,
/// object headers 1 and 2, symbol-table and compact link groups, contiguous and
/// compact datasets of numbers and strings).
///
/// The whole tree is parsed when the file is opened; every offset and length is
/// checked against the file first, recursion is bounded and cycles are
/// detected, so a damaged file throws ``HDF5Error`` instead of crashing.
public final class HDF5File: Sendable {
    /// The root group.
    public let root: HDF5Group
    let bytes: [UInt8]
    let sizes: HDF5Parser.Sizes

    /// Parses a file from its bytes.
    ///
    /// - Throws: ``HDF5Error`` when the bytes are not a readable HDF5 file.
    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        var parser = try HDF5Parser(bytes: bytes)
        self.root = try parser.parseRoot()
        self.sizes = parser.sizes
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: ``HDF5Error`` when the file cannot be read or parsed.
    public convenience init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HDF5Error("cannot read the file '\(path)'")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Reads and parses the file at a file URL.
    ///
    /// - Throws: ``HDF5Error`` when the URL is not a file URL, or the file cannot be read or parsed.
    public convenience init(contentsOf url: URL) throws {
        guard url.isFileURL else { throw HDF5Error("'\(url.absoluteString)' is not a file URL") }
        try self.init(contentsOf: url.path(percentEncoded: false))
    }

    /// Reads a dataset's elements.
    ///
    /// - Throws: ``HDF5Error`` when the stored data is shorter than the shape needs.
    public func read(_ dataset: HDF5Dataset) throws -> HDF5Array {
        let size = try HDF5Parser.byteCount(dataset.count, dataset.datatype.size)
        let raw: ArraySlice<UInt8>
        switch dataset.storage {
        case .unallocated:
            raw = ArraySlice(repeating: 0, count: size)
        case .compact(let data):
            raw = data
        case .contiguous(let offset, let stored):
            var reader = ByteReader(bytes, at: 0)
            try reader.seek(to: offset, "dataset data")
            raw = try reader.bytes(Swift.min(stored, reader.remaining), "dataset data")
        }
        guard raw.count >= size else {
            throw HDF5Error("damaged file: a dataset of shape \(dataset.shape) needs \(size) bytes, \(raw.count) are stored")
        }
        return try HDF5Parser.decode(raw.prefix(size), type: dataset.datatype, count: dataset.count, file: bytes, sizes: sizes)
    }
}
