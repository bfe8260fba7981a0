import Foundation

/// A zip archive in memory: reads stored and deflated entries (zip64 too) and
/// writes stored entries, as Keras and NumPy do.
///
/// Reading checks every offset, size and checksum and caps inflation, so a
/// damaged archive throws ``FileFormatError``.
public struct ZipArchive: Sendable {
    /// One member of the archive.
    public struct Entry: Sendable {
        public let name: String
        let method: Int
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    /// The members, in the archive's order.
    public private(set) var entries: [Entry] = []
    private let bytes: [UInt8]
    /// The largest entry this reader inflates (1 GiB).
    static let maximumEntrySize = 1 << 30

    /// Opens an archive from its bytes.
    ///
    /// - Throws: ``FileFormatError`` when the bytes are not a readable zip archive.
    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        self.entries = try readCentralDirectory()
    }

    /// The names of the members.
    public var names: [String] { entries.map(\.name) }

    /// The uncompressed contents of the member called `name`.
    ///
    /// - Throws: ``FileFormatError`` when there is no such member or it is damaged.
    public func contents(of name: String) throws -> [UInt8] {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw FileFormatError("the archive has no member '\(name)'")
        }
        return try contents(of: entry)
    }

    /// The uncompressed contents of `entry`.
    ///
    /// - Throws: ``FileFormatError`` when the member is damaged or uses an unsupported method.
    public func contents(of entry: Entry) throws -> [UInt8] {
        let header = entry.localHeaderOffset
        guard try u32(header) == 0x0403_4B50 else { throw damaged("member '\(entry.name)' has no local header") }
        let start = header + 30 + (try u16(header + 26)) + (try u16(header + 28))
        guard entry.compressedSize <= bytes.count - min(start, bytes.count), start <= bytes.count else {
            throw damaged("member '\(entry.name)' runs past the end of the archive")
        }
        let raw = bytes[start..<(start + entry.compressedSize)]
        guard entry.uncompressedSize <= Self.maximumEntrySize else {
            throw FileFormatError("member '\(entry.name)' is larger than \(Self.maximumEntrySize) bytes")
        }
        let data: [UInt8]
        switch entry.method {
        case 0: data = Array(raw)
        case 8: data = try Inflate.decompress(raw, limit: entry.uncompressedSize)
        default: throw FileFormatError("member '\(entry.name)' uses compression method \(entry.method); only stored and deflate are supported")
        }
        guard data.count == entry.uncompressedSize, CRC32.checksum(data) == entry.crc else {
            throw damaged("member '\(entry.name)' fails its size or CRC check")
        }
        return data
    }

    // MARK: Reading

    private func damaged(_ what: String) -> FileFormatError { FileFormatError("damaged zip archive: \(what)") }

    private func read(_ offset: Int, _ size: Int) throws -> UInt64 {
        guard offset >= 0, size <= bytes.count, offset <= bytes.count - size else {
            throw damaged("a record at offset \(offset) lies past the end (\(bytes.count) bytes)")
        }
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    private func u16(_ offset: Int) throws -> Int { Int(try read(offset, 2)) }
    private func u32(_ offset: Int) throws -> Int { Int(try read(offset, 4)) }
    private func u64(_ offset: Int) throws -> Int {
        let value = try read(offset, 8)
        guard value <= UInt64(Int32.max) * 1024 else { throw damaged("a size or offset is out of range") }
        return Int(value)
    }

    private func readCentralDirectory() throws -> [Entry] {
        guard bytes.count >= 22 else { throw FileFormatError("not a zip archive: only \(bytes.count) bytes") }
        var end = -1
        var position = bytes.count - 22
        while position >= max(0, bytes.count - 22 - 65_535) {
            if bytes[position] == 0x50, try u32(position) == 0x0605_4B50 { end = position; break }
            position -= 1
        }
        guard end >= 0 else { throw FileFormatError("not a zip archive: no end of central directory record") }
        var count = try u16(end + 10)
        var directorySize = try u32(end + 12)
        var directoryOffset = try u32(end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            guard end >= 20, try u32(end - 20) == 0x0706_4B50 else { throw damaged("zip64 locator missing") }
            let record = try u64(end - 12)
            guard try u32(record) == 0x0606_4B50 else { throw damaged("zip64 end record missing") }
            count = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset, count <= directorySize / 46 + 1 else {
            throw damaged("the central directory lies outside the archive")
        }
        var entries = [Entry]()
        var p = directoryOffset
        for _ in 0..<count {
            guard try u32(p) == 0x0201_4B50 else { throw damaged("bad central directory entry at offset \(p)") }
            let method = try u16(p + 10)
            let crc = UInt32(try u32(p + 16))
            var compressed = try u32(p + 20)
            var uncompressed = try u32(p + 24)
            let nameLength = try u16(p + 28), extraLength = try u16(p + 30), commentLength = try u16(p + 32)
            var local = try u32(p + 42)
            guard p + 46 + nameLength <= bytes.count else { throw damaged("an entry name runs past the end") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            // Zip64 extra field: the 64-bit values of the fields that are saturated.
            var extra = p + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra), size = try u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(field); field += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(field) }
                }
                extra += 4 + size
            }
            entries.append(Entry(name: name, method: method, crc: crc, compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: local))
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    // MARK: Writing

    /// The bytes of an archive holding `members` stored (uncompressed), in order.
    ///
    /// - Throws: ``FileFormatError`` when a member is too large for a plain zip archive.
    public static func encode(_ members: [(name: String, data: [UInt8])]) throws -> [UInt8] {
        var out = [UInt8]()
        var directory = [UInt8]()
        func le(_ value: Int, _ size: Int) -> [UInt8] { (0..<size).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        // 1980-01-01 00:00 in DOS time, so that archives are reproducible.
        let time = le(0, 2), date = le(0x21, 2)
        for member in members {
            guard member.data.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else {
                throw FileFormatError("member '\(member.name)' is too large to store without zip64")
            }
            let name = Array(member.name.utf8)
            let crc = Int(CRC32.checksum(member.data))
            let offset = out.count
            let common = le(20, 2) + le(0, 2) + le(0, 2) + time + date + le(crc, 4) + le(member.data.count, 4) + le(member.data.count, 4) + le(name.count, 2) + le(0, 2)
            out += le(0x0403_4B50, 4) + common + name + member.data
            directory += le(0x0201_4B50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + name
        }
        let directoryOffset = out.count
        out += directory
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(members.count, 2) + le(members.count, 2)
        out += le(directory.count, 4) + le(directoryOffset, 4) + le(0, 2)
        return out
    }
}
