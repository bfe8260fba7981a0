/// An array to write as a dataset or attribute.
public struct HDF5Value: Sendable, Equatable {
    public let shape: [Int]
    public let datatype: HDF5Datatype
    let raw: [UInt8]

    /// 32-bit floats of the given shape (empty shape: a scalar).
    public static func float32(_ values: [Float], shape: [Int]) -> HDF5Value {
        HDF5Value(shape: shape, datatype: .float(size: 4), raw: littleEndianBytes(values.map(\.bitPattern)))
    }

    /// 64-bit floats of the given shape.
    public static func float64(_ values: [Double], shape: [Int]) -> HDF5Value {
        HDF5Value(shape: shape, datatype: .float(size: 8), raw: littleEndianBytes(values.map(\.bitPattern)))
    }

    /// 64-bit signed integers of the given shape.
    public static func int64(_ values: [Int64], shape: [Int]) -> HDF5Value {
        HDF5Value(shape: shape, datatype: .integer(size: 8, signed: true), raw: littleEndianBytes(values))
    }

    /// Fixed-length strings (NUL-padded to the longest), one axis.
    public static func strings(_ values: [String]) -> HDF5Value {
        let size = max(1, values.map(\.utf8.count).max() ?? 1)
        let raw = values.flatMap { Array($0.utf8) + Array(repeating: 0, count: size - $0.utf8.count) }
        return HDF5Value(shape: [values.count], datatype: .fixedString(size: size), raw: raw)
    }

    /// A single fixed-length string.
    public static func string(_ value: String) -> HDF5Value {
        let bytes = Array(value.utf8)
        return HDF5Value(shape: [], datatype: .fixedString(size: max(1, bytes.count)), raw: bytes.isEmpty ? [0] : bytes)
    }

    /// The values' bytes, each value least significant byte first, one after the other.
    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        let size = MemoryLayout<T>.size
        return [UInt8](unsafeUninitializedCapacity: values.count * size) { bytes, count in
            for (i, value) in values.enumerated() {
                withUnsafeBytes(of: value.littleEndian) { for b in 0..<size { bytes[i * size + b] = $0[b] } }
            }
            count = values.count * size
        }
    }

    static func littleEndian(_ value: UInt64, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) }
    }
}

/// A group to write: attributes and named members.
public struct HDF5GroupBuilder: Sendable {
    /// A member of a group being built.
    public indirect enum Member: Sendable {
        case group(HDF5GroupBuilder)
        case dataset(HDF5Value, attributes: [String: HDF5Value])
    }

    public var attributes: [String: HDF5Value] = [:]
    public var members: [String: Member] = [:]

    public init() {}

    /// Adds a dataset at a slash-separated path, creating the groups on the way.
    ///
    /// - Throws: ``HDF5Error`` when a name on the path is empty or already a dataset.
    public mutating func setDataset(_ value: HDF5Value, at path: String, attributes: [String: HDF5Value] = [:]) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        try insert(.dataset(value, attributes: attributes), parts: parts[...])
    }

    /// Makes sure a group exists at a path (Keras writes empty `vars` groups too).
    ///
    /// - Throws: ``HDF5Error`` when a name on the path is empty or a dataset.
    public mutating func ensureGroup(at path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        try insert(nil, parts: parts[...])
    }

    private mutating func insert(_ leaf: Member?, parts: ArraySlice<String>) throws {
        guard let first = parts.first, !first.isEmpty else { throw HDF5Error("empty name in an HDF5 path") }
        if parts.count == 1 {
            if let leaf {
                members[first] = leaf
            } else if members[first] == nil {
                members[first] = .group(HDF5GroupBuilder())
            }
            return
        }
        var child: HDF5GroupBuilder
        switch members[first] {
        case nil: child = HDF5GroupBuilder()
        case .group(let g)?: child = g
        case .dataset?: throw HDF5Error("'\(first)' is a dataset, not a group")
        }
        try child.insert(leaf, parts: parts.dropFirst())
        members[first] = .group(child)
    }
}

/// Writes HDF5 files the way h5py does by default: superblock version 0,
/// version-1 object headers, symbol-table groups with sorted names,
/// contiguous datasets.
public enum HDF5Writer {
    static let leafK = 4, internalK = 16
    static let undefined = [UInt8](repeating: 0xFF, count: 8)

    /// The bytes of a file whose root group is `root`.
    ///
    /// - Throws: ``HDF5Error`` for a value the writer cannot encode.
    public static func encode(_ root: HDF5GroupBuilder) throws -> [UInt8] {
        var file = [UInt8](repeating: 0, count: 96)
        let rootAddress = try write(group: root, into: &file)
        var superblock: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        superblock += [0, 0, 0, 0, 0, 8, 8, 0]
        superblock += u16(leafK) + u16(internalK) + u32(0)
        superblock += u64(0) + undefined + u64(file.count) + undefined
        // Root symbol table entry: name offset 0, header address, no cached data.
        superblock += u64(0) + u64(rootAddress) + u32(0) + u32(0) + [UInt8](repeating: 0, count: 16)
        file.replaceSubrange(0..<96, with: superblock)
        return file
    }

    static func u16(_ v: Int) -> [UInt8] { HDF5Value.littleEndian(UInt64(v), 2) }
    static func u32(_ v: Int) -> [UInt8] { HDF5Value.littleEndian(UInt64(v), 4) }
    static func u64(_ v: Int) -> [UInt8] { HDF5Value.littleEndian(UInt64(v), 8) }

    private static func pad8(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
    }

    private static func align(_ file: inout [UInt8]) {
        file += [UInt8](repeating: 0, count: (8 - file.count % 8) % 8)
    }

    /// Appends an object header v1 with the given messages; returns its address.
    private static func objectHeader(_ messages: [(type: Int, body: [UInt8])], into file: inout [UInt8]) -> Int {
        align(&file)
        var body = [UInt8]()
        for message in messages {
            let padded = pad8(message.body)
            body += u16(message.type) + u16(padded.count) + [0, 0, 0, 0] + padded
        }
        let address = file.count
        file += [1, 0] + u16(messages.count) + u32(1) + u32(body.count) + u32(0) + body
        return address
    }

    private static func dataspace(_ shape: [Int]) -> [UInt8] {
        [1, UInt8(shape.count), 0, 0, 0, 0, 0, 0] + shape.flatMap(u64)
    }

    private static func attributeMessages(_ attributes: [String: HDF5Value]) throws -> [(type: Int, body: [UInt8])] {
        try attributes.sorted { $0.key < $1.key }.map { name, value in
            guard let type = value.datatype.encoded() else { throw HDF5Error("cannot write attribute '\(name)' of this type") }
            let nameBytes = Array(name.utf8) + [0]
            let space = dataspace(value.shape)
            var body: [UInt8] = [1, 0] + u16(nameBytes.count) + u16(type.count) + u16(space.count)
            body += pad8(nameBytes) + pad8(type) + pad8(space) + value.raw
            return (0x0C, body)
        }
    }

    private static func write(dataset value: HDF5Value, attributes: [String: HDF5Value], into file: inout [UInt8]) throws -> Int {
        guard let type = value.datatype.encoded() else { throw HDF5Error("cannot write a dataset of this type") }
        let expected = value.shape.reduce(1, *) * value.datatype.size
        guard value.raw.count == expected else {
            throw HDF5Error("a dataset of shape \(value.shape) needs \(expected) bytes, got \(value.raw.count)")
        }
        align(&file)
        let dataAddress = file.count
        file += value.raw
        let layout: [UInt8] = [3, 1] + (value.raw.isEmpty ? undefined : u64(dataAddress)) + u64(value.raw.count)
        // Fill value v2: allocated early, written never, undefined.
        let fill: [UInt8] = [2, 1, 2, 0]
        let messages = [(0x01, dataspace(value.shape)), (0x03, type), (0x05, fill), (0x08, layout)]
        return objectHeader(messages + (try attributeMessages(attributes)), into: &file)
    }

    private static func write(group: HDF5GroupBuilder, into file: inout [UInt8]) throws -> Int {
        // Members first, so that their addresses are known.
        let sorted = group.members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        let names = sorted.map(\.key)
        var addresses = [Int]()
        for (_, member) in sorted {
            switch member {
            case .group(let child): addresses.append(try write(group: child, into: &file))
            case .dataset(let value, let attributes): addresses.append(try write(dataset: value, attributes: attributes, into: &file))
            }
        }
        // Local heap: "" at offset 0, then each name NUL-terminated and padded to 8.
        var heapData = [UInt8](repeating: 0, count: 8)
        var nameOffsets = [Int]()
        for name in names {
            nameOffsets.append(heapData.count)
            heapData += pad8(Array(name.utf8) + [0])
        }
        align(&file)
        let heapAddress = file.count
        file += Array("HEAP".utf8) + [0, 0, 0, 0] + u64(heapData.count) + u64(1) + u64(heapAddress + 32)
        file += heapData

        // Symbol table nodes of up to 2 * leafK entries (none for an empty group).
        let perNode = 2 * leafK
        var leaves = [(address: Int, lastName: Int)]()
        var start = 0
        while start < names.count {
            let end = min(start + perNode, names.count)
            align(&file)
            let address = file.count
            var node = Array("SNOD".utf8) + [1, 0] + u16(end - start)
            for i in start..<end {
                node += u64(nameOffsets[i]) + u64(addresses[i]) + u32(0) + u32(0) + [UInt8](repeating: 0, count: 16)
            }
            node += [UInt8](repeating: 0, count: 8 + perNode * 40 - node.count)
            file += node
            leaves.append((address, nameOffsets[end - 1]))
            start = end
        }

        // B-tree nodes of up to 2 * internalK children, level by level.
        var level = 0
        var children = leaves
        while true {
            var parents = [(address: Int, lastName: Int)]()
            for chunkStart in stride(from: 0, to: max(children.count, 1), by: 2 * internalK) {
                let chunk = children[chunkStart..<min(chunkStart + 2 * internalK, children.count)]
                align(&file)
                let address = file.count
                var node = Array("TREE".utf8) + [0, UInt8(level)] + u16(chunk.count) + undefined + undefined
                node += u64(0)
                for child in chunk { node += u64(child.address) + u64(child.lastName) }
                node += [UInt8](repeating: 0, count: 24 + (2 * internalK + 1) * 8 + 2 * internalK * 8 - node.count)
                file += node
                parents.append((address, chunk.last?.lastName ?? 0))
            }
            if parents.count == 1 {
                let table = u64(parents[0].address) + u64(heapAddress)
                return objectHeader([(0x11, table)] + (try attributeMessages(group.attributes)), into: &file)
            }
            children = parents
            level += 1
        }
    }
}
