import Foundation

/// Protocol Buffers' wire format, for the few ONNX messages the exporter writes and its tests
/// read back. Written by hand rather than generated with swift-protobuf: the exporter needs
/// eight message types of onnx.proto and no reflection, against a generated file of thousands
/// of lines and a code generator to build.
struct ProtobufWriter {
    private(set) var bytes = [UInt8]()

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func int(_ field: Int, _ value: Int) {
        key(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        data(field, inner.bytes)
    }

    /// Repeated integers, packed (as proto3 writes them).
    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var inner = ProtobufWriter()
        for value in values { inner.varint(UInt64(bitPattern: Int64(value))) }
        data(field, inner.bytes)
    }

    /// Repeated floats, packed.
    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var raw = [UInt8]()
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw += $0 } }
        data(field, raw)
    }
}

/// Reads the fields of one Protocol Buffers message: numbers and length-delimited bytes.
struct ProtobufReader {
    enum Value: Equatable {
        case number(UInt64)
        case bytes([UInt8])

        var int: Int? { if case .number(let v) = self { return Int(truncatingIfNeeded: Int64(bitPattern: v)) }; return nil }
        var data: [UInt8]? { if case .bytes(let b) = self { return b }; return nil }
        var string: String? { data.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Every field in order, as (field number, value).
    static func fields(_ bytes: [UInt8]) throws -> [(Int, Value)] {
        var fields = [(Int, Value)](), at = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard at < bytes.count, shift < 64 else { throw FileFormatError("damaged protobuf: a number runs past the end") }
                let byte = bytes[at]
                at += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while at < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((field, .number(try varint())))
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard bytes.count - at >= width else { throw FileFormatError("damaged protobuf: a fixed number runs past the end") }
                fields.append((field, .number((0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) })))
                at += width
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - at) else { throw FileFormatError("damaged protobuf: a field runs past the end") }
                fields.append((field, .bytes(Array(bytes[at..<(at + Int(length))]))))
                at += Int(length)
            default:
                throw FileFormatError("damaged protobuf: wire type \(key & 7)")
            }
        }
        return fields
    }
}
