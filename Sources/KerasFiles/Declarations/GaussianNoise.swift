import SwiftGRU

extension LayerDeclaration {
    static let gaussianNoise = LayerDeclaration(
        classNames: ["GaussianNoise"],
        decode: { c, name, decoder in try GaussianNoise<Float>(stddev: c["stddev"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is GaussianNoise<Float> },
        encode: { layer in
            (layer as? GaussianNoise<Float>).map { ["stddev": .number($0.stddev), "seed": KerasConfigEncoder.seed($0.seed)] }
        },
        onnx: .identity)
}
