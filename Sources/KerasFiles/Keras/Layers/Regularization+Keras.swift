import SwiftGRU

extension KerasLayerCodec {
    static let spatialDropout1D = KerasLayerCodec(
        classNames: ["SpatialDropout1D"],
        decode: { c, name, decoder in try SpatialDropout1D<Float>(rate: c["rate"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is SpatialDropout1D<Float> },
        encode: { layer in
            (layer as? SpatialDropout1D<Float>).map { ["rate": .number($0.rate), "seed": KerasConfigEncoder.seed($0.seed)] }
        },
        writesTrainable: false)

    static let gaussianNoise = KerasLayerCodec(
        classNames: ["GaussianNoise"],
        decode: { c, name, decoder in try GaussianNoise<Float>(stddev: c["stddev"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is GaussianNoise<Float> },
        encode: { layer in
            (layer as? GaussianNoise<Float>).map { ["stddev": .number($0.stddev), "seed": KerasConfigEncoder.seed($0.seed)] }
        })

    static let gaussianDropout = KerasLayerCodec(
        classNames: ["GaussianDropout"],
        decode: { c, name, decoder in try GaussianDropout<Float>(rate: c["rate"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is GaussianDropout<Float> },
        encode: { layer in
            (layer as? GaussianDropout<Float>).map { ["rate": .number($0.rate), "seed": KerasConfigEncoder.seed($0.seed)] }
        })

    static let activityRegularization = KerasLayerCodec(
        classNames: ["ActivityRegularization"],
        decode: { c, name, _ in try ActivityRegularization<Float>(l1: c["l1"]?.double ?? 0, l2: c["l2"]?.double ?? 0, name: name) },
        matches: { $0 is ActivityRegularization<Float> },
        encode: { layer in (layer as? ActivityRegularization<Float>).map { ["l1": .number($0.l1), "l2": .number($0.l2)] } })
}
