import SwiftGRU

extension OperationDeclarations {
    /// `Concatenate` and `Stack` (`ops.concatenate([a, b], axis)`, `ops.stack([a, b], axis)`),
    /// and `Where` (`ops.where(condition, x, y)`).
    static let joining: [OperationDeclaration] = ["Concatenate", "Stack"].map { className in
        OperationDeclaration(
            className: className, module: "keras.src.ops.numpy",
            decode: { c, arguments, name, _ in
                guard arguments.count == 1, let list = arguments[0].array, !list.isEmpty,
                      list.allSatisfy({ $0["class_name"]?.string == "__keras_tensor__" }) else {
                    throw FileFormatError("operation '\(name)' (\(className)) takes one list of tensors (numbers and nested lists are not supported)")
                }
                guard let axis = c["axis"]?.int else {
                    throw FileFormatError("operation '\(name)' (\(className)): axis \(c["axis"] ?? .null) is not a whole number")
                }
                return JoinOperation<Float>(className == "Stack" ? .stack(axis: axis) : .concatenate(axis: axis), name: name)
            },
            matches: { layer in
                switch (layer as? JoinOperation<Float>)?.kind {
                case .concatenate: className == "Concatenate"
                case .stack: className == "Stack"
                case nil: false
                }
            },
            encode: { layer, tensors in
                guard let join = layer as? JoinOperation<Float> else { return nil }
                switch join.kind {
                case .concatenate(let axis), .stack(let axis): return (["axis": .integer(axis)], [.array(tensors)])
                }
            },
            onnx: ONNXEmitter.of(JoinOperation<Float>.self) { e, join, call in
                let output: String
                switch join.kind {
                case .concatenate(let axis): output = e.graph.op("Concat", call.inputs.map(\.name), [("axis", .int(axis))])
                case .stack(let axis):
                    let resolved = axis < 0 ? axis + call.inputRank + 1 : axis
                    let expanded = call.inputs.map { e.graph.op("Unsqueeze", [$0.name, e.graph.int64s([resolved], "axes")]) }
                    output = e.graph.op("Concat", expanded, [("axis", .int(resolved))])
                }
                return [ONNXValue(name: output)]
            })
    } + [
        OperationDeclaration(
            className: "Where", module: "keras.src.ops.numpy",
            decode: { _, arguments, name, _ in
                guard arguments.count == 3 else {
                    throw FileFormatError("operation '\(name)' (Where) takes a condition, x and y (the one-argument form, nonzero indices, is not supported)")
                }
                let operands = try arguments.map { argument -> Where<Float>.Operand in
                    if argument["class_name"]?.string == "__keras_tensor__" { return .tensor }
                    guard let value = argument.double else {
                        throw FileFormatError("operation '\(name)' (Where): the argument \(argument) is not a tensor or a number")
                    }
                    return .constant(value)
                }
                do { return try Where<Float>(condition: operands[0], operands[1], operands[2], name: name) } catch let error as LayerError {
                    throw FileFormatError("operation '\(name)': \(error.message)", underlying: error)
                }
            },
            matches: { $0 is Where<Float> },
            encode: { layer, tensors in
                guard let choice = layer as? Where<Float> else { return nil }
                var next = tensors[...]
                return ([:], choice.operands.map { operand in
                    switch operand {
                    case .tensor: next.popFirst() ?? .null
                    case .constant(let value): .number(value)
                    }
                })
            },
            onnx: ONNXEmitter.of(Where<Float>.self) { e, choice, call in
                var tensors = call.inputs.map(\.name)[...]
                let sides = choice.operands.map { operand -> String in
                    switch operand {
                    case .tensor: return tensors.popFirst() ?? ""
                    case .constant(let value): return e.graph.constant(Tensor(repeating: Float(value), shape: []), "constant")
                    }
                }
                let condition = e.graph.op("Cast", [sides[0]], [("to", .int(9))])
                return [ONNXValue(name: e.graph.op("Where", [condition, sides[1], sides[2]]))]
            }),
    ]
}
