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

    /// A fresh value name from `hint`. It starts with `/`, which Keras does not allow in layer
    /// names, so that no internal value takes the name of a model's input or output.
    mutating func name(_ hint: String) -> String {
        counter += 1
        return "/\(hint)_\(counter)"
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

    /// The `ModelProto` bytes, once ``validate()`` passes.
    ///
    /// - Throws: ``FileFormatError`` naming what the ONNX checker would reject.
    func modelBytes(graphName: String) throws -> [UInt8] {
        try validate()
        return unvalidatedBytes(graphName: graphName)
    }

    /// The rules of the ONNX checker and of ONNX Runtime's shape inference that a graph built
    /// here could break: every value defined once (SSA) and before it is read, every output
    /// defined, and each operator's inputs of the rank it takes (a `Transpose`'s permutation, an
    /// axis within range, a convolution's window, a recurrent node's `(steps, batch, features)`).
    func validate() throws {
        var ranks = [String: Int?]()
        func define(_ name: String, rank: Int?) throws {
            guard !name.isEmpty else { return }
            guard ranks[name] == nil else { throw FileFormatError("the ONNX graph defines '\(name)' twice") }
            ranks[name] = .some(rank)
        }
        for input in inputs { try define(input.name, rank: input.shape.count) }
        for initializer in initializers { try define(initializer.name, rank: initializer.shape.count) }
        let constants = Dictionary(initializers.map { ($0.name, $0) }) { a, _ in a }
        func ints(_ name: String) -> [Int]? {
            guard let c = constants[name], c.type == .int64 else { return nil }
            return stride(from: 0, to: c.raw.count, by: 8).map { i in
                Int(Int64(littleEndian: c.raw[i..<(i + 8)].enumerated().reduce(0) { $0 | Int64($1.element) << (8 * $1.offset) }))
            }
        }
        for node in nodes {
            let inRanks = try node.inputs.map { name -> Int? in
                guard !name.isEmpty else { return nil }
                guard let rank = ranks[name] else { throw FileFormatError("ONNX node \(node.op) reads '\(name)' before it is defined") }
                return rank
            }
            func fail(_ why: String) -> FileFormatError { FileFormatError("ONNX node \(node.op) (\(node.outputs.first ?? "")): \(why)") }
            func attribute(_ key: String) -> Attribute? { node.attributes.first { $0.0 == key }?.1 }
            func checkAxis(_ axis: Int, rank: Int?) throws {
                if let rank, axis < -rank || axis >= rank { throw fail("axis \(axis) outside a tensor of rank \(rank)") }
            }
            let x = inRanks.first ?? nil
            var out: Int?
            switch node.op {
            case "Transpose":
                if case .ints(let perm)? = attribute("perm"), let x, perm.count != x {
                    throw fail("permutation \(perm) of a tensor of rank \(x)")
                }
                out = x
            case "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Where", "Or", "And", "Equal", "Greater", "Less", "PRelu":
                out = inRanks.contains { $0 == nil } ? nil : inRanks.compactMap { $0 }.max()
            case "Cast", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Abs", "Neg", "Sqrt", "Softplus", "Softsign", "Elu", "Selu", "LeakyRelu", "HardSigmoid",
                 "Identity", "Not", "Tile", "Pad", "Slice", "LayerNormalization":
                out = x
            case "Softmax":
                if case .int(let axis)? = attribute("axis") { try checkAxis(axis, rank: x) }
                out = x
            case "Concat":
                if case .int(let axis)? = attribute("axis") { try checkAxis(axis, rank: x) }
                out = x
            case "MatMul":
                out = inRanks.contains { $0 == nil } ? nil : inRanks.compactMap { $0 }.max()
            case "Reshape":
                out = node.inputs.count > 1 ? ints(node.inputs[1])?.count : nil
            case "Unsqueeze":
                let axes = node.inputs.count > 1 ? ints(node.inputs[1]) : nil
                out = x.flatMap { x in axes.map { x + $0.count } }
                if let axes, let out { for axis in axes { try checkAxis(axis, rank: out) } }
            case "Squeeze":
                let axes = node.inputs.count > 1 ? ints(node.inputs[1]) : nil
                if let axes { for axis in axes { try checkAxis(axis, rank: x) } }
                out = x.flatMap { x in axes.map { x - $0.count } }
            case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd":
                var axes: [Int]?
                if case .ints(let given)? = attribute("axes") { axes = given } else if node.inputs.count > 1 { axes = ints(node.inputs[1]) }
                if let axes { for axis in axes { try checkAxis(axis, rank: x) } }
                if case .int(0)? = attribute("keepdims") { out = x.flatMap { x in axes.map { x - $0.count } } } else { out = x }
            case "Gather":
                var axis = 0
                if case .int(let given)? = attribute("axis") { axis = given }
                try checkAxis(axis, rank: x)
                out = x.flatMap { x in (inRanks.count > 1 ? inRanks[1] : nil).map { x - 1 + $0 } }
            case "Flatten": out = 2
            case "Shape", "Range": out = 1
            case "Conv", "MaxPool", "AveragePool":
                if case .ints(let window)? = attribute("kernel_shape"), let x, x != window.count + 2 {
                    throw fail("a window of \(window.count) axes over a tensor of rank \(x)")
                }
                out = x
            case "GRU", "LSTM", "RNN":
                if let x, x != 3 { throw fail("input of rank \(x); (steps, batch, features) was expected") }
                for (k, output) in node.outputs.enumerated() { try define(output, rank: k == 0 ? 4 : 3) }
                continue
            default:
                out = nil
            }
            for output in node.outputs { try define(output, rank: out) }
        }
        var seen = Set<String>()
        for output in outputs {
            guard seen.insert(output.name).inserted else { throw FileFormatError("the ONNX graph has two outputs named '\(output.name)'") }
            guard let rank = ranks[output.name] else { throw FileFormatError("ONNX graph output '\(output.name)' is not defined") }
            if let rank, rank != output.shape.count {
                throw FileFormatError("ONNX graph output '\(output.name)' has rank \(rank), declared \(output.shape.count)")
            }
        }
    }

    private func unvalidatedBytes(graphName: String) -> [UInt8] {
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
