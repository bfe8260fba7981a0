/// Bounds-checked little-endian reads over the bytes of a file.
///
/// Every read checks its offset and length first and throws instead of
/// trapping, so damaged files fail cleanly.
struct ByteReader {
    let bytes: [UInt8]
    /// The current position.
    var offset: Int

    init(_ bytes: [UInt8], at offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func check(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, offset >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw HDF5Error("truncated or damaged file: \(what()) at offset \(offset) needs \(count) bytes, the file has \(bytes.count)")
        }
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "data") throws {
        try check(count, what())
        offset += count
    }

    mutating func seek(to position: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, position <= bytes.count else {
            throw HDF5Error("damaged file: \(what()) points to offset \(position), beyond the end of the file (\(bytes.count) bytes)")
        }
        offset = position
    }

    mutating func u8(_ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        try check(1, what())
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An unsigned little-endian integer of `size` bytes (1 to 8).
    mutating func uint(_ size: Int, _ what: @autoclosure () -> String = "integer") throws -> UInt64 {
        guard (1...8).contains(size) else { throw HDF5Error("unsupported integer size \(size) for \(what())") }
        try check(size, what())
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += size
        return value
    }

    mutating func u16(_ what: @autoclosure () -> String = "integer") throws -> Int { Int(try uint(2, what())) }
    mutating func u32(_ what: @autoclosure () -> String = "integer") throws -> Int { Int(try uint(4, what())) }

    /// An integer of `size` bytes that must fit in `Int` and be usable as a size or offset.
    mutating func int(_ size: Int, _ what: @autoclosure () -> String) throws -> Int {
        let value = try uint(size, what())
        guard value <= UInt64(Int.max) else { throw HDF5Error("damaged file: \(what()) is out of range (\(value))") }
        return Int(value)
    }

    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws -> ArraySlice<UInt8> {
        try check(count, what())
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func expect(_ signature: String, _ what: String) throws {
        let found = try bytes(signature.utf8.count, what)
        guard found.elementsEqual(signature.utf8) else {
            throw HDF5Error("damaged file: expected \(what) signature '\(signature)' at offset \(offset - signature.utf8.count)")
        }
    }

    /// A NUL-terminated string starting at the current offset, at most `limit` bytes.
    mutating func cString(limit: Int, _ what: @autoclosure () -> String) throws -> String {
        let end = min(bytes.count, offset + max(0, limit))
        guard let nul = bytes[offset..<end].firstIndex(of: 0) else {
            throw HDF5Error("damaged file: \(what()) at offset \(offset) is not terminated")
        }
        defer { offset = nul + 1 }
        return String(decoding: bytes[offset..<nul], as: UTF8.self)
    }

    mutating func align(to boundary: Int, from base: Int) {
        let used = offset - base
        offset += (boundary - used % boundary) % boundary
    }
}
