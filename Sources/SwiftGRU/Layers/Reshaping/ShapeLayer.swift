/// The common parts of layers without weights that only move values around (Flatten,
/// Reshape, Permute, ...): no weights, always built, and the mask dropped as in Keras. Their
/// backward pass moves the output gradient back (summing where a value was copied).
public class ShapeLayer<Scalar: TensorScalar>: Layer {
    public var name: String
    public var trainable = true
    /// Recorded calls: the input shapes.
    var records: [[Int]] = []

    init(name: String) { self.name = name }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try outputShape(forInputShape: inputShape) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    /// The output shape; subclasses override it.
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// The rearranged input; subclasses override it.
    func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> { input }

    /// dL/d(input) from dL/d(output); subclasses override it.
    func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        try outputGradient.reshaped(to: inputShape)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try rearranged(input))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let output = try forward(input, mask: mask, training: training)
        records.append(input.shape)
        return output
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let shape = try popRecord(&records, layer: name)
        let outputShape = try self.outputShape(forInputShape: optionalShape(shape)).map { $0 ?? 0 }
        return LayerGradients(input: try inputGradient(gradient(outputGradients, 0, shape: outputShape), inputShape: shape))
    }

    public func clearRecords() { records.removeAll() }

    /// Checks that an input has at least `rank` axes.
    func requireRank(_ shape: [Int?], atLeast rank: Int, _ what: String) throws {
        guard shape.count >= rank else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank \(rank) or more (\(what)), got shape \(describe(shape))")
        }
    }
}
