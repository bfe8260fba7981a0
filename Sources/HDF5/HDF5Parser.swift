/// Walks the structures of an HDF5 file. Internal: ``HDF5File`` is the API.
struct HDF5Parser {
    /// The widths of addresses and lengths, from the superblock.
    struct Sizes: Sendable {
        var offsets = 8
        var lengths = 8
        var base = 0
    }

    /// One object-header message.
    struct Message {
        let type: Int
        let flags: UInt8
        let body: ArraySlice<UInt8>
    }

    static let maximumDepth = 64
    static let maximumObjects = 200_000
    static let maximumRank = 32

    let bytes: [UInt8]
    var sizes = Sizes()
    private var rootAddress = 0
    private var objectCount = 0
    private var groupsInProgress = Set<Int>()

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        try readSuperblock()
    }

    // MARK: Superblock

    private mutating func readSuperblock() throws {
        // The superblock sits at 0 or after a user block of 512, 1024, 2048, ... bytes.
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var start = 0
        while true {
            guard start + 8 <= bytes.count else { throw HDF5Error("not an HDF5 file: no HDF5 signature found") }
            if bytes[start..<(start + 8)].elementsEqual(signature) { break }
            start = start == 0 ? 512 : start * 2
        }
        var r = ByteReader(bytes, at: start + 8)
        let version = try r.u8("superblock version")
        switch version {
        case 0, 1:
            try r.skip(4, "superblock")
            sizes.offsets = Int(try r.u8("size of offsets"))
            sizes.lengths = Int(try r.u8("size of lengths"))
            try checkSizes()
            try r.skip(1 + 2 + 2 + 4 + (version == 1 ? 4 : 0), "superblock")
            sizes.base = try r.int(sizes.offsets, "base address")
            try r.skip(3 * sizes.offsets, "superblock addresses")
            // Root group symbol table entry: link name offset, then the object header address.
            try r.skip(sizes.offsets, "root entry")
            rootAddress = try address(&r, "root group")
        case 2, 3:
            sizes.offsets = Int(try r.u8("size of offsets"))
            sizes.lengths = Int(try r.u8("size of lengths"))
            try checkSizes()
            try r.skip(1, "superblock flags")
            sizes.base = try r.int(sizes.offsets, "base address")
            try r.skip(2 * sizes.offsets, "superblock addresses")
            rootAddress = try address(&r, "root group")
        default:
            throw HDF5Error("unsupported HDF5 superblock version \(version)")
        }
    }

    private func checkSizes() throws {
        guard [2, 4, 8].contains(sizes.offsets), [2, 4, 8].contains(sizes.lengths) else {
            throw HDF5Error("damaged file: unsupported address width \(sizes.offsets) or length width \(sizes.lengths)")
        }
    }

    private func isUndefined(_ value: UInt64) -> Bool {
        sizes.offsets == 8 ? value == .max : value == (UInt64(1) << (8 * UInt64(sizes.offsets))) - 1
    }

    /// Reads an address and makes it absolute; throws for the undefined address.
    private func address(_ r: inout ByteReader, _ what: String) throws -> Int {
        guard let value = try optionalAddress(&r, what) else {
            throw HDF5Error("damaged file: \(what) has no address")
        }
        return value
    }

    private func optionalAddress(_ r: inout ByteReader, _ what: String) throws -> Int? {
        let raw = try r.uint(sizes.offsets, what)
        if isUndefined(raw) { return nil }
        let (value, overflow) = Int(clamping: raw).addingReportingOverflow(sizes.base)
        guard !overflow, raw <= UInt64(Int.max), value >= 0, value < bytes.count else {
            throw HDF5Error("damaged file: \(what) points to offset \(raw), beyond the end of the file (\(bytes.count) bytes)")
        }
        return value
    }

    // MARK: Objects

    mutating func parseRoot() throws -> HDF5Group {
        guard case .group(let root) = try parseObject(at: rootAddress, depth: 0) else {
            throw HDF5Error("damaged file: the root object is not a group")
        }
        return root
    }

    private mutating func parseObject(at address: Int, depth: Int) throws -> HDF5Node {
        guard depth < Self.maximumDepth else { throw HDF5Error("damaged file: groups nested deeper than \(Self.maximumDepth)") }
        objectCount += 1
        guard objectCount <= Self.maximumObjects else { throw HDF5Error("damaged file: more than \(Self.maximumObjects) objects") }
        guard !groupsInProgress.contains(address) else {
            throw HDF5Error("damaged file: a group contains itself (object at offset \(address))")
        }
        let messages = try objectHeader(at: address)
        var attributes = [String: HDF5Attribute]()
        for message in messages where message.type == 0x0C {
            let (name, attribute) = try parseAttribute(message.body)
            attributes[name] = attribute
        }
        if let layout = messages.first(where: { $0.type == 0x08 }) {
            return .dataset(try parseDataset(messages, layout: layout, attributes: attributes))
        }
        groupsInProgress.insert(address)
        defer { groupsInProgress.remove(address) }
        var members = [String: HDF5Node]()
        for (name, target) in try links(messages) {
            members[name] = try parseObject(at: target, depth: depth + 1)
        }
        return .group(HDF5Group(attributes: attributes, members: members))
    }

    /// The messages of the object header at `address`, continuations followed.
    private func objectHeader(at address: Int) throws -> [Message] {
        var r = ByteReader(bytes, at: address)
        try r.check(4, "object header")
        if bytes[address..<(address + 4)].elementsEqual("OHDR".utf8) {
            return try objectHeaderVersion2(&r)
        }
        let version = try r.u8("object header version")
        guard version == 1 else { throw HDF5Error("damaged file: unknown object header version \(version) at offset \(address)") }
        try r.skip(1, "object header")
        let count = try r.u16("object header message count")
        try r.skip(4, "object header reference count")
        let size = try r.int(4, "object header size")
        try r.skip(4, "object header padding")
        return try messages(firstBlock: (r.offset, size), headerSize: 8) { b in
            let type = try b.u16("message type")
            let length = try b.u16("message size")
            let flags = try b.u8("message flags")
            try b.skip(3, "message")
            return (type, length, flags)
        } limit: { $0 >= count } continuationStart: { $0 }
    }

    /// Walks the blocks of an object header, following continuation messages, with a
    /// loop guard; `readHeader` reads one message header of the version at hand.
    private func messages(
        firstBlock: (start: Int, size: Int), headerSize: Int,
        readHeader: (inout ByteReader) throws -> (type: Int, length: Int, flags: UInt8),
        limit: (Int) -> Bool, continuationStart: ((start: Int, size: Int)) throws -> (start: Int, size: Int)
    ) throws -> [Message] {
        var blocks = [firstBlock]
        var messages = [Message]()
        var seenBlocks = Set<Int>()
        while let block = blocks.popLast() {
            guard seenBlocks.insert(block.start).inserted, seenBlocks.count < 10_000 else {
                throw HDF5Error("damaged file: object header continuations loop at offset \(block.start)")
            }
            var b = ByteReader(bytes, at: block.start)
            try b.check(block.size, "object header block")
            let end = block.start + block.size
            while b.offset + headerSize <= end, !limit(messages.count) {
                let (type, length, flags) = try readHeader(&b)
                guard b.offset + length <= end else { throw HDF5Error("damaged file: a message overruns its object header at offset \(b.offset)") }
                let body = try b.bytes(length, "message")
                if type == 0x10 {
                    blocks.append(try continuationStart(try continuation(body)))
                } else {
                    messages.append(Message(type: type, flags: flags, body: body))
                }
            }
        }
        return messages
    }

    private func continuation(_ body: ArraySlice<UInt8>) throws -> (start: Int, size: Int) {
        var c = ByteReader(Array(body))
        var whole = ByteReader(bytes)
        let raw = try c.uint(sizes.offsets, "continuation address")
        let length = try c.int(sizes.lengths, "continuation length")
        let (start, overflow) = Int(clamping: raw).addingReportingOverflow(sizes.base)
        guard !overflow else { throw HDF5Error("damaged file: an object header continuation address is out of range") }
        try whole.seek(to: start, "object header continuation")
        try whole.check(length, "object header continuation")
        return (start, length)
    }

    private func objectHeaderVersion2(_ r: inout ByteReader) throws -> [Message] {
        try r.expect("OHDR", "object header")
        let version = try r.u8("object header version")
        guard version == 2 else { throw HDF5Error("damaged file: unknown object header version \(version)") }
        let flags = try r.u8("object header flags")
        if flags & 0x20 != 0 { try r.skip(16, "object header times") }
        if flags & 0x10 != 0 { try r.skip(4, "object header attribute limits") }
        let chunkSize = try r.int(1 << Int(flags & 0x03), "object header chunk size")
        let tracksOrder = flags & 0x04 != 0
        return try messages(firstBlock: (r.offset, chunkSize), headerSize: 4 + (tracksOrder ? 2 : 0)) { b in
            let type = Int(try b.u8("message type"))
            let length = try b.u16("message size")
            let flags = try b.u8("message flags")
            if tracksOrder { try b.skip(2, "message order") }
            return (type, length, flags)
        } limit: { _ in false } continuationStart: { block in
            // Version 2 continuation blocks carry a signature and end with a checksum.
            var c = ByteReader(bytes, at: block.start)
            try c.expect("OCHK", "object header continuation")
            guard block.size >= 8 else { throw HDF5Error("damaged file: empty object header continuation") }
            return (block.start + 4, block.size - 8)
        }
    }

    // MARK: Groups

    /// The hard links of a group: from its symbol table or its link messages.
    private func links(_ messages: [Message]) throws -> [(String, Int)] {
        if let table = messages.first(where: { $0.type == 0x11 }) {
            var r = ByteReader(Array(table.body))
            let tree = try address(&r, "group B-tree")
            let heap = try address(&r, "group local heap")
            let names = try localHeap(at: heap)
            var result = [(String, Int)]()
            var visited = Set<Int>()
            try symbolTableEntries(tree: tree, level: nil, names: names, visited: &visited, into: &result)
            return result
        }
        if let info = messages.first(where: { $0.type == 0x02 }) {
            var r = ByteReader(Array(info.body))
            try r.skip(1, "link info version")
            let flags = try r.u8("link info flags")
            if flags & 0x01 != 0 { try r.skip(8, "link info") }
            if try optionalAddress(&r, "link fractal heap") != nil {
                throw HDF5Error("unsupported HDF5 feature: dense link storage (a group with many members written with libver='latest')")
            }
        }
        return try messages.filter { $0.type == 0x06 }.compactMap(parseLink)
    }

    private func parseLink(_ message: Message) throws -> (String, Int)? {
        var r = ByteReader(Array(message.body))
        let version = try r.u8("link version")
        guard version == 1 else { throw HDF5Error("damaged file: unknown link message version \(version)") }
        let flags = try r.u8("link flags")
        let type = flags & 0x08 != 0 ? try r.u8("link type") : 0
        if flags & 0x04 != 0 { try r.skip(8, "link creation order") }
        if flags & 0x10 != 0 { try r.skip(1, "link name encoding") }
        let nameLength = try r.int(1 << Int(flags & 0x03), "link name length")
        let name = String(decoding: try r.bytes(nameLength, "link name"), as: UTF8.self)
        guard type == 0 else { return nil }  // soft and external links are not followed
        return (name, try address(&r, "link target of '\(name)'"))
    }

    /// The data segment of a local heap.
    private func localHeap(at address: Int) throws -> ArraySlice<UInt8> {
        var r = ByteReader(bytes, at: address)
        try r.expect("HEAP", "local heap")
        try r.skip(4, "local heap")
        let size = try r.int(sizes.lengths, "local heap size")
        try r.skip(sizes.lengths, "local heap free list")
        var data = ByteReader(bytes, at: try self.address(&r, "local heap data"))
        return try data.bytes(size, "local heap data")
    }

    private func symbolTableEntries(
        tree: Int, level expected: Int?, names: ArraySlice<UInt8>, visited: inout Set<Int>,
        into result: inout [(String, Int)]
    ) throws {
        guard visited.insert(tree).inserted, visited.count < 100_000 else {
            throw HDF5Error("damaged file: group B-tree revisits the node at offset \(tree)")
        }
        var r = ByteReader(bytes, at: tree)
        try r.expect("TREE", "group B-tree")
        let type = try r.u8("B-tree node type")
        guard type == 0 else { throw HDF5Error("damaged file: B-tree node at offset \(tree) is not a group node") }
        let level = Int(try r.u8("B-tree level"))
        if let expected, level != expected {
            throw HDF5Error("damaged file: B-tree node at offset \(tree) has level \(level), expected \(expected)")
        }
        let entries = try r.u16("B-tree entries")
        try r.skip(2 * sizes.offsets, "B-tree siblings")
        for _ in 0..<entries {
            try r.skip(sizes.lengths, "B-tree key")
            let child = try address(&r, "B-tree child")
            if level > 0 {
                try symbolTableEntries(tree: child, level: level - 1, names: names, visited: &visited, into: &result)
            } else {
                try symbolNode(at: child, names: names, into: &result)
            }
        }
    }

    private func symbolNode(at address: Int, names: ArraySlice<UInt8>, into result: inout [(String, Int)]) throws {
        var r = ByteReader(bytes, at: address)
        try r.expect("SNOD", "symbol table node")
        try r.skip(2, "symbol table node")
        let count = try r.u16("symbol count")
        for _ in 0..<count {
            let nameOffset = try r.int(sizes.offsets, "symbol name")
            let object = try self.address(&r, "symbol object")
            try r.skip(24, "symbol cache")
            guard nameOffset < names.count else { throw HDF5Error("damaged file: a member name lies outside its local heap") }
            var n = ByteReader(Array(names), at: nameOffset)
            result.append((try n.cString(limit: names.count, "member name"), object))
        }
    }

    // MARK: Datasets and attributes

    private func parseDataset(_ messages: [Message], layout: Message, attributes: [String: HDF5Attribute]) throws -> HDF5Dataset {
        guard let space = messages.first(where: { $0.type == 0x01 }), let type = messages.first(where: { $0.type == 0x03 }) else {
            throw HDF5Error("damaged file: a dataset lacks its dataspace or datatype")
        }
        if space.flags & 0x02 != 0 || type.flags & 0x02 != 0 {
            throw HDF5Error("unsupported HDF5 feature: shared dataspace or datatype messages")
        }
        var s = ByteReader(Array(space.body)), t = ByteReader(Array(type.body))
        let shape = try dataspace(&s)
        let datatype = try HDF5Datatype.parse(&t)
        let storage = try parseLayout(Array(layout.body))
        return HDF5Dataset(shape: shape, datatype: datatype, attributes: attributes, storage: storage)
    }

    private func dataspace(_ r: inout ByteReader) throws -> [Int] {
        let version = try r.u8("dataspace version")
        let rank = Int(try r.u8("dataspace rank"))
        let flags = try r.u8("dataspace flags")
        guard rank <= Self.maximumRank else { throw HDF5Error("damaged file: dataspace of rank \(rank)") }
        switch version {
        case 1: try r.skip(5, "dataspace")
        case 2:
            let kind = try r.u8("dataspace type")
            if kind == 2 { return [0] }  // null dataspace: no elements
        default: throw HDF5Error("damaged file: unknown dataspace version \(version)")
        }
        var shape = [Int]()
        var total = 1
        for _ in 0..<rank {
            let extent = try r.int(sizes.lengths, "dataspace extent")
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= bytes.count * 8 + 1_000_000 else {
                throw HDF5Error("damaged file: dataspace extents \(shape + [extent]) are larger than the file could hold")
            }
            total = product
            shape.append(extent)
        }
        if flags & 0x01 != 0 { try r.skip(rank * sizes.lengths, "dataspace maximum extents") }
        return shape
    }

    private func parseLayout(_ body: [UInt8]) throws -> HDF5Dataset.Storage {
        var r = ByteReader(body)
        let version = try r.u8("layout version")
        let layoutClass: UInt8
        switch version {
        case 3, 4:
            layoutClass = try r.u8("layout class")
        case 1, 2:
            let rank = Int(try r.u8("layout rank"))
            layoutClass = try r.u8("layout class")
            try r.skip(5, "layout")
            if layoutClass != 0 {
                var w = r
                let storage = try contiguous(&w)
                try r.skip(sizes.offsets + rank * 4, "layout")
                if layoutClass == 1 { return storage }
            } else {
                try r.skip(rank * 4, "layout")
                let size = try r.u32("compact size")
                return .compact(try r.bytes(size, "compact data"))
            }
        default:
            throw HDF5Error("damaged file: unknown data layout version \(version)")
        }
        switch layoutClass {
        case 0: return .compact(try r.bytes(try r.u16("compact size"), "compact data"))
        case 1: return try contiguous(&r)
        default: throw HDF5Error("unsupported HDF5 feature: chunked or virtual dataset storage (layout class \(layoutClass))")
        }
    }

    private func contiguous(_ r: inout ByteReader) throws -> HDF5Dataset.Storage {
        guard let start = try optionalAddress(&r, "dataset data") else { return .unallocated }
        let size = (try? r.int(sizes.lengths, "dataset size")) ?? 0
        guard size <= bytes.count - start else {
            throw HDF5Error("damaged file: dataset data at offset \(start) runs \(size) bytes past the end of the file")
        }
        return .contiguous(offset: start, size: size)
    }

    private func parseAttribute(_ body: ArraySlice<UInt8>) throws -> (String, HDF5Attribute) {
        var r = ByteReader(Array(body))
        let version = try r.u8("attribute version")
        guard (1...3).contains(version) else { throw HDF5Error("damaged file: unknown attribute version \(version)") }
        let flags = try r.u8("attribute flags")
        if version > 1, flags & 0x03 != 0 { throw HDF5Error("unsupported HDF5 feature: shared attribute types") }
        let nameSize = try r.u16("attribute name size")
        let typeSize = try r.u16("attribute type size")
        let spaceSize = try r.u16("attribute space size")
        if version == 3 { try r.skip(1, "attribute name encoding") }
        let pad = { (n: Int) in version == 1 ? (n + 7) / 8 * 8 : n }
        var nameReader = ByteReader(Array(try r.bytes(pad(nameSize), "attribute name")))
        let name = try nameReader.cString(limit: nameSize, "attribute name")
        var typeReader = ByteReader(Array(try r.bytes(pad(typeSize), "attribute type")))
        let type = try HDF5Datatype.parse(&typeReader)
        var spaceReader = ByteReader(Array(try r.bytes(pad(spaceSize), "attribute space")))
        let shape = try dataspace(&spaceReader)
        let count = shape.reduce(1, *)
        let data = try r.bytes(try Self.byteCount(count, type.size), "attribute '\(name)' data")
        let value = try Self.decode(data, type: type, count: count, file: bytes, sizes: sizes)
        return (name, HDF5Attribute(shape: shape, value: value))
    }

    // MARK: Values

    /// The bytes of `count` values of `size` bytes, refused where the product overflows.
    static func byteCount(_ count: Int, _ size: Int) throws -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes >= 0 else { throw HDF5Error("damaged file: \(count) values of \(size) bytes are more than any file holds") }
        return bytes
    }

    /// An IEEE half-precision value (Keras' float16 weights).
    static func halfPrecision(_ bits: UInt16) -> Double {
        let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = fraction * 0x1p-24
        case 31: magnitude = fraction == 0 ? .infinity : .nan
        default: magnitude = (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
        return bits & 0x8000 != 0 ? -magnitude : magnitude
    }

    static func decode(_ raw: ArraySlice<UInt8>, type: HDF5Datatype, count: Int, file: [UInt8], sizes: Sizes) throws -> HDF5Array {
        var r = ByteReader(Array(raw))
        try r.check(try byteCount(count, type.size), "values")
        switch type {
        case .float(let size):
            return .floats(try (0..<count).map { _ in
                let bits = try r.uint(size, "float")
                switch size {
                case 2: return halfPrecision(UInt16(truncatingIfNeeded: bits))
                case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
                default: return Double(bitPattern: bits)
                }
            })
        case .integer(let size, let signed):
            return .integers(try (0..<count).map { _ in
                let bits = try r.uint(size, "integer")
                guard signed, size < 8 else { return Int64(bitPattern: bits) }
                let shift = UInt64(64 - 8 * size)
                return Int64(bitPattern: bits << shift) >> Int64(shift)
            })
        case .fixedString(let size):
            return .strings(try (0..<count).map { _ in
                let chunk = try r.bytes(size, "string")
                let end = chunk.firstIndex(of: 0) ?? chunk.endIndex
                var text = String(decoding: chunk[chunk.startIndex..<end], as: UTF8.self)
                while text.hasSuffix(" ") { text.removeLast() }
                return text
            })
        case .variableString:
            var heaps = [Int: [Int: ArraySlice<UInt8>]]()
            return .strings(try (0..<count).map { _ in
                let length = try r.u32("string length")
                let (collection, overflow) = try r.int(sizes.offsets, "global heap address").addingReportingOverflow(sizes.base)
                guard !overflow else { throw HDF5Error("damaged file: a global heap address is out of range") }
                let index = try r.u32("global heap index")
                if length == 0 { return "" }
                if heaps[collection] == nil { heaps[collection] = try globalHeap(at: collection, file: file, sizes: sizes) }
                guard let object = heaps[collection]?[index], object.count >= length else {
                    throw HDF5Error("damaged file: a string refers to a missing global heap object")
                }
                return String(decoding: object.prefix(length), as: UTF8.self)
            })
        }
    }

    /// The objects of the global heap collection at `address`, by index.
    static func globalHeap(at address: Int, file: [UInt8], sizes: Sizes) throws -> [Int: ArraySlice<UInt8>] {
        var r = ByteReader(file)
        try r.seek(to: address, "global heap")
        try r.expect("GCOL", "global heap")
        try r.skip(4, "global heap")
        let size = try r.int(sizes.lengths, "global heap size")
        // The size comes from the file: compared without adding, which could overflow.
        guard size >= 16, size <= file.count - address else { throw HDF5Error("damaged file: global heap at offset \(address) has a bad size") }
        let end = address + size
        var objects = [Int: ArraySlice<UInt8>]()
        while r.offset + 8 + sizes.lengths <= end {
            let index = try r.u16("global heap object")
            if index == 0 { break }
            try r.skip(6, "global heap object")
            let length = try r.int(sizes.lengths, "global heap object size")
            guard length <= end - r.offset else { throw HDF5Error("damaged file: a global heap object overruns its collection") }
            objects[index] = try r.bytes(length, "global heap object")
            r.align(to: 8, from: address)
        }
        return objects
    }
}
