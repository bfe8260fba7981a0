import SwiftGRU

extension LayerDeclaration {
    static let activityRegularization = LayerDeclaration(
        classNames: ["ActivityRegularization"],
        decode: { c, name, _ in try ActivityRegularization<Float>(l1: c["l1"]?.double ?? 0, l2: c["l2"]?.double ?? 0, name: name) },
        matches: { $0 is ActivityRegularization<Float> },
        encode: { layer in (layer as? ActivityRegularization<Float>).map { ["l1": .number($0.l1), "l2": .number($0.l2)] } }, onnx: .identity)
}
