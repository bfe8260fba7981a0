import SwiftGRU

extension LayerDeclaration {
    /// A `Sequential` model used as a layer (in a model, or inside `TimeDistributed`).
    static let nestedSequential = nestedModel(["Sequential"], module: "keras", functional: false, writesDType: true)
    /// A functional model used as a layer (`Functional`; Keras 2 wrote `Model`).
    static let nestedFunctional = nestedModel(
        ["Functional", "Model"], module: "keras.src.models.functional", functional: true, writesDType: false)

    /// The declaration of an inner model: read and written by the model builder and encoder as
    /// a top-level model is, its layers' weights under `layers/<name>/` as Keras keeps them.
    private static func nestedModel(_ classNames: [String], module: String, functional: Bool, writesDType: Bool) -> LayerDeclaration {
        LayerDeclaration(
            classNames: classNames,
            decode: { c, name, decoder in
                // The builder reads the model's own keys; refused there when it cannot use one.
                for key in ["layers", "build_input_shape", "input_layers", "output_layers"] { _ = c[key] }
                let className = c.json["input_layers"] != nil ? "Functional" : "Sequential"
                let built = try KerasModelBuilder(decoder: decoder).model(["class_name": .string(className), "config": c.json])
                let layer = ModelLayer(built.model)
                layer.name = name
                return layer
            },
            matches: { layer in (layer as? ModelLayer<Float>).map { ($0.model is Sequential<Float>) != functional } ?? false },
            encode: { layer in
                guard let nested = layer as? ModelLayer<Float>, (nested.model is Sequential<Float>) != functional else { return nil }
                var config = try KerasConfigEncoder.model(nested.model, compileConfig: nil).0["config"]?.object ?? [:]
                config["name"] = .string(nested.name)
                return config
            },
            weightGroups: { layer in
                guard let nested = layer as? ModelLayer<Float> else { return [] }
                let inner = nested.model.layers
                let names = UniqueName.make(inner.map { layer in
                    KerasConfigDecoder.snakeCase(LayerDeclarations.declaration(for: layer)?.classNames.first ?? layer.typeName)
                })
                return zip(inner, names).flatMap { layer, name in
                    let groups = LayerDeclarations.declaration(for: layer)?.weightGroups(layer) ?? []
                    // Keras keeps a `vars` group for every layer, empty where its weights sit deeper.
                    let own: WeightGroups = groups.contains { $0.path == "vars" } ? [] : [("vars", [])]
                    return prefixed("layers/\(name)/", own + groups)
                }
            },
            writesDType: writesDType, module: module)
    }
}
