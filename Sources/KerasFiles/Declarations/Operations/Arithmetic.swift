import SwiftGRU

extension OperationDeclarations {
    /// `Add`, `Subtract`, `Multiply`, `Divide` and `TrueDivide` (`x / y`) of tensors and numbers.
    static let arithmetic: [OperationDeclaration] = [
        ("Add", .add), ("Subtract", .subtract), ("Multiply", .multiply), ("Divide", .divide), ("TrueDivide", .divide),
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
                let op = ["add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div"][arithmetic.kind.rawValue] ?? "Add"
                return [ONNXValue(name: e.graph.op(op, sides))]
            })
    }
}
