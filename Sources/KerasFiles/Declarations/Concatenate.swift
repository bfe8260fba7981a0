import SwiftGRU

extension LayerDeclaration {
    static let concatenate = LayerDeclaration(
        classNames: ["Concatenate"],
        decode: { c, name, _ in Concatenate<Float>(axis: c["axis"]?.int ?? -1, name: name) },
        matches: { $0 is Concatenate<Float> },
        encode: { layer in
            guard let concatenate = layer as? Concatenate<Float> else { return nil }
            return ["axis": .integer(concatenate.axis)]
        },
        onnx: .concatenate)
}

extension ONNXEmitter {
    static let concatenate = ONNXEmitter.of(Concatenate<Float>.self) { e, concatenate, call in
        let masked = call.inputs.contains { $0.lengths != nil }
        let axis = concatenate.axis < 0 ? concatenate.axis + call.inputRank : concatenate.axis
        guard !masked || axis != 1 else { throw e.fail(concatenate, "joining masked sequences along the steps is not exported") }
        // Keras keeps a step any input keeps: where one input's padding is read as a kept step,
        // its padded values must be Keras' own.
        let lengths = e.mergedLengths(call.inputs, keptByAll: false)
        if masked, call.inputs.contains(where: { $0.paddingDiffers && $0.lengths != lengths }) {
            throw e.fail(concatenate, "an input's padded steps are read as kept steps here, and ONNX gives them as zeros where Keras repeats the last output; give the recurrent layer zero_output_for_mask = TRUE")
        }
        return [ONNXValue(
            name: e.graph.op("Concat", call.inputs.map(\.name), [("axis", .int(concatenate.axis))]), lengths: lengths,
            paddingDiffers: call.paddingDiffers)]
    }
}
