import SwiftGRU

extension OperationDeclarations {
    /// `Tanh`, `Sigmoid`, `Exp`, `Log`, `Absolute`, `Square`, `Sqrt`, `Negative`.
    static let functions: [OperationDeclaration] = ElementwiseFunction<Float>.Kind.allCases.map { kind in
        let className = kind == .abs ? "Absolute" : kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
        return OperationDeclaration(
            className: className, module: kind == .sigmoid ? "keras.src.ops.nn" : "keras.src.ops.numpy",
            decode: { _, _, name, _ in ElementwiseFunction<Float>(kind, name: name) },
            matches: { ($0 as? ElementwiseFunction<Float>)?.kind == kind },
            encode: { layer, tensors in (layer as? ElementwiseFunction<Float>)?.kind == kind ? ([:], tensors) : nil },
            onnx: ONNXEmitter.of(ElementwiseFunction<Float>.self) { e, function, call in
                let x = call.x.name
                let output: String = switch function.kind {
                case .tanh: e.graph.op("Tanh", [x])
                case .sigmoid: e.graph.op("Sigmoid", [x])
                case .exp: e.graph.op("Exp", [x])
                case .log: e.graph.op("Log", [x])
                case .abs: e.graph.op("Abs", [x])
                case .square: e.graph.op("Mul", [x, x])
                case .sqrt: e.graph.op("Sqrt", [x])
                case .negative: e.graph.op("Neg", [x])
                }
                return [ONNXValue(name: output)]
            })
    }
}
