import SwiftGRU

extension LayerDeclaration {
    static let embedding = LayerDeclaration(
        classNames: ["Embedding"],
        decode: { c, name, decoder in
            let layer = try Embedding<Float>(
                inputDim: c["input_dim"]?.int ?? 0, outputDim: c["output_dim"]?.int ?? 0,
                embeddingsInitializer: decoder.initializer(c["embeddings_initializer"], default: .randomUniform(), layer: name),
                embeddingsRegularizer: decoder.regularizer(c["embeddings_regularizer"], layer: name),
                embeddingsConstraint: decoder.constraint(c["embeddings_constraint"], layer: name),
                maskZero: c["mask_zero"]?.bool ?? false, name: name)
            layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
            return layer
        },
        matches: { $0 is Embedding<Float> },
        encode: { layer in
            guard let embedding = layer as? Embedding<Float> else { return nil }
            return [
                "input_dim": .integer(embedding.inputDim), "output_dim": .integer(embedding.outputDim),
                "embeddings_initializer": KerasConfigEncoder.initializer(embedding.embeddingsInitializer),
                "embeddings_regularizer": KerasConfigEncoder.regularizer(embedding.embeddingsRegularizer),
                "embeddings_constraint": KerasConfigEncoder.constraint(embedding.embeddingsConstraint),
                "activity_regularizer": KerasConfigEncoder.regularizer(embedding.activityRegularizer), "mask_zero": .bool(embedding.maskZero),
            ]
        },
        // Keras 2's input_length declares the steps for shape inference only.
        inertKeys: ["input_length"], onnx: .embedding)
}

extension ONNXEmitter {
    static let embedding = ONNXEmitter.of(Embedding<Float>.self) { e, embedding, call in
        guard let table = embedding.embeddings else { throw e.fail(embedding, "it is not built") }
        let ids = e.graph.op("Cast", [call.x.name], [("to", .int(7))])
        let output = e.graph.op("Gather", [e.graph.constant(table, "embeddings"), ids], [("axis", .int(0))])
        guard embedding.maskZero else { return [ONNXValue(name: output)] }
        let kept = e.graph.op("Cast", [e.graph.op("Not", [e.graph.op("Equal", [ids, e.graph.int64s([0], shape: [], "zero")])])], [("to", .int(1))])
        return [ONNXValue(name: output, lengths: e.mask(from: kept))]
    }
}
