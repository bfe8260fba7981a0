import SwiftGRU

extension LayerDeclaration {
    static let dense = LayerDeclaration(
        classNames: ["Dense"],
        decode: { c, name, decoder in try decoder.dense(c, name: name) },
        matches: { $0 is Dense<Float> },
        encode: { layer in
            guard let dense = layer as? Dense<Float> else { return nil }
            return [
                "units": .integer(dense.units), "activation": try KerasConfigEncoder.activation(dense.activation, layer: dense.name),
                "use_bias": .bool(dense.useBias),
                "kernel_initializer": KerasConfigEncoder.initializer(dense.kernelInitializer),
                "bias_initializer": KerasConfigEncoder.initializer(dense.biasInitializer),
                "kernel_regularizer": KerasConfigEncoder.regularizer(dense.kernelRegularizer),
                "bias_regularizer": KerasConfigEncoder.regularizer(dense.biasRegularizer),
                "activity_regularizer": KerasConfigEncoder.regularizer(dense.activityRegularizer),
                "kernel_constraint": KerasConfigEncoder.constraint(dense.kernelConstraint),
                "bias_constraint": KerasConfigEncoder.constraint(dense.biasConstraint),
            ]
        },
        onnx: .dense)
}

extension KerasConfigDecoder {
    func dense(_ c: KerasConfig, name: String) throws -> Dense<Float> {
        try Dense<Float>(
            units: c["units"]?.int ?? 0, activation: activation(c["activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            kernelRegularizer: regularizer(c["kernel_regularizer"], layer: name),
            biasRegularizer: regularizer(c["bias_regularizer"], layer: name),
            activityRegularizer: regularizer(c["activity_regularizer"], layer: name),
            kernelConstraint: constraint(c["kernel_constraint"], layer: name),
            biasConstraint: constraint(c["bias_constraint"], layer: name), name: name)
    }
}

extension ONNXEmitter {
    static let dense = ONNXEmitter.of(Dense<Float>.self) { e, dense, call in
        call.same(try e.dense(dense, call.x.name))
    }
}

extension ONNXExporter {
    mutating func dense(_ dense: Dense<Float>, _ x: String) throws -> String {
        guard let kernel = dense.kernel else { throw fail(dense, "it is not built") }
        var y = graph.op("MatMul", [x, graph.constant(kernel, "kernel")])
        if let bias = dense.bias { y = graph.op("Add", [y, graph.constant(bias, "bias")]) }
        return try apply(dense.activation, y, dense)
    }
}
