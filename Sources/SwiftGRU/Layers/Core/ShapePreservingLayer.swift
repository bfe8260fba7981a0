/// A layer without weights whose output has its input's shape (activations, noise, dropout):
/// conforming gives it the weight and shape requirements of ``Layer``.
public protocol ShapePreservingLayer: Layer {}

extension ShapePreservingLayer {
    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }
}
