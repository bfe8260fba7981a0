/// Multi-head attention (Keras' `MultiHeadAttention`) over sequences: the query, key and value
/// are projected into `numHeads` heads, each head attends with scaled dot products
/// (`1 / sqrt(keyDim)`), and the heads are projected back to the query's features (or to
/// `outputShape`).
///
/// Called on `[query, value]` or `[query, value, key]`, each `(batch, steps, features)`. Masks
/// as in Keras: a step masked in the query or the value is left out of the attention; a query
/// step whose every value is masked out averages all values uniformly; the query's mask goes on.
/// (Keras' layer also takes the masks off its input tensors while a model runs, so that in
/// Keras a layer run after it on the same tensors may see no mask, depending on the order Keras
/// runs layers of equal depth in; here every layer sees its inputs' masks.)
/// `useCausalMask` and `returnAttentionScores` are Keras' call arguments, kept on the layer.
/// Prediction only (training is refused with an error that says so); attention over other axes
/// than the steps and gated attention are refused when read from a file.
public final class MultiHeadAttention<Scalar: TensorScalar>: Layer {
    public let numHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let useBias: Bool
    /// The output's feature count; `nil` for the query's.
    public let outputDim: Int?
    /// The dropout rate on the attention weights in training (not applied in prediction).
    public let dropout: Double
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var useCausalMask: Bool
    /// Whether the attention weights `(batch, heads, Tq, Tv)` come back as a second output.
    public var returnAttentionScores: Bool
    public var name: String
    public var trainable = true
    /// Kernels `(features, heads, dim)` and biases `(heads, dim)` of the query, key and value
    /// projections, then the output kernel `(heads, valueDim, outputDim)` and bias, in Keras' order.
    private var projections: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive or a dropout outside `[0, 1)`.
    public init(
        numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Double = 0, useBias: Bool = true, outputDim: Int? = nil,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, useCausalMask: Bool = false,
        returnAttentionScores: Bool = false, name: String? = nil
    ) throws {
        for (argument, value) in [("num_heads", numHeads), ("key_dim", keyDim), ("value_dim", valueDim ?? keyDim), ("output_shape", outputDim ?? 1)] {
            guard value > 0, value <= 1 << 24 else {
                throw LayerError(.invalidArgument, "MultiHeadAttention: \(argument) must be a positive integer, got \(value)")
            }
        }
        try checkRate(dropout, "dropout", layer: "MultiHeadAttention")
        self.numHeads = numHeads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.outputDim = outputDim
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.useCausalMask = useCausalMask
        self.returnAttentionScores = returnAttentionScores
        self.name = name ?? "multi_head_attention"
    }

    public var isBuilt: Bool { !projections.isEmpty }

    /// The weights' shapes for query, value and key features.
    private func weightShapes(query: Int, value: Int, key: Int) -> [[Int]] {
        let out = outputDim ?? query
        let pairs: [([Int], [Int])] = [
            ([query, numHeads, keyDim], [numHeads, keyDim]), ([key, numHeads, keyDim], [numHeads, keyDim]),
            ([value, numHeads, valueDim], [numHeads, valueDim]), ([numHeads, valueDim, out], [out]),
        ]
        return pairs.flatMap { useBias ? [$0.0, $0.1] : [$0.0] }
    }

    private func features(_ shapes: [[Int?]]) throws -> (query: Int, value: Int, key: Int) {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key], got \(shapes.count) inputs")
        }
        let key = shapes.count == 3 ? shapes[2] : shapes[1]
        guard shapes.allSatisfy({ $0.count == 3 }) else {
            throw LayerError(.invalidInputShape, "\(name): query, value and key must have rank 3 (batch, steps, features), got \(shapes.map(describe))")
        }
        guard let q = shapes[0][2], let v = shapes[1][2], let k = key[2] else {
            throw LayerError(.invalidInputShape, "\(name): the feature axes must be known, got \(shapes.map(describe))")
        }
        if let a = shapes[1][1], let b = key[1], a != b {
            throw LayerError(.invalidInputShape, "\(name): value \(describe(shapes[1])) and key \(describe(key)) must have the same steps")
        }
        return (q, v, k)
    }

    public func build(inputShape: [Int?]) throws {
        throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key]")
    }

    public func build(inputShapes: [[Int?]]) throws {
        let (q, v, k) = try features(inputShapes)
        let shapes = weightShapes(query: q, value: v, key: k)
        if isBuilt {
            guard projections.map(\.shape) == shapes else {
                throw LayerError(.invalidInputShape, "\(name): built for other feature sizes than \(inputShapes.map(describe))")
            }
            return
        }
        projections = try shapes.map { try ($0.count == 3 ? kernelInitializer : biasInitializer).makeTensor(shape: $0) }
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        throw LayerError(.invalidArgument, "\(name): attention takes [query, value] or [query, value, key]")
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        let (q, _, _) = try features(inputShapes)
        let output: [Int?] = [inputShapes[0][0], inputShapes[0][1], outputDim ?? q]
        return returnAttentionScores ? [output, [inputShapes[0][0], numHeads, inputShapes[0][1], inputShapes[1][1]]] : [output]
    }

    public var weights: [Tensor<Scalar>] { projections }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard weights.count == (useBias ? 8 : 4), weights[0].rank == 3, weights[useBias ? 2 : 1].rank == 3, weights[useBias ? 4 : 2].rank == 3 else {
            throw LayerError(.invalidWeights, "layer '\(name)' expects \(useBias ? 8 : 4) weights (query, key, value and output projections), got \(weights.count)")
        }
        let step = useBias ? 2 : 1
        try checkWeights(weights, expected: weightShapes(query: weights[0].shape[0], value: weights[2 * step].shape[0], key: weights[step].shape[0]))
        projections = weights
    }

    /// `x (batch, steps, features) · kernel + bias`, the kernel read as `(features, rest)`:
    /// `(batch, steps, heads, dim)` flattened for the input projections (`inputAxes` 1), the
    /// output for the output projection (`inputAxes` 2: heads and value features).
    private func project(_ x: Tensor<Scalar>, kernel: Tensor<Scalar>, bias: Tensor<Scalar>?, inputAxes: Int = 1) throws -> [Scalar] {
        let features = kernel.shape.prefix(inputAxes).reduce(1, *), width = kernel.scalarCount / max(features, 1)
        var result = try x.matmul(kernel.reshaped(to: [features, width]))
        if let bias {
            result.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] += bias.scalars[i % width] }
            }
        }
        return result.scalars
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    /// Training multi-head attention is not written yet.
    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        throw unsupportedTraining()
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try build(inputShapes: inputs.map { optionalShape($0.shape) })
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count == 3 ? inputs[2] : value
        let (batch, tq, tv) = (query.shape[0], query.shape[1], value.shape[1])
        guard value.shape[0] == batch, key.shape[0] == batch, key.shape[1] == tv else {
            throw LayerError(.invalidInputShape, "\(name): query \(query.shape), value \(value.shape) and key \(key.shape) do not fit together")
        }
        let queryMask = masks.count > 0 ? masks[0] : nil
        let valueMask = masks.count > 1 ? masks[1] : nil, keyMask = masks.count > 2 ? masks[2] : nil
        for (mask, steps, what) in [(queryMask, tq, "query"), (valueMask, tv, "value"), (keyMask, tv, "key")] {
            if let mask, mask.shape != [batch, steps] {
                throw LayerError(.invalidMask, "\(name): the \(what) mask must have shape \([batch, steps]), got \(mask.shape)")
            }
        }
        let step = useBias ? 2 : 1
        func bias(_ i: Int) -> Tensor<Scalar>? { useBias ? projections[i * 2 + 1] : nil }
        let q = try project(query, kernel: projections[0], bias: bias(0))
        let k = try project(key, kernel: projections[step], bias: bias(1))
        let v = try project(value, kernel: projections[2 * step], bias: bias(2))
        let (h, kd, vd) = (numHeads, keyDim, valueDim)
        _ = try WeightLimits.scalarCount(of: [batch, h, tq, max(tv, vd)])
        let factor = 1 / Scalar.sqrt(Scalar(kd))
        var heads = [Scalar](repeating: 0, count: batch * tq * h * vd)
        var scores = [Scalar](repeating: 0, count: returnAttentionScores ? batch * h * tq * tv : 0)
        var row = [Scalar](repeating: 0, count: tv)
        for b in 0..<batch {
            for head in 0..<h {
                for i in 0..<tq {
                    let qBase = ((b * tq + i) * h + head) * kd
                    let queryVisible = queryMask?.scalars[b * tq + i] ?? true
                    for j in 0..<tv {
                        let kBase = ((b * tv + j) * h + head) * kd
                        var s: Scalar = 0
                        for d in 0..<kd { s += q[qBase + d] * k[kBase + d] }
                        let visible = queryVisible && (valueMask?.scalars[b * tv + j] ?? true)
                            && (keyMask?.scalars[b * tv + j] ?? true) && (!useCausalMask || j <= i)
                        // Keras puts a very large negative number at masked positions: a row
                        // with none visible comes out uniform.
                        row[j] = visible ? s * factor : -.greatestFiniteMagnitude * 0.7
                    }
                    softmax(&row)
                    let oBase = ((b * tq + i) * h + head) * vd
                    for j in 0..<tv {
                        let w = row[j]
                        if returnAttentionScores { scores[((b * h + head) * tq + i) * tv + j] = w }
                        let vBase = ((b * tv + j) * h + head) * vd
                        for d in 0..<vd { heads[oBase + d] += w * v[vBase + d] }
                    }
                }
            }
        }
        let attended = try Tensor(shape: [batch, tq, h * vd], scalars: heads)
        let output = try Tensor(shape: [batch, tq, projections[3 * step].shape[2]], scalars: try project(attended, kernel: projections[3 * step], bias: bias(3), inputAxes: 2))
        var outputs = [output]
        if returnAttentionScores { outputs.append(try Tensor(shape: [batch, h, tq, tv], scalars: scores)) }
        return LayerOutput(outputs: outputs, mask: queryMask)
    }
}

