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

    /// `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`.
    static func merge(_ operation: MergeOperation) -> KerasLayerCodec {
        KerasLayerCodec(
            classNames: [operation.rawValue.prefix(1).uppercased() + operation.rawValue.dropFirst()],
            decode: { _, name, _ in
                switch operation {
                case .subtract: Subtract<Float>(name: name)
                case .multiply: Multiply<Float>(name: name)
                case .average: Average<Float>(name: name)
                case .maximum: Maximum<Float>(name: name)
                case .minimum: Minimum<Float>(name: name)
                }
            },
            matches: { ($0 as? ElementwiseMerge<Float>)?.operation == operation },
            encode: { layer in (layer as? ElementwiseMerge<Float>)?.operation == operation ? [:] : nil })
    }

    static let dot = KerasLayerCodec(
        classNames: ["Dot"],
        decode: { c, name, decoder in try Dot<Float>(axes: decoder.axes(c["axes"], fallback: []), normalize: c["normalize"]?.bool ?? false, name: name) },
        matches: { $0 is Dot<Float> },
        encode: { layer in
            guard let dot = layer as? Dot<Float> else { return nil }
            return ["axes": KerasConfigEncoder.integers(dot.axes), "normalize": .bool(dot.normalize)]
        })
}
