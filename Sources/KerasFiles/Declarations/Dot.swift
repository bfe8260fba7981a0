import SwiftGRU

extension LayerDeclaration {
    static let dot = LayerDeclaration(
        classNames: ["Dot"],
        decode: { c, name, decoder in try Dot<Float>(axes: decoder.axes(c["axes"], fallback: []), normalize: c["normalize"]?.bool ?? false, name: name) },
        matches: { $0 is Dot<Float> },
        encode: { layer in
            guard let dot = layer as? Dot<Float> else { return nil }
            let axes: JSONValue = dot.givenAxes.count == 1 ? .integer(dot.givenAxes[0]) : KerasConfigEncoder.integers(dot.givenAxes)
            return ["axes": axes, "normalize": .bool(dot.normalize)]
        },
        onnx: .dot)
}

extension ONNXEmitter {
    static let dot = ONNXEmitter.of(Dot<Float>.self) { e, dot, call in
        [ONNXValue(name: try e.dot(dot, call.inputs.map(\.name), rank: call.inputRank))]
    }
}

extension ONNXExporter {
    /// Dot of two `(batch, ...)` tensors along one axis each (rank 2 or 3), L2-normalized first
    /// with `normalize` as Keras' `l2_normalize` (its 1e-12 floor included).
    mutating func dot(_ dot: Dot<Float>, _ names: [String], rank: Int) throws -> String {
        guard names.count == 2, rank == 2 || rank == 3 else { throw fail(dot, "only two inputs of rank 2 or 3 are exported") }
        let axes = dot.axes.map { $0 < 0 ? $0 + rank : $0 }
        let (a, b) = (axes[0], axes.count > 1 ? axes[1] : axes[0])
        var (x, y) = (names[0], names[1])
        if dot.normalize {
            func normalized(_ value: String, _ axis: Int) -> String {
                let squares = graph.op("ReduceSum", [graph.op("Mul", [value, value]), graph.int64s([axis])], [("keepdims", .int(1))])
                let floor = graph.constant(Tensor(repeating: 1e-12, shape: []), "floor")
                return graph.op("Div", [value, graph.op("Sqrt", [graph.op("Max", [squares, floor])])])
            }
            x = normalized(x, a)
            y = normalized(y, b)
        }
        if rank == 2 { return graph.op("ReduceSum", [graph.op("Mul", [x, y]), graph.int64s([1])], [("keepdims", .int(1))]) }
        // Contract x's axis a with y's axis b: x with it last, y with it second.
        let left = a == 2 ? x : graph.op("Transpose", [x], [("perm", .ints([0, 2, 1]))])
        let right = b == 1 ? y : graph.op("Transpose", [y], [("perm", .ints([0, 2, 1]))])
        return graph.op("MatMul", [left, right])
    }
}
