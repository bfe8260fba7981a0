import SwiftGRU

extension LayerDeclaration {
    /// The preprocessing `Normalization`: adapted statistics as its weights, or given ones.
    static let normalization = LayerDeclaration(
        classNames: ["Normalization"],
        decode: { c, name, decoder in
            let mean = try decoder.numbers(c["mean"], "mean", layer: name), variance = try decoder.numbers(c["variance"], "variance", layer: name)
            return try Normalization<Float>(
                axis: decoder.axes(c["axis"], fallback: [-1]), mean: mean, variance: variance, invert: c["invert"]?.bool ?? false, name: name)
        },
        matches: { $0 is Normalization<Float> },
        encode: { layer in
            guard let normalization = layer as? Normalization<Float> else { return nil }
            func values(_ given: [Double]?) -> JSONValue {
                guard let given else { return .null }
                return given.count == 1 ? .number(given[0]) : .array(given.map(JSONValue.number))
            }
            return [
                "axis": KerasConfigEncoder.integers(normalization.axis), "invert": .bool(normalization.invert),
                "mean": values(normalization.givenMean), "variance": values(normalization.givenVariance),
            ]
        },
        onnx: .normalization)
}

extension KerasConfigDecoder {
    /// One number or a flat list of them (Keras' serialized NumPy arrays included); `nil` for null.
    func numbers(_ value: JSONValue?, _ argument: String, layer: String) throws -> [Double]? {
        guard let value, !value.isNull else { return nil }
        if let number = value.double { return [number] }
        let list = value["class_name"]?.string == "__numpy__" ? value["config"]?["value"] : value
        if let number = list?.double { return [number] }
        guard let items = list?.array, !items.isEmpty, let numbers = Optional(items.compactMap(\.double)), numbers.count == items.count else {
            throw fail("layer '\(layer)': \(argument) \(value) is not a number or a flat list of numbers")
        }
        return numbers
    }
}

extension ONNXEmitter {
    static let normalization = ONNXEmitter.of(Normalization<Float>.self) { e, layer, call in
        let rank = call.inputRank
        let weights = layer.weights
        let mean = layer.givenMean.map { $0.map { Float($0) } } ?? weights.first?.scalars
        let variance = layer.givenVariance.map { $0.map { Float($0) } } ?? (weights.count > 1 ? weights[1].scalars : nil)
        guard let mean, let variance, let extents = layer.keptShape else { throw e.fail(layer, "it is not built") }
        let kept = layer.axis.map { $0 < 0 ? $0 + rank : $0 }.sorted()
        // The statistics laid out over the input's axes, 1 along the shared ones.
        let shape = mean.count == 1 ? [] : [1] + (1..<rank).map { axis in kept.firstIndex(of: axis).map { extents[$0] } ?? 1 }
        let spread = variance.map { max($0.squareRoot(), 1e-7) }
        let m = e.graph.constant(try Tensor(shape: shape, scalars: mean), "normalization_mean")
        let s = e.graph.constant(try Tensor(shape: shape, scalars: spread), "normalization_spread")
        let output = layer.invert
            ? e.graph.op("Add", [m, e.graph.op("Mul", [call.x.name, s])])
            : e.graph.op("Div", [e.graph.op("Sub", [call.x.name, m]), s])
        return call.same(output)
    }
}
