/// Additive attention (Keras' `AdditiveAttention`, Bahdanau style): the score of a query step
/// against a key step is `sum(scale * tanh(query + key))` over the features, with a learned
/// `scale` per feature when `useScale` (Keras' default). Otherwise as ``Attention``.
public final class AdditiveAttention<Scalar: TensorScalar>: Attention<Scalar> {
    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` when `dropout` is outside `[0, 1)`.
    public init(
        useScale: Bool = true, dropout: Double = 0, useCausalMask: Bool = false, returnAttentionScores: Bool = false,
        seed: UInt64? = nil, name: String? = nil
    ) throws {
        try super.init(
            useScale: useScale, scoreMode: .dot, dropout: dropout, useCausalMask: useCausalMask,
            returnAttentionScores: returnAttentionScores, seed: seed, name: name ?? "additive_attention")
    }

    override func weightShapes(dim: Int) -> [[Int]] { useScale ? [[dim]] : [] }

    override func makeWeights(dim: Int) throws {
        scale = useScale ? try Initializer.glorotUniform().makeTensor(shape: [dim]) : nil
    }

    override func scoreGradient(
        _ q: ArraySlice<Scalar>, _ k: ArraySlice<Scalar>, _ ds: Scalar, dq: inout [Scalar], dk: inout [Scalar], weights: inout [[Scalar]]
    ) {
        for (d, (a, b)) in zip(q, k).enumerated() {
            let t = Scalar.tanh(a + b), slope = 1 - t * t, weight = scale?.scalars[d] ?? 1
            dq[d] += ds * weight * slope
            dk[d] += ds * weight * slope
            if scale != nil { weights[0][d] += ds * t }
        }
    }

    override func score(_ q: ArraySlice<Scalar>, _ k: ArraySlice<Scalar>) -> Scalar {
        var total: Scalar = 0
        for (d, (a, b)) in zip(q, k).enumerated() { total += (scale?.scalars[d] ?? 1) * Scalar.tanh(a + b) }
        return total
    }
}
