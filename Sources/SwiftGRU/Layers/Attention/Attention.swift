/// How ``Attention`` scores a query against a key.
public enum AttentionScoreMode: String, Sendable {
    /// `query · key`, times the learned `scale` when there is one.
    case dot
    /// `concatScoreWeight * sum(tanh(scale * (query + key)))`.
    case concat
}

/// Dot-product attention (Keras' `Attention`, Luong style): inputs `[query, value]` or
/// `[query, value, key]` of shapes `(batch, Tq, dim)` and `(batch, Tv, dim)`; each query step
/// takes the softmax-weighted sum of the values, weighted by its scores against the keys.
///
/// Masks as in Keras: value steps masked out get no weight, masked query steps give zeros, and
/// the query's mask goes on. `useCausalMask` and `returnAttentionScores` are Keras' call
/// arguments, kept on the layer. It trains, dropout on the attention weights included (the
/// returned scores are those after dropout, as Keras').
public class Attention<Scalar: TensorScalar>: Layer {
    /// Whether a learned scale multiplies the scores.
    public let useScale: Bool
    public let scoreMode: AttentionScoreMode
    /// The dropout rate on the attention weights in training (not applied in prediction).
    public let dropout: Double
    /// Seeds the dropout masks (Keras' `seed`); `nil` draws from `GlobalRandom`.
    public let seed: UInt64?
    var generator: RandomGenerator
    /// Whether query step `i` sees only value steps `j <= i` (Keras' `use_causal_mask`).
    public var useCausalMask: Bool
    /// Whether the attention weights `(batch, Tq, Tv)` come back as a second output.
    public var returnAttentionScores: Bool
    public var name: String
    public var trainable = true
    /// The scale: a scalar here, one per feature in ``AdditiveAttention``.
    public internal(set) var scale: Tensor<Scalar>?
    /// The concat-mode weight (a scalar).
    public private(set) var concatScoreWeight: Tensor<Scalar>?
    private(set) var built = false
    /// Recorded calls: the inputs, the masks and the dropout mask on the weights (empty without).
    var records: [(inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], dropped: [Scalar])] = []

    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` when `dropout` is outside `[0, 1)`.
    public init(
        useScale: Bool = false, scoreMode: AttentionScoreMode = .dot, dropout: Double = 0, useCausalMask: Bool = false,
        returnAttentionScores: Bool = false, seed: UInt64? = nil, name: String? = nil
    ) throws {
        try checkRate(dropout, "dropout", layer: "Attention")
        self.useScale = useScale
        self.scoreMode = scoreMode
        self.dropout = dropout
        self.seed = seed
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
        self.useCausalMask = useCausalMask
        self.returnAttentionScores = returnAttentionScores
        self.name = name ?? "attention"
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    /// The shapes of the learned weights for queries of `dim` features.
    func weightShapes(dim: Int) -> [[Int]] {
        (useScale ? [[]] : []) + (scoreMode == .concat ? [[]] : [])
    }

    public var isBuilt: Bool { built }

    public func build(inputShape: [Int?]) throws {
        throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key]")
    }

    public func build(inputShapes: [[Int?]]) throws {
        let (query, _, _) = try check(inputShapes)
        guard !built else { return }
        guard let dim = query[2] else {
            throw LayerError(.invalidInputShape, "\(name): the query's feature axis must be known, got \(describe(query))")
        }
        try makeWeights(dim: dim)
        built = true
    }

    /// Creates the weights for queries of `dim` features.
    func makeWeights(dim: Int) throws {
        scale = useScale ? Tensor(repeating: 1, shape: []) : nil
        concatScoreWeight = scoreMode == .concat ? Tensor(repeating: 1, shape: []) : nil
    }

    /// The query, value and key shapes, checked.
    private func check(_ shapes: [[Int?]]) throws -> (query: [Int?], value: [Int?], key: [Int?]) {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key], got \(shapes.count) inputs")
        }
        let (query, value) = (shapes[0], shapes[1])
        let key = shapes.count == 3 ? shapes[2] : value
        guard query.count == 3, value.count == 3, key.count == 3 else {
            throw LayerError(.invalidInputShape, "\(name): query, value and key must have rank 3 (batch, steps, features), got \(shapes.map(describe))")
        }
        let agree = { (a: Int?, b: Int?) in a == nil || b == nil || a == b }
        guard agree(query[2], key[2]), agree(value[1], key[1]) else {
            throw LayerError(.invalidInputShape, "\(name): query \(describe(query)) and key \(describe(key)) need the same features, value \(describe(value)) and key the same steps")
        }
        return (query, value, key)
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key]")
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        let (query, value, key) = try check(inputShapes)
        let output = [query[0], query[1], value[2]]
        return returnAttentionScores ? [output, [query[0], query[1], key[1]]] : [output]
    }

    public var weights: [Tensor<Scalar>] { [scale, concatScoreWeight].compactMap { $0 } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let dim = scale?.shape.first ?? weights.first?.shape.first ?? 0
        try checkWeights(weights, expected: weightShapes(dim: dim))
        var rest = weights[...]
        if useScale { scale = rest.popFirst() }
        if scoreMode == .concat { concatScoreWeight = rest.popFirst() }
        built = true
    }

    /// The score of query row `q` against key row `k` (each `dim` values).
    func score(_ q: ArraySlice<Scalar>, _ k: ArraySlice<Scalar>) -> Scalar {
        let s = scale?.scalars.first ?? 1
        switch scoreMode {
        case .dot:
            var total: Scalar = 0
            for (a, b) in zip(q, k) { total += a * b }
            return scale == nil ? total : total * s
        case .concat:
            var total: Scalar = 0
            for (a, b) in zip(q, k) { total += Scalar.tanh(scale == nil ? a + b : s * (a + b)) }
            return (concatScoreWeight?.scalars.first ?? 1) * total
        }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    /// dL/d(query features) and dL/d(key features) of one score given dL/d(score), and the
    /// score's gradient for each learned weight (in ``weights`` order), added to `weights`.
    func scoreGradient(
        _ q: ArraySlice<Scalar>, _ k: ArraySlice<Scalar>, _ ds: Scalar, dq: inout [Scalar], dk: inout [Scalar], weights: inout [[Scalar]]
    ) {
        let s = scale?.scalars.first ?? 1
        switch scoreMode {
        case .dot:
            var dot: Scalar = 0
            for (j, (a, b)) in zip(q, k).enumerated() {
                dq[j] += ds * s * b
                dk[j] += ds * s * a
                dot += a * b
            }
            if scale != nil { weights[0][0] += ds * dot }
        case .concat:
            let cw = concatScoreWeight?.scalars.first ?? 1
            var dScale: Scalar = 0, dWeight: Scalar = 0
            for (j, (a, b)) in zip(q, k).enumerated() {
                let t = Scalar.tanh(s * (a + b)), slope = 1 - t * t
                dq[j] += ds * cw * slope * s
                dk[j] += ds * cw * slope * s
                dScale += ds * cw * slope * (a + b)
                dWeight += ds * t
            }
            if scale != nil { weights[0][0] += dScale }
            weights[weights.count - 1][0] += dWeight
        }
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let dropped = try dropoutMask(inputs, training: training)
        let output = try run(inputs, masks: masks, dropped: dropped)
        records.append((inputs, masks, dropped))
        return output
    }

    /// The dropout mask on the attention weights `(batch, Tq, Tv)` of a training call; empty otherwise.
    private func dropoutMask(_ inputs: [Tensor<Scalar>], training: Bool) throws -> [Scalar] {
        guard training, dropout > 0, inputs.count >= 2, inputs[0].rank == 3, inputs[1].rank == 3 else { return [] }
        let count = try WeightLimits.scalarCount(of: [inputs[0].shape[0], inputs[0].shape[1], inputs[1].shape[1]])
        let mask: Tensor<Scalar> = SwiftGRU.dropoutMask(shape: [count], rate: dropout, generator: &generator)
        return mask.scalars
    }

    /// Through the softmax of each query step's scores: dv = wᵀ·dOut, ds = w ⊙ (dw - Σ w ⊙ dw),
    /// then the score's gradients for the query, the key and the learned weights.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let (inputs, masks, dropped) = try popRecord(&records, layer: name)
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count == 3 ? inputs[2] : value
        let (batch, tq, dim) = (query.shape[0], query.shape[1], query.shape[2])
        let (tv, width) = (value.shape[1], value.shape[2])
        let g = try gradient(outputGradients, 0, shape: [batch, tq, width])
        let gScores = returnAttentionScores ? try gradient(outputGradients, 1, shape: [batch, tq, tv]) : nil
        let queryMask = masks.count > 0 ? masks[0] : nil, valueMask = masks.count > 1 ? masks[1] : nil
        var dq = [Scalar](repeating: 0, count: query.scalarCount), dk = [Scalar](repeating: 0, count: key.scalarCount)
        var dv = [Scalar](repeating: 0, count: value.scalarCount)
        var dWeights = weights.map { [Scalar](repeating: 0, count: $0.scalarCount) }
        var row = [Scalar](repeating: 0, count: tv), dw = row
        var dqRow = [Scalar](repeating: 0, count: dim), dkRow = dqRow
        for b in 0..<batch {
            for i in 0..<tq {
                let q = query.scalars[((b * tq + i) * dim)..<((b * tq + i + 1) * dim)]
                for j in 0..<tv {
                    var s = score(q, key.scalars[((b * tv + j) * dim)..<((b * tv + j + 1) * dim)])
                    if !((valueMask?.scalars[b * tv + j] ?? true) && (!useCausalMask || j <= i)) { s -= 1e9 }
                    row[j] = s
                }
                softmax(&row)
                let masked = !(queryMask?.scalars[b * tq + i] ?? true)
                var total: Scalar = 0
                for j in 0..<tv {
                    let keep = dropped.isEmpty ? 1 : dropped[(b * tq + i) * tv + j]
                    var d: Scalar = gScores?.scalars[(b * tq + i) * tv + j] ?? 0
                    if !masked {
                        for f in 0..<width {
                            let go = g.scalars[(b * tq + i) * width + f]
                            d += go * value.scalars[(b * tv + j) * width + f]
                            dv[(b * tv + j) * width + f] += row[j] * keep * go
                        }
                    }
                    dw[j] = d * keep
                    total += row[j] * dw[j]
                }
                for j in 0..<tv {
                    let ds = row[j] * (dw[j] - total)
                    for d in 0..<dim { dqRow[d] = 0; dkRow[d] = 0 }
                    scoreGradient(q, key.scalars[((b * tv + j) * dim)..<((b * tv + j + 1) * dim)], ds, dq: &dqRow, dk: &dkRow, weights: &dWeights)
                    for d in 0..<dim {
                        dq[(b * tq + i) * dim + d] += dqRow[d]
                        dk[(b * tv + j) * dim + d] += dkRow[d]
                    }
                }
            }
        }
        var gradients = LayerGradients(
            input: try Tensor(shape: query.shape, scalars: dq),
            weights: try zip(weights, dWeights).map { try Tensor(shape: $0.shape, scalars: $1) })
        if inputs.count == 3 {
            gradients.otherInputs = [try Tensor(shape: value.shape, scalars: dv), try Tensor(shape: key.shape, scalars: dk)]
        } else {
            // The value is also the key.
            gradients.otherInputs = [try Tensor(shape: value.shape, scalars: zip(dv, dk).map { $0 + $1 })]
        }
        return gradients
    }

    public func clearRecords() { records.removeAll() }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try run(inputs, masks: masks, dropped: dropoutMask(inputs, training: training))
    }

    /// The call, with `dropped` (empty for none) on the attention weights.
    private func run(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], dropped: [Scalar]) throws -> LayerOutput<Scalar> {
        try build(inputShapes: inputs.map { optionalShape($0.shape) })
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count == 3 ? inputs[2] : value
        let (batch, tq, dim) = (query.shape[0], query.shape[1], query.shape[2])
        let (tv, width) = (value.shape[1], value.shape[2])
        guard value.shape[0] == batch, key.shape[0] == batch, key.shape[2] == dim, key.shape[1] == tv else {
            throw LayerError(.invalidInputShape, "\(name): query \(query.shape), value \(value.shape) and key \(key.shape) do not fit together")
        }
        let queryMask = masks.count > 0 ? masks[0] : nil, valueMask = masks.count > 1 ? masks[1] : nil
        for (mask, steps, what) in [(queryMask, tq, "query"), (valueMask, tv, "value")] {
            if let mask, mask.shape != [batch, steps] {
                throw LayerError(.invalidMask, "\(name): the \(what) mask must have shape \([batch, steps]), got \(mask.shape)")
            }
        }
        _ = try WeightLimits.scalarCount(of: [batch, tq, max(tv, width)])
        var output = [Scalar](repeating: 0, count: batch * tq * width)
        var weights = [Scalar](repeating: 0, count: batch * tq * tv)
        var row = [Scalar](repeating: 0, count: tv)
        for b in 0..<batch {
            for i in 0..<tq {
                let q = query.scalars[((b * tq + i) * dim)..<((b * tq + i + 1) * dim)]
                for j in 0..<tv {
                    var s = score(q, key.scalars[((b * tv + j) * dim)..<((b * tv + j + 1) * dim)])
                    let visible = (valueMask?.scalars[b * tv + j] ?? true) && (!useCausalMask || j <= i)
                    if !visible { s -= 1e9 }
                    row[j] = s
                }
                softmax(&row)
                let masked = !(queryMask?.scalars[b * tq + i] ?? true)
                for j in 0..<tv {
                    let w = dropped.isEmpty ? row[j] : row[j] * dropped[(b * tq + i) * tv + j]
                    weights[(b * tq + i) * tv + j] = w
                    guard !masked else { continue }
                    for f in 0..<width { output[(b * tq + i) * width + f] += w * value.scalars[(b * tv + j) * width + f] }
                }
            }
        }
        var outputs = [try Tensor(shape: [batch, tq, width], scalars: output)]
        if returnAttentionScores { outputs.append(try Tensor(shape: [batch, tq, tv], scalars: weights)) }
        return LayerOutput(outputs: outputs, mask: queryMask)
    }
}

/// The softmax of `row` in place (the largest value subtracted first, as Keras does).
func softmax<Scalar: TensorScalar>(_ row: inout [Scalar]) {
    let largest = row.max() ?? 0
    var total: Scalar = 0
    for j in row.indices {
        row[j] = Scalar.exp(row[j] - largest)
        total += row[j]
    }
    for j in row.indices { row[j] /= total }
}

/// The call options of Keras' attention layers (`use_causal_mask`, `return_attention_scores`),
/// which the layers here keep: every call of one layer uses the same.
package protocol AttentionCallFlags: AnyObject {
    var useCausalMask: Bool { get set }
    var returnAttentionScores: Bool { get set }
}

extension Attention: AttentionCallFlags {}
extension MultiHeadAttention: AttentionCallFlags {}
