import SwiftGRU

/// An ONNX graph being built: nodes, constant initializers, inputs and outputs, written as an
/// ONNX `ModelProto` (onnx.proto, opset 17).
struct ONNXGraph {
    enum Attribute {
        case int(Int), float(Float), string(String), ints([Int]), floats([Float]), strings([String])
    }

    struct Node {
        var op: String, inputs: [String], outputs: [String], attributes: [(String, Attribute)]
    }

    /// ONNX element types.
    enum ElementType: Int { case float = 1, int32 = 6, int64 = 7 }

    private(set) var nodes = [Node]()
    private var initializers = [(name: String, type: ElementType, shape: [Int], raw: [UInt8])]()
    var inputs = [(name: String, shape: [Int?], type: ElementType)]()
    var outputs = [(name: String, shape: [Int?])]()
    private var counter = 0

    /// A fresh value name from `hint`.
    mutating func name(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// A float constant.
    mutating func constant(_ tensor: Tensor<Float>, _ hint: String) -> String {
        let name = name(hint)
        var raw = [UInt8]()
        raw.reserveCapacity(tensor.scalarCount * 4)
        for value in tensor.scalars { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw += $0 } }
        initializers.append((name, .float, tensor.shape, raw))
        return name
    }

    /// An int64 constant (shapes, axes, indices).
    mutating func int64s(_ values: [Int], shape: [Int]? = nil, _ hint: String = "ints") -> String {
        let name = name(hint)
        var raw = [UInt8]()
        for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { raw += $0 } }
        initializers.append((name, .int64, shape ?? [values.count], raw))
        return name
    }

    /// Adds a node and returns its outputs' names.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs count: Int = 1, _ attributes: [(String, Attribute)] = []) -> [String] {
        let outputs = (0..<count).map { _ in name(op.lowercased()) }
        nodes.append(Node(op: op, inputs: inputs, outputs: outputs, attributes: attributes))
        return outputs
    }

    /// A node with one output.
    mutating func op(_ op: String, _ inputs: [String], _ attributes: [(String, Attribute)] = []) -> String {
        node(op, inputs, outputs: 1, attributes)[0]
    }

    /// Renames the value `name` to `final` (a graph output's name) with an Identity node.
    mutating func output(_ name: String, as final: String, shape: [Int?]) {
        nodes.append(Node(op: "Identity", inputs: [name], outputs: [final], attributes: []))
        outputs.append((final, shape))
    }

    /// The `ModelProto` bytes.
    func modelBytes(graphName: String) -> [UInt8] {
        var model = ProtobufWriter()
        model.int(1, 8)  // ir_version 8 (opset 17's)
        model.string(2, "swift-gru")
        model.message(7) { graph in
            for node in nodes {
                graph.message(1) { n in
                    for input in node.inputs { n.string(1, input) }
                    for output in node.outputs { n.string(2, output) }
                    n.string(3, node.outputs.first.map { "node_" + $0 } ?? "node")
                    n.string(4, node.op)
                    for (name, value) in node.attributes { n.message(5) { Self.write(name, value, into: &$0) } }
                }
            }
            graph.string(2, graphName)
            for initializer in initializers {
                graph.message(5) { t in
                    t.packedInts(1, initializer.shape)
                    t.int(2, initializer.type.rawValue)
                    t.string(8, initializer.name)
                    t.data(9, initializer.raw)
                }
            }
            for input in inputs { graph.message(11) { Self.valueInfo(input.name, input.shape, input.type, into: &$0) } }
            for output in outputs { graph.message(12) { Self.valueInfo(output.name, output.shape, .float, into: &$0) } }
        }
        model.message(8) { opset in
            opset.string(1, "")
            opset.int(2, 17)
        }
        return model.bytes
    }

    private static func write(_ name: String, _ value: Attribute, into a: inout ProtobufWriter) {
        a.string(1, name)
        switch value {
        case .float(let f): a.float(2, f); a.int(20, 1)
        case .int(let i): a.int(3, i); a.int(20, 2)
        case .string(let s): a.string(4, s); a.int(20, 3)
        case .floats(let fs): a.packedFloats(7, fs); a.int(20, 6)
        case .ints(let ints): a.packedInts(8, ints); a.int(20, 7)
        case .strings(let ss): for s in ss { a.string(9, s) }; a.int(20, 8)
        }
    }

    private static func valueInfo(_ name: String, _ shape: [Int?], _ type: ElementType, into v: inout ProtobufWriter) {
        v.string(1, name)
        v.message(2) { t in
            t.message(1) { tensor in
                tensor.int(1, type.rawValue)
                tensor.message(2) { s in
                    for (axis, extent) in shape.enumerated() {
                        s.message(1) { d in
                            if let extent { d.int(1, extent) } else { d.string(2, axis == 0 ? "batch" : "dim_\(axis)") }
                        }
                    }
                }
            }
        }
    }
}
