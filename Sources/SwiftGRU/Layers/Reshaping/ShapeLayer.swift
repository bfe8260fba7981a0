/// The common parts of layers without weights that only move values around (Flatten,
/// Reshape, Permute, ...): no weights, always built, and the mask dropped as in Keras.
public class ShapeLayer<Scalar: TensorScalar>: Layer {
    public var name: String

    init(name: String) { self.name = name }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try outputShape(forInputShape: inputShape) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    /// The output shape; subclasses override it.
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// The rearranged input; subclasses override it.
    func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> { input }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try rearranged(input))
    }

    /// Checks that an input has at least `rank` axes.
    func requireRank(_ shape: [Int?], atLeast rank: Int, _ what: String) throws {
        guard shape.count >= rank else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank \(rank) or more (\(what)), got shape \(describe(shape))")
        }
    }
}
