import SwiftGRU

extension KerasLayerCodec {
    static let timeDistributed = KerasLayerCodec(
        classNames: ["TimeDistributed"],
        decode: { c, name, decoder in
            guard let inner = c["layer"] else { throw decoder.fail("layer '\(name)': TimeDistributed without a layer") }
            return TimeDistributed<Float>(try decoder.layer(inner), name: name)
        },
        matches: { $0 is TimeDistributed<Float> },
        encode: { layer in
            guard let wrapper = layer as? TimeDistributed<Float> else { return nil }
            return ["layer": try KerasConfigEncoder.layer(wrapper.layer, inputShape: nil)]
        },
        weightGroups: { layer in
            (layer as? TimeDistributed<Float>).map { prefixed("layer/", KerasWeightLayout.varsGroups($0.layer)) } ?? []
        })
}
