import SwiftGRU

extension OperationDeclarations {
    /// `ExpandDims`, `Squeeze`, `Transpose`, `Reshape` and `Cast`.
    static let shapes: [OperationDeclaration] = ["ExpandDims", "Squeeze", "Transpose", "Reshape", "Cast"].map { className in
        OperationDeclaration(
            className: className, module: className == "Cast" ? "keras.src.ops.core" : "keras.src.ops.numpy",
            decode: { c, _, name, _ in
                func integers(_ key: String) throws -> [Int]? {
                    guard let value = c[key], !value.isNull else { return nil }
                    if let one = value.int { return [one] }
                    guard let list = value.array, let values = Optional(list.compactMap(\.int)), values.count == list.count else {
                        throw FileFormatError("operation '\(name)' (\(className)): \(key) \(value) is not a number or a list of numbers")
                    }
                    return values
                }
                let kind: ShapeOperation<Float>.Kind
                switch className {
                case "ExpandDims":
                    guard let axis = try integers("axis"), axis.count == 1 else { throw FileFormatError("operation '\(name)' (ExpandDims) needs one axis") }
                    kind = .expandDims(axis: axis[0])
                case "Squeeze": kind = .squeeze(axes: try integers("axis"))
                case "Transpose":
                    guard let axes = try integers("axes") else { throw FileFormatError("operation '\(name)' (Transpose): reversing every axis, the batch's included, is not supported") }
                    kind = .transpose(axes: axes)
                case "Reshape":
                    guard let shape = try integers("newshape") else { throw FileFormatError("operation '\(name)' (Reshape) has no newshape") }
                    kind = .reshape(shape: shape)
                default:
                    let text = c["dtype"]?.string ?? c["dtype"]?["config"]?["name"]?.string ?? "?"
                    guard let dtype = DType(rawValue: text) else {
                        throw FileFormatError("operation '\(name)' (Cast): a cast to \(text) is not supported (\(DType.names) are)")
                    }
                    kind = .cast(dtype)
                }
                return ShapeOperation<Float>(kind, name: name)
            },
            matches: { layer in
                guard let operation = layer as? ShapeOperation<Float> else { return false }
                switch operation.kind {
                case .expandDims: return className == "ExpandDims"
                case .squeeze: return className == "Squeeze"
                case .transpose: return className == "Transpose"
                case .reshape: return className == "Reshape"
                case .cast: return className == "Cast"
                }
            },
            encode: { layer, tensors in
                guard let operation = layer as? ShapeOperation<Float> else { return nil }
                let config: [String: JSONValue] = switch operation.kind {
                case .expandDims(let axis): ["axis": .integer(axis)]
                case .squeeze(let axes): ["axis": axes.map { $0.count == 1 ? .integer($0[0]) : KerasConfigEncoder.integers($0) } ?? .null]
                case .transpose(let axes): ["axes": KerasConfigEncoder.integers(axes)]
                case .reshape(let shape): ["newshape": KerasConfigEncoder.integers(shape)]
                case .cast(let dtype): ["dtype": .string(dtype.rawValue)]
                }
                return (config, tensors)
            },
            onnx: ONNXEmitter.of(ShapeOperation<Float>.self) { e, operation, call in
                let x = call.x.name, rank = call.inputRank
                let output: String = switch operation.kind {
                case .expandDims(let axis): e.graph.op("Unsqueeze", [x, e.graph.int64s([axis < 0 ? axis + rank + 1 : axis], "axes")])
                case .squeeze(let axes?): e.graph.op("Squeeze", [x, e.graph.int64s(axes.map { $0 < 0 ? $0 + rank : $0 }, "axes")])
                case .squeeze(nil): throw e.fail(operation, "squeezing every axis of extent 1 has no exact ONNX form here (a batch of 1 would go too); name the axes")
                case .transpose(let axes): e.graph.op("Transpose", [x], [("perm", .ints(axes))])
                case .reshape(let shape): e.graph.op("Reshape", [x, e.graph.int64s(shape, "shape")])
                // Converted to the type and back to float32, as the layer keeps its values.
                case .cast(let dtype):
                    if let type = onnxTypes[dtype] {
                        e.graph.op("Cast", [e.graph.op("Cast", [x], [("to", .int(type))])], [("to", .int(1))])
                    } else {
                        e.graph.op("Identity", [x])
                    }
                }
                return [ONNXValue(name: output)]
            })
    }
}

/// ONNX's element type of each dtype a cast converts to (float32 and float64 need none).
private let onnxTypes: [DType: Int] = [
    .float16: 10, .bfloat16: 16, .bool: 9, .int8: 3, .int16: 5, .int32: 6, .int64: 7, .uint8: 2, .uint16: 4, .uint32: 12, .uint64: 13,
]
