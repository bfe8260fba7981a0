import SwiftGRU

extension OperationDeclarations {
    /// `Add`, `Subtract`, `Multiply`, `Divide` and `TrueDivide` (`x / y`), `Maximum`, `Minimum`
    /// and the comparisons (`h > 0`) of tensors and numbers.
    static let arithmetic: [OperationDeclaration] = [
        ("Add", .add), ("Subtract", .subtract), ("Multiply", .multiply), ("Divide", .divide), ("TrueDivide", .divide),
        ("Maximum", .maximum), ("Minimum", .minimum), ("Greater", .greater), ("GreaterEqual", .greaterEqual), ("Less", .less),
        ("LessEqual", .lessEqual), ("Equal", .equal), ("NotEqual", .notEqual),
    ].map { (className: String, kind: Arithmetic<Float>.Kind) in
        OperationDeclaration(
            className: className, module: "keras.src.ops.numpy",
            decode: { _, arguments, name, _ in
                guard arguments.count == 2 else { throw FileFormatError("operation '\(name)' (\(className)) takes 2 arguments, got \(arguments.count)") }
                let operands = try arguments.map { argument -> Arithmetic<Float>.Operand in
                    if argument["class_name"]?.string == "__keras_tensor__" { return .tensor }
                    guard let value = argument.double else {
                        throw FileFormatError("operation '\(name)' (\(className)): the argument \(argument) is not a tensor or a number")
                    }
                    return .constant(value)
                }
                return try Arithmetic<Float>(kind, operands[0], operands[1], name: name)
            },
            // Divide and TrueDivide compute alike; a division is written as TrueDivide (`x / y`).
            matches: { ($0 as? Arithmetic<Float>)?.kind == kind && className != "Divide" },
            encode: { layer, tensors in
                guard let arithmetic = layer as? Arithmetic<Float>, arithmetic.kind == kind else { return nil }
                var next = tensors[...]
                let arguments = arithmetic.operands.map { operand -> JSONValue in
                    switch operand {
                    case .tensor: return next.popFirst() ?? .null
                    case .constant(let value): return .number(value)
                    }
                }
                return ([:], arguments)
            },
            onnx: ONNXEmitter.of(Arithmetic<Float>.self) { e, arithmetic, call in
                var tensors = call.inputs.map(\.name)[...]
                let sides = arithmetic.operands.map { operand -> String in
                    switch operand {
                    case .tensor: return tensors.popFirst() ?? ""
                    case .constant(let value): return e.graph.constant(Tensor(repeating: Float(value), shape: []), "constant")
                    }
                }
                let output: String
                switch arithmetic.kind {
                case .add: output = e.graph.op("Add", sides)
                case .subtract: output = e.graph.op("Sub", sides)
                case .multiply: output = e.graph.op("Mul", sides)
                case .divide: output = e.graph.op("Div", sides)
                case .maximum: output = e.graph.op("Max", sides)
                case .minimum: output = e.graph.op("Min", sides)
                // Booleans as 1 and 0, as the layer gives them.
                case .greater: output = e.graph.op("Cast", [e.graph.op("Greater", sides)], [("to", .int(1))])
                case .greaterEqual: output = e.graph.op("Cast", [e.graph.op("GreaterOrEqual", sides)], [("to", .int(1))])
                case .less: output = e.graph.op("Cast", [e.graph.op("Less", sides)], [("to", .int(1))])
                case .lessEqual: output = e.graph.op("Cast", [e.graph.op("LessOrEqual", sides)], [("to", .int(1))])
                case .equal: output = e.graph.op("Cast", [e.graph.op("Equal", sides)], [("to", .int(1))])
                case .notEqual: output = e.graph.op("Cast", [e.graph.op("Not", [e.graph.op("Equal", sides)])], [("to", .int(1))])
                }
                return [ONNXValue(name: output)]
            })
    }
}
