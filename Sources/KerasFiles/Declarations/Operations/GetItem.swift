import SwiftGRU

extension OperationDeclarations {
    /// `GetItem`: `x[key]` with indices, slices and an ellipsis.
    static let getItem = OperationDeclaration(
        className: "GetItem", module: "keras.src.ops.numpy",
        decode: { _, arguments, name, _ in
            guard arguments.count == 2 else { throw FileFormatError("operation '\(name)' (GetItem) takes a tensor and a key") }
            let key = arguments[1].array ?? [arguments[1]]
            let items = try key.map { item -> GetItem<Float>.Item in
                if let index = item.int { return .index(index) }
                switch item["class_name"]?.string {
                case "__slice__":
                    let c = item["config"]
                    func bound(_ key: String) throws -> Int? {
                        guard let value = c?[key], !value.isNull else { return nil }
                        guard let number = value.int else { throw FileFormatError("operation '\(name)': slice \(key) \(value) is not a whole number") }
                        return number
                    }
                    return .slice(start: try bound("start"), stop: try bound("stop"), step: try bound("step"))
                case "__ellipsis__": return .ellipsis
                default: throw FileFormatError("operation '\(name)' (GetItem): the key item \(item) is not supported (indices, slices and ... are)")
                }
            }
            do { return try GetItem<Float>(items, name: name) } catch let error as LayerError {
                throw FileFormatError("operation '\(name)': \(error.message)", underlying: error)
            }
        },
        matches: { $0 is GetItem<Float> },
        encode: { layer, tensors in
            guard let getItem = layer as? GetItem<Float> else { return nil }
            let key = getItem.items.map { item -> JSONValue in
                switch item {
                case .all: return ["class_name": "__slice__", "config": ["start": nil, "stop": nil, "step": nil]]
                case .index(let i): return .integer(i)
                case .slice(let start, let stop, let step):
                    return ["class_name": "__slice__", "config": [
                        "start": start.map(JSONValue.integer) ?? .null, "stop": stop.map(JSONValue.integer) ?? .null,
                        "step": step.map(JSONValue.integer) ?? .null,
                    ]]
                case .ellipsis: return ["class_name": "__ellipsis__", "config": [:]]
                }
            }
            return ([:], tensors + [.array(key)])
        },
        onnx: ONNXEmitter.of(GetItem<Float>.self) { e, getItem, call in
            // Each item after the batch's as a Slice along its axis; indices then squeezed away.
            let rank = call.inputRank
            let explicit = getItem.items.filter { $0 != .ellipsis }.count
            var items = [GetItem<Float>.Item]()
            for item in getItem.items { items += item == .ellipsis ? Array(repeating: .all, count: rank - explicit) : [item] }
            var output = call.x.name, squeezed = [Int]()
            let end = Int(Int64.max), start = Int(Int64.min)
            for (axis, item) in items.enumerated() where axis > 0 {
                let (from, to, step): (Int, Int, Int)
                switch item {
                case .all, .ellipsis: continue
                case .index(let i):
                    (from, to, step) = (i, i == -1 ? end : i + 1, 1)
                    squeezed.append(axis)
                case .slice(let begin, let stop, let by):
                    let by = by ?? 1
                    (from, to, step) = (begin ?? (by > 0 ? 0 : end), stop ?? (by > 0 ? end : start), by)
                }
                output = e.graph.op("Slice", [
                    output, e.graph.int64s([from], "starts"), e.graph.int64s([to], "ends"), e.graph.int64s([axis], "axes"), e.graph.int64s([step], "steps"),
                ])
            }
            if !squeezed.isEmpty { output = e.graph.op("Squeeze", [output, e.graph.int64s(squeezed, "axes")]) }
            return [ONNXValue(name: output)]
        })
}
