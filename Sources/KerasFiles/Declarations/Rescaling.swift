import SwiftGRU

extension LayerDeclaration {
    static let rescaling = LayerDeclaration(
        classNames: ["Rescaling"],
        decode: { c, name, decoder in
            try Rescaling<Float>(
                scale: decoder.numbers(c["scale"], "scale", layer: name) ?? [1], offset: decoder.numbers(c["offset"], "offset", layer: name) ?? [0],
                name: name)
        },
        matches: { $0 is Rescaling<Float> },
        encode: { layer in
            guard let rescaling = layer as? Rescaling<Float> else { return nil }
            func values(_ given: [Double]) -> JSONValue { given.count == 1 ? .number(given[0]) : .array(given.map(JSONValue.number)) }
            return ["scale": values(rescaling.scale), "offset": values(rescaling.offset)]
        },
        onnx: .rescaling)
}

extension ONNXEmitter {
    static let rescaling = ONNXEmitter.of(Rescaling<Float>.self) { e, layer, call in
        func constant(_ values: [Double], _ hint: String) throws -> String {
            e.graph.constant(try Tensor(shape: values.count == 1 ? [] : [values.count], scalars: values.map { Float($0) }), hint)
        }
        let scaled = e.graph.op("Mul", [call.x.name, try constant(layer.scale, "scale")])
        return call.same(e.graph.op("Add", [scaled, try constant(layer.offset, "offset")]))
    }
}
