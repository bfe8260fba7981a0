import SwiftGRU

extension KerasLayerCodec {
    static let add = KerasLayerCodec(
        classNames: ["Add"],
        decode: { _, name, _ in Add<Float>(name: name) },
        matches: { $0 is Add<Float> },
        encode: { layer in layer is Add<Float> ? [:] : nil })

    static let concatenate = KerasLayerCodec(
        classNames: ["Concatenate"],
        decode: { c, name, _ in Concatenate<Float>(axis: c["axis"]?.int ?? -1, name: name) },
        matches: { $0 is Concatenate<Float> },
        encode: { layer in
            guard let concatenate = layer as? Concatenate<Float> else { return nil }
            return ["axis": .integer(concatenate.axis)]
        })
}
