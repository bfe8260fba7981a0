/// `x * scale + offset` (Keras' `Rescaling`): one scale and offset for every value, or one per
/// feature of the last axis. The mask passes through.
public final class Rescaling<Scalar: TensorScalar>: ShapePreservingLayer, RecordsInputs {
    /// One value, or one per feature.
    public let scale: [Double]
    /// One value, or one per feature.
    public let offset: [Double]
    public var name: String
    public var trainable = true
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` for an empty or non-finite scale or offset.
    public init(scale: [Double], offset: [Double] = [0], name: String? = nil) throws {
        for (argument, values) in [("scale", scale), ("offset", offset)] where values.isEmpty || !values.allSatisfy(\.isFinite) {
            throw LayerError(.invalidArgument, "Rescaling: \(argument) must be finite numbers, got \(values)")
        }
        self.scale = scale
        self.offset = offset
        self.name = name ?? "rescaling"
    }

    /// The value of `values` for feature `k`.
    private func at(_ values: [Double], _ k: Int) -> Scalar { Scalar(values.count == 1 ? values[0] : values[k]) }

    private func check(_ shape: [Int]) throws {
        let features = shape.last ?? 0
        for (argument, values) in [("scale", scale), ("offset", offset)] where values.count != 1 && values.count != features {
            throw LayerError(.invalidInputShape, "\(name): \(values.count) \(argument) values for \(features) features")
        }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try check(input.shape)
        let features = max(input.shape.last ?? 1, 1)
        var output = input
        output.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = values[i] * at(scale, i % features) + at(offset, i % features) }
        }
        return LayerOutput(output, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let shape = try popRecord(&records, layer: name).shape
        var g = try gradient(outputGradients, 0, shape: shape)
        let features = max(shape.last ?? 1, 1)
        g.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] *= at(scale, i % features) }
        }
        return LayerGradients(input: g)
    }
}

extension Rescaling {
    public var stepScope: StepScope { .eachStep }
}
