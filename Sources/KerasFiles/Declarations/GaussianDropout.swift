import SwiftGRU

extension LayerDeclaration {
    static let gaussianDropout = LayerDeclaration(
        classNames: ["GaussianDropout"],
        decode: { c, name, decoder in try GaussianDropout<Float>(rate: c["rate"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is GaussianDropout<Float> },
        encode: { layer in
            (layer as? GaussianDropout<Float>).map { ["rate": .number($0.rate), "seed": KerasConfigEncoder.seed($0.seed)] }
        },
        onnx: .identity)
}
