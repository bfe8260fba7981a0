import SwiftGRU

extension LayerDeclaration {
    static let activation = LayerDeclaration(
        classNames: ["Activation"],
        decode: { c, name, decoder in ActivationLayer<Float>(try decoder.activation(c["activation"], layer: name), name: name) },
        matches: { $0 is ActivationLayer<Float> },
        encode: { layer in
            guard let activationLayer = layer as? ActivationLayer<Float> else { return nil }
            return ["activation": try KerasConfigEncoder.activation(activationLayer.activation, layer: activationLayer.name)]
        },
        onnx: .activation)
}

extension ONNXEmitter {
    static let activation = ONNXEmitter.of(ActivationLayer<Float>.self) { e, activation, call in
        call.same(try e.apply(activation.activation, call.x.name, activation))
    }
}
