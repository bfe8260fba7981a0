import SwiftGRU

extension OperationDeclarations {
    /// `Mean`, `Max`, `Min`, `Sum` over given axes.
    static let reductions: [OperationDeclaration] = Reduction<Float>.Kind.allCases.map { kind in
        OperationDeclaration(
            className: kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst(), module: "keras.src.ops.numpy",
            decode: { c, _, name, _ in
                if let initial = c["initial"], !initial.isNull { throw FileFormatError("operation '\(name)': initial \(initial) is not supported") }
                return try Reduction<Float>(kind, axes: c.axes("axis", operation: name), keepdims: c["keepdims"]?.bool ?? false, name: name)
            },
            matches: { ($0 as? Reduction<Float>)?.kind == kind },
            encode: { layer, tensors in
                guard let reduction = layer as? Reduction<Float>, reduction.kind == kind else { return nil }
                var config: [String: JSONValue] = [
                    "axis": reduction.axes.count == 1 ? .integer(reduction.axes[0]) : KerasConfigEncoder.integers(reduction.axes),
                    "keepdims": .bool(reduction.keepdims),
                ]
                if kind == .max || kind == .min { config["initial"] = .null }
                return (config, tensors)
            },
            onnx: ONNXEmitter.of(Reduction<Float>.self) { e, reduction, call in
                let op = ["mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin", "sum": "ReduceSum"][reduction.kind.rawValue] ?? "ReduceSum"
                let keep = reduction.keepdims ? 1 : 0
                // Opset 17: ReduceSum takes its axes as an input, the others as an attribute.
                let output = reduction.kind == .sum
                    ? e.graph.op(op, [call.x.name, e.graph.int64s(reduction.axes)], [("keepdims", .int(keep))])
                    : e.graph.op(op, [call.x.name], [("axes", .ints(reduction.axes)), ("keepdims", .int(keep))])
                return [ONNXValue(name: output)]
            })
    }
}
