/// Scales each vector along `axis` to unit L2 norm (Keras' `UnitNormalization`):
/// `x * min(1 / sqrt(sum(x²)), 1e12)`. The mask passes through.
public final class UnitNormalization<Scalar: TensorScalar>: ShapePreservingLayer, RecordsInputs {
    /// The axes of each vector (negative ones count from the end).
    public let axis: [Int]
    public var name: String
    public var trainable = true
    var records: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' default axis, the last.
    public init(axis: [Int] = [-1], name: String? = nil) {
        self.axis = axis
        self.name = name ?? "unit_normalization"
    }

    /// For each value, the index of its vector, and the number of vectors.
    private func vectors(_ shape: [Int]) throws -> (index: [Int], count: Int) {
        let rank = shape.count
        let axes = try Set(axis.map { a -> Int in
            let resolved = a < 0 ? a + rank : a
            guard resolved >= 1, resolved < rank else { throw LayerError(.invalidArgument, "\(name): axis \(a) does not fit an input of rank \(rank)") }
            return resolved
        })
        let kept = (0..<rank).filter { !axes.contains($0) }
        let count = kept.reduce(1) { $0 * shape[$1] }
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let total = shape.reduce(1, *)
        let index = (0..<total).map { i in kept.reduce(0) { $0 * shape[$1] + (i / strides[$1]) % shape[$1] } }
        return (index, count)
    }

    /// `1 / norm` of each vector, Keras' bound included.
    private func scales(_ x: Tensor<Scalar>, _ index: [Int], _ count: Int) -> [Scalar] {
        var sums = [Scalar](repeating: 0, count: count)
        for (i, value) in x.scalars.enumerated() { sums[index[i]] += value * value }
        return sums.map { Swift.min(1 / $0.squareRoot(), Scalar(1e12)) }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (index, count) = try vectors(input.shape)
        let s = scales(input, index, count)
        var output = input
        output.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] *= s[index[i]] } }
        return LayerOutput(output, mask: mask)
    }

    /// d(x·s)/dx with s = |x|⁻¹: g·s − x·s³·Σ(g·x) over the vector (s bounded: g·s).
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: input.shape).scalars
        let (index, count) = try vectors(input.shape)
        let s = scales(input, index, count)
        var dots = [Scalar](repeating: 0, count: count)
        for (i, value) in input.scalars.enumerated() { dots[index[i]] += g[i] * value }
        let bounded = s.map { $0 >= Scalar(1e12) }
        let dx = input.scalars.indices.map { i -> Scalar in
            let v = index[i]
            return bounded[v] ? g[i] * s[v] : g[i] * s[v] - input.scalars[i] * s[v] * s[v] * s[v] * dots[v]
        }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: dx))
    }
}

extension UnitNormalization {
    public var stepScope: StepScope {
        axis.contains(1) ? .acrossSteps("normalizes along the steps axis") : .eachStep
    }
}
