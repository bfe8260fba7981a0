/// The element types this library reads and writes: the ones h5py uses for
/// numbers and strings.
public enum HDF5Datatype: Sendable, Hashable {
    /// Little-endian IEEE float of 2, 4 or 8 bytes (the writer writes 4 and 8).
    case float(size: Int)
    /// Little-endian two's-complement integer of 1, 2, 4 or 8 bytes.
    case integer(size: Int, signed: Bool)
    /// Fixed-length string of `size` bytes, NUL- or space-padded.
    case fixedString(size: Int)
    /// Variable-length string stored in the global heap.
    case variableString

    /// The size of one element in the file.
    public var size: Int {
        switch self {
        case .float(let size), .integer(let size, _), .fixedString(let size): size
        case .variableString: 16
        }
    }

    /// Reads a datatype message body.
    static func parse(_ reader: inout ByteReader, depth: Int = 0) throws -> HDF5Datatype {
        guard depth < 4 else { throw HDF5Error("damaged file: datatype nested too deeply") }
        let classAndVersion = try reader.u8("datatype class")
        let bits0 = try reader.u8("datatype bit field")
        _ = try reader.u8("datatype bit field")
        _ = try reader.u8("datatype bit field")
        let size = try reader.u32("datatype size")
        let typeClass = classAndVersion & 0x0F
        switch typeClass {
        case 0:  // fixed-point
            try reader.skip(4, "integer properties")
            guard bits0 & 1 == 0 else { throw HDF5Error("unsupported HDF5 datatype: big-endian integers") }
            guard [1, 2, 4, 8].contains(size) else { throw HDF5Error("unsupported HDF5 datatype: \(size)-byte integers") }
            return .integer(size: size, signed: bits0 & 0x08 != 0)
        case 1:  // floating-point
            try reader.skip(12, "float properties")
            guard bits0 & 0x41 == 0 else { throw HDF5Error("unsupported HDF5 datatype: big-endian or VAX floats") }
            guard size == 2 || size == 4 || size == 8 else { throw HDF5Error("unsupported HDF5 datatype: \(size)-byte floats") }
            return .float(size: size)
        case 3:  // string
            guard size > 0 else { throw HDF5Error("damaged file: empty fixed-length string type") }
            return .fixedString(size: size)
        case 8:  // enumeration (h5py's bool): read as its base integer; member names follow
            return try parse(&reader, depth: depth + 1)
        case 9:  // variable-length
            guard bits0 & 0x0F == 1 else { throw HDF5Error("unsupported HDF5 datatype: variable-length sequences") }
            _ = try parse(&reader, depth: depth + 1)
            return .variableString
        default:
            throw HDF5Error("unsupported HDF5 datatype class \(typeClass)")
        }
    }

    /// The message body describing this type; `nil` for variable-length strings, which
    /// the writer does not produce.
    func encoded() -> [UInt8]? {
        var out = [UInt8]()
        func u32(_ v: Int) { for i in 0..<4 { out.append(UInt8((v >> (8 * i)) & 0xFF)) } }
        switch self {
        case .integer(let size, let signed):
            out += [0x10, signed ? 0x08 : 0x00, 0, 0]
            u32(size)
            out += [0, 0, UInt8(size * 8 & 0xFF), UInt8(size * 8 >> 8)]
        case .float(let size):
            out += [0x11, 0x20, size == 4 ? 31 : 63, 0]
            u32(size)
            if size == 4 {
                out += [0, 0, 32, 0, 23, 8, 0, 23] + [127, 0, 0, 0]
            } else {
                out += [0, 0, 64, 0, 52, 11, 0, 52] + [0xFF, 0x03, 0, 0]
            }
        case .fixedString(let size):
            out += [0x13, 0x01, 0, 0]  // NUL-padded ASCII, as h5py writes numpy bytes
            u32(size)
        case .variableString:
            return nil
        }
        return out
    }
}
