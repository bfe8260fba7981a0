import SwiftGRU

extension KerasLayerCodec {
    static let embedding = KerasLayerCodec(
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
        inertKeys: ["input_length"])
}
