import Foundation
import SwiftGRU

/// The `safetensors` format (PyTorch's and Hugging Face's weights files): an 8-byte header
/// length, a JSON header naming each tensor's dtype, shape and byte range, then the data.
public enum SafeTensors {
    /// The names of the tensors in a file, from its header alone.
    ///
    /// - Throws: ``FileFormatError`` for a damaged header.
    public static func names(in bytes: [UInt8]) throws -> [String] {
        try header(of: bytes).entries.keys.filter { $0 != "__metadata__" }.sorted()
    }

    private static func header(of bytes: [UInt8]) throws -> (entries: [String: JSONValue], dataStart: Int) {
        guard bytes.count >= 8 else { throw FileFormatError("not a safetensors file: shorter than its 8-byte header length") }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard length <= UInt64(bytes.count - 8) else { throw FileFormatError("damaged safetensors file: the header runs past the end") }
        let dataStart = 8 + Int(length)
        let header = try JSONValue(parsing: Array(bytes[8..<dataStart]), what: "the safetensors header")
        guard let entries = header.object else { throw FileFormatError("damaged safetensors file: the header is not an object") }
        return (entries, dataStart)
    }

    /// The tensors of a file whose names `wanted` accepts (all by default), by name, as Float
    /// (F32, F64, F16 and BF16 are read); the others are not read, whatever their dtype.
    ///
    /// - Throws: ``FileFormatError`` for a damaged header, a byte range outside the data or
    ///   that does not fit its shape, or an unsupported dtype of a wanted tensor.
    public static func tensors(in bytes: [UInt8], where wanted: (String) -> Bool = { _ in true }) throws -> [String: Tensor<Float>] {
        let (entries, dataStart) = try header(of: bytes)
        let dataCount = bytes.count - dataStart
        var tensors = [String: Tensor<Float>]()
        for (name, entry) in entries where name != "__metadata__" && wanted(name) {
            guard let dtype = entry["dtype"]?.string, let shape = entry["shape"]?.array?.compactMap(\.int),
                  shape.count == entry["shape"]?.array?.count, let offsets = entry["data_offsets"]?.array?.compactMap(\.int),
                  offsets.count == 2 else {
                throw FileFormatError("damaged safetensors file: tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            let count: Int
            do { count = try WeightLimits.scalarCount(of: shape) } catch let error as LayerError {
                throw FileFormatError("tensor '\(name)': \(error.message)")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            case "F16", "BF16": width = 2
            default: throw FileFormatError("tensor '\(name)' has dtype \(dtype); F32, F64, F16 and BF16 are read")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataCount, count <= (end - begin) / width, end - begin == count * width else {
                throw FileFormatError("damaged safetensors file: tensor '\(name)' of shape \(shape) \(dtype) has bytes \(begin)..<\(end) of \(dataCount)")
            }
            let base = dataStart + begin
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let at = base + i * width
                var word: UInt64 = 0
                for k in 0..<width { word |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
                switch dtype {
                case "F32": values[i] = Float(bitPattern: UInt32(word))
                case "F64": values[i] = Float(Double(bitPattern: word))
                case "F16": values[i] = Float(Float16(bitPattern: UInt16(word)))
                default: values[i] = Float(bitPattern: UInt32(word) << 16)
                }
            }
            tensors[name] = try Tensor(shape: shape, scalars: values)
        }
        return tensors
    }

    /// The bytes of a safetensors file holding `tensors` as F32, in name order.
    ///
    /// - Throws: ``FileFormatError`` when the header cannot be written.
    public static func bytes(_ tensors: [String: Tensor<Float>], metadata: [String: String] = [:]) throws -> [UInt8] {
        var header: [String: JSONValue] = [:]
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var data = [UInt8]()
        for name in tensors.keys.sorted() {
            guard let tensor = tensors[name] else { continue }
            let begin = data.count
            for value in tensor.scalars { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
            header[name] = ["dtype": "F32", "shape": .array(tensor.shape.map { .integer($0) }), "data_offsets": [.integer(begin), .integer(data.count)]]
        }
        var text = JSONValue.object(header).encoded()
        // The data starts on an 8-byte boundary, as the format's writers pad it.
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        let length = UInt64(text.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + text + data
    }
}
