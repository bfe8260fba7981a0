import Foundation
import GRUTensor

extension NumPyArray {
    /// Parses the bytes of a `.npy` file (format versions 1 to 3).
    ///
    /// - Throws: ``FileFormatError`` for a damaged file, an unsupported type or a
    ///   data length that does not match the shape.
    public init(npy bytes: [UInt8]) throws {
        let layout = try Self.npyLayout(bytes)
        let (descriptor, fortranOrder, shape, count, width) = (layout.descriptor, layout.fortranOrder, layout.shape, layout.count, layout.width)
        let data = bytes[layout.dataStart...]
        guard count <= data.count / width, data.count == count * width else {
            // The message must not multiply either: count may be near Int.max.
            throw FileFormatError("damaged .npy file: shape \(shape) of \(descriptor) needs \(count) values of \(width) bytes, the file has \(data.count) data bytes")
        }
        func word(_ i: Int) -> UInt64 {
            let base = data.startIndex + i * width
            var value: UInt64 = 0
            for k in 0..<width { value |= UInt64(data[base + k]) << (8 * UInt64(k)) }
            return value
        }
        // Fortran order: the data is the transpose, with the shape reversed.
        let stored = fortranOrder ? Array(shape.reversed()) : shape
        func make<T>(_ convert: (UInt64) -> T) throws -> Tensor<T> {
            let t = try Tensor(shape: stored, scalars: (0..<count).map { convert(word($0)) })
            return fortranOrder ? try t.transposed(Array((0..<shape.count).reversed())) : t
        }
        switch descriptor {
        case "<f4": self = .float32(try make { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) })
        case "<f8": self = .float64(try make { Double(bitPattern: $0) })
        case "<i4": self = .int32(try make { Int32(truncatingIfNeeded: $0) })
        case "<i8": self = .int64(try make { Int64(bitPattern: $0) })
        default: self = .bool(try make { $0 != 0 })
        }
    }

    /// The signature and header of a version 1 `.npy` file in C order, padded so that the
    /// data starts on a 64-byte boundary.
    static func npyHeader(descriptor: String, shape: [Int]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        return out
    }

    /// What a `.npy` header says, from the first bytes of the file (the whole header at least):
    /// the dtype, the order, the shape, the number of values (checked not to overflow), the
    /// bytes per value and where the data starts.
    ///
    /// - Throws: ``FileFormatError`` for a damaged header or an unsupported dtype.
    static func npyLayout(_ bytes: [UInt8]) throws -> (descriptor: String, fortranOrder: Bool, shape: [Int], count: Int, width: Int, dataStart: Int) {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual(magic) else {
            throw FileFormatError("not a .npy file: the NumPy signature is missing")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw FileFormatError("damaged .npy file: truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw FileFormatError("unsupported .npy format version \(major)")
        }
        guard headerLength <= bytes.count - headerStart else { throw FileFormatError("damaged .npy file: the header runs past the end") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let (descriptor, fortranOrder, shape) = try Self.parseHeader(header)
        let count = try shape.reduce(1) { total, extent in
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow, extent >= 0 else { throw FileFormatError("damaged .npy file: shape \(shape) is too large") }
            return product
        }
        let width: Int
        switch descriptor {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        case "|b1": width = 1
        default:
            throw FileFormatError("unsupported .npy dtype '\(descriptor)'; supported: float32 <f4, float64 <f8, int32 <i4, int64 <i8, bool |b1")
        }
        return (descriptor, fortranOrder, shape, count, width, headerStart + headerLength)
    }

    /// Reads `descr`, `fortran_order` and `shape` from a header dictionary.
    static func parseHeader(_ header: String) throws -> (String, Bool, [Int]) {
        func value(after key: String) throws -> Substring {
            guard let range = header.range(of: "'\(key)'") else {
                throw FileFormatError("damaged .npy file: the header has no '\(key)'")
            }
            var rest = header[range.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw FileFormatError("damaged .npy file: bad header near '\(key)'") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        let descrValue = try value(after: "descr")
        guard let quote = descrValue.first, quote == "'" || quote == "\"",
              let close = descrValue.dropFirst().firstIndex(of: quote) else {
            throw FileFormatError("unsupported .npy dtype: structured arrays are not supported")
        }
        let descriptor = String(descrValue[descrValue.index(after: descrValue.startIndex)..<close])
        let fortran = try value(after: "fortran_order").hasPrefix("True")
        let shapeValue = try value(after: "shape")
        guard shapeValue.first == "(", let end = shapeValue.firstIndex(of: ")") else {
            throw FileFormatError("damaged .npy file: bad shape in the header")
        }
        let inside = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<end]
        let shape = try inside.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }.map { part -> Int in
            guard let extent = Int(part), extent >= 0 else { throw FileFormatError("damaged .npy file: bad extent '\(part)' in the shape") }
            return extent
        }
        return (descriptor, fortran, shape)
    }

    /// The bytes of a version 1 `.npy` file holding this array in C order.
    public func npyBytes() -> [UInt8] {
        var out = [UInt8](Self.npyHeader(descriptor: descriptor, shape: shape))
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        switch self {
        case .float32(let t): for v in t.scalars { append(v.bitPattern) }
        case .float64(let t): for v in t.scalars { append(v.bitPattern) }
        case .int32(let t): for v in t.scalars { append(v) }
        case .int64(let t): for v in t.scalars { append(v) }
        case .bool(let t): out += t.scalars.map { $0 ? 1 : 0 }
        }
        return out
    }

    /// Reads the arrays of an `.npz` archive, in archive order, named without `.npy`.
    ///
    /// - Throws: ``FileFormatError`` for a damaged archive or member.
    public static func arrays(npz bytes: [UInt8]) throws -> [(name: String, array: NumPyArray)] {
        let archive = try ZipArchive(bytes: bytes)
        return try archive.entries.map { entry in
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            return (name, try NumPyArray(npy: archive.contents(of: entry)))
        }
    }

    /// The bytes of an `.npz` archive (stored, like `numpy.savez`) holding the arrays.
    ///
    /// - Throws: ``FileFormatError`` when an array is too large for the archive.
    public static func npzBytes(_ arrays: [(name: String, array: NumPyArray)]) throws -> [UInt8] {
        try ZipArchive.encode(arrays.map { ($0.name + ".npy", $0.array.npyBytes()) })
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        drop { $0 == " " }.reversed().drop { $0 == " " }.reversed().reduce(into: Substring()) { $0.append($1) }
    }
}
