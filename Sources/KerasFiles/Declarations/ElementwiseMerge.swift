import SwiftGRU

extension LayerDeclaration {
    /// `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`.
    static func merge(_ operation: MergeOperation) -> LayerDeclaration {
        LayerDeclaration(
            classNames: [operation.rawValue.prefix(1).uppercased() + operation.rawValue.dropFirst()],
            decode: { _, name, _ in
                switch operation {
                case .subtract: Subtract<Float>(name: name)
                case .multiply: Multiply<Float>(name: name)
                case .average: Average<Float>(name: name)
                case .maximum: Maximum<Float>(name: name)
                case .minimum: Minimum<Float>(name: name)
                }
            },
            matches: { ($0 as? ElementwiseMerge<Float>)?.operation == operation },
            encode: { layer in (layer as? ElementwiseMerge<Float>)?.operation == operation ? [:] : nil }, onnx: .elementwise(operation))
    }
}

extension ONNXEmitter {
    /// The ONNX operator of an element-wise merge, over the inputs' first mask.
    static func elementwise(_ operation: MergeOperation) -> ONNXEmitter {
        let op = switch operation {
        case .subtract: "Sub"
        case .multiply: "Mul"
        case .average: "Mean"
        case .maximum: "Max"
        case .minimum: "Min"
        }
        return ONNXEmitter { e, _, call in
            [ONNXValue(name: e.graph.op(op, call.inputs.map(\.name)), lengths: e.mergedLengths(call.inputs, keptByAll: true), paddingDiffers: call.paddingDiffers)]
        }
    }
}
