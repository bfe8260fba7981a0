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
/// It trains, dropout on the attention weights included (the returned scores are those before
/// dropout, as Keras'), with Keras' penalties: the kernel and bias regularizers and constraints
/// on all four projections, the activity regularizer on each projection's output; attention
/// over other axes than the steps and gated attention are refused when read from a file.
public final class MultiHeadAttention<Scalar: TensorScalar>: Layer {
    public let numHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let useBias: Bool
    /// The output's feature count; `nil` for the query's.
    public let outputDim: Int?
    /// The dropout rate on the attention weights in training (not applied in prediction).
    public let dropout: Double
    /// Seeds the dropout masks (Keras' `seed`); `nil` draws from `GlobalRandom`.
    public let seed: UInt64?
    var generator: RandomGenerator
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// The penalty on each projection's kernel, as Keras gives it to all four.
    public var kernelRegularizer: Regularizer?
    /// The penalty on each projection's bias.
    public var biasRegularizer: Regularizer?
    /// The penalty on each projection's output (query, key, value and output), each divided
    /// by the batch size, as Keras' sublayers add it.
    public var activityRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    /// The activity penalty of the most recent recorded call.
    public private(set) var activityLoss: Scalar = 0
    public var useCausalMask: Bool
    /// Whether the attention weights `(batch, heads, Tq, Tv)` come back as a second output.
    public var returnAttentionScores: Bool
    public var name: String
    public var trainable = true
    /// Kernels `(features, heads, dim)` and biases `(heads, dim)` of the query, key and value
    /// projections, then the output kernel `(heads, valueDim, outputDim)` and bias, in Keras' order.
    private var projections: [Tensor<Scalar>] = []
    /// Recorded calls for the backward pass.
    private var records: [Pass] = []

    /// What one call computed: its inputs and masks, the projected query, key and value
    /// `(batch, steps, heads, dim)`, the attention weights `(batch, heads, Tq, Tv)` before
    /// dropout, the dropout masks (empty without dropout) and the attended heads.
    private struct Pass {
        var inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?]
        var q: [Scalar], k: [Scalar], v: [Scalar]
        var weights: [Scalar], dropped: [Scalar]
        var attended: Tensor<Scalar>
        var visible: [Bool]
        /// The output, kept for the activity penalty's gradient.
        var output: [Scalar] = []
    }

    /// Creates the layer with Keras' defaults.
    ///
    /// - Throws: ``LayerError`` for sizes that are not positive or a dropout outside `[0, 1)`.
    public init(
        numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Double = 0, useBias: Bool = true, outputDim: Int? = nil,
        kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros, useCausalMask: Bool = false,
        returnAttentionScores: Bool = false, seed: UInt64? = nil, name: String? = nil
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
        self.seed = seed
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
        self.useBias = useBias
        self.outputDim = outputDim
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.useCausalMask = useCausalMask
        self.returnAttentionScores = returnAttentionScores
        self.name = name ?? "multi_head_attention"
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
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

    public var weightRegularizers: [Regularizer?] { projections.map { $0.rank == 3 ? kernelRegularizer : biasRegularizer } }

    public var weightConstraints: [Constraint?] { projections.map { $0.rank == 3 ? kernelConstraint : biasConstraint } }

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

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try run(inputs, masks: masks, training: training).output
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let (output, pass) = try run(inputs, masks: masks, training: training)
        records.append(pass)
        activityLoss = 0
        if let activityRegularizer {
            let batch = Scalar(Swift.max(inputs[0].shape[0], 1))
            for values in [pass.q, pass.k, pass.v, pass.output] {
                activityLoss += activityRegularizer.penalty(Tensor(uncheckedShape: [values.count], scalars: values)) / batch
            }
        }
        return output
    }

    public func clearRecords() { records.removeAll() }

    /// The call, and what its backward pass needs.
    private func run(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> (output: LayerOutput<Scalar>, pass: Pass) {
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
        var weights = [Scalar](repeating: 0, count: batch * h * tq * tv), visible = [Bool](repeating: false, count: batch * tq * tv)
        var dropped = [Scalar]()
        if training, dropout > 0 {
            let mask: Tensor<Scalar> = dropoutMask(shape: [batch * h * tq * tv], rate: dropout, generator: &generator)
            dropped = mask.scalars
        }
        var row = [Scalar](repeating: 0, count: tv)
        for b in 0..<batch {
            for i in 0..<tq {
                let queryVisible = queryMask?.scalars[b * tq + i] ?? true
                for j in 0..<tv {
                    visible[(b * tq + i) * tv + j] = queryVisible && (valueMask?.scalars[b * tv + j] ?? true)
                        && (keyMask?.scalars[b * tv + j] ?? true) && (!useCausalMask || j <= i)
                }
            }
            for head in 0..<h {
                for i in 0..<tq {
                    let qBase = ((b * tq + i) * h + head) * kd
                    for j in 0..<tv {
                        let kBase = ((b * tv + j) * h + head) * kd
                        var s: Scalar = 0
                        for d in 0..<kd { s += q[qBase + d] * k[kBase + d] }
                        // Keras puts a very large negative number at masked positions: a row
                        // with none visible comes out uniform.
                        row[j] = visible[(b * tq + i) * tv + j] ? s * factor : -.greatestFiniteMagnitude * 0.7
                    }
                    softmax(&row)
                    let oBase = ((b * tq + i) * h + head) * vd, wBase = ((b * h + head) * tq + i) * tv
                    for j in 0..<tv {
                        weights[wBase + j] = row[j]
                        let w = dropped.isEmpty ? row[j] : row[j] * dropped[wBase + j]
                        let vBase = ((b * tv + j) * h + head) * vd
                        for d in 0..<vd { heads[oBase + d] += w * v[vBase + d] }
                    }
                }
            }
        }
        let attended = try Tensor(shape: [batch, tq, h * vd], scalars: heads)
        let output = try Tensor(
            shape: [batch, tq, projections[3 * step].shape[2]],
            scalars: try project(attended, kernel: projections[3 * step], bias: bias(3), inputAxes: 2))
        var outputs = [output]
        if returnAttentionScores { outputs.append(try Tensor(shape: [batch, h, tq, tv], scalars: weights)) }
        var pass = Pass(inputs: inputs, masks: masks, q: q, k: k, v: v, weights: weights, dropped: dropped, attended: attended, visible: visible)
        if activityRegularizer != nil { pass.output = output.scalars }
        return (LayerOutput(outputs: outputs, mask: queryMask), pass)
    }

    /// Back through the output projection, each head's softmax (ds = w ⊙ (dw - Σ w ⊙ dw), the
    /// dropout mask on dw) and the three input projections; the key's gradient joins the
    /// value's when the value served as the key.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let pass = try popRecord(&records, layer: name)
        let (query, value) = (pass.inputs[0], pass.inputs[1])
        let key = pass.inputs.count == 3 ? pass.inputs[2] : value
        let (batch, tq, tv) = (query.shape[0], query.shape[1], value.shape[1])
        let (h, kd, vd) = (numHeads, keyDim, valueDim)
        let step = useBias ? 2 : 1
        let outputKernel = projections[3 * step]
        let out = outputKernel.shape[2]
        var g = try gradient(outputGradients, 0, shape: [batch, tq, out])
        /// The activity penalty's gradient for a projection's output `values`, added to `d`.
        func addActivityGradient(_ values: [Scalar], to d: inout [Scalar]) {
            guard let activityRegularizer else { return }
            let extra = activityRegularizer.gradient(Tensor(uncheckedShape: [values.count], scalars: values)).scalars
            let scale = 1 / Scalar(Swift.max(batch, 1))
            for i in d.indices { d[i] += extra[i] * scale }
        }
        if activityRegularizer != nil {
            var scalars = g.scalars
            addActivityGradient(pass.output, to: &scalars)
            g = try Tensor(shape: g.shape, scalars: scalars)
        }
        let gScores = returnAttentionScores ? try gradient(outputGradients, 1, shape: [batch, h, tq, tv]) : nil
        var dWeights = [Tensor<Scalar>]()
        // Output projection: attended (rows, h·vd) · Wo (h·vd, out) + bo.
        let rows = batch * tq
        let g2 = try g.reshaped(to: [rows, out]), a2 = try pass.attended.reshaped(to: [rows, h * vd])
        let wo = try outputKernel.reshaped(to: [h * vd, out])
        let dAttended = try g2.matmul(wo.transposed([1, 0])).scalars
        let dOutputKernel = try a2.transposed([1, 0]).matmul(g2).reshaped(to: outputKernel.shape)
        let factor = 1 / Scalar.sqrt(Scalar(kd))
        var dq = [Scalar](repeating: 0, count: pass.q.count), dk = [Scalar](repeating: 0, count: pass.k.count)
        var dv = [Scalar](repeating: 0, count: pass.v.count)
        var dw = [Scalar](repeating: 0, count: tv)
        for b in 0..<batch {
            for head in 0..<h {
                for i in 0..<tq {
                    let oBase = ((b * tq + i) * h + head) * vd, wBase = ((b * h + head) * tq + i) * tv
                    var weighted: Scalar = 0
                    for j in 0..<tv {
                        let vBase = ((b * tv + j) * h + head) * vd
                        var dot: Scalar = 0
                        for d in 0..<vd { dot += dAttended[oBase + d] * pass.v[vBase + d] }
                        let keep = pass.dropped.isEmpty ? 1 : pass.dropped[wBase + j]
                        let w = pass.weights[wBase + j]
                        for d in 0..<vd { dv[vBase + d] += w * keep * dAttended[oBase + d] }
                        dw[j] = dot * keep + (gScores?.scalars[wBase + j] ?? 0)
                        weighted += w * dw[j]
                    }
                    let qBase = ((b * tq + i) * h + head) * kd
                    for j in 0..<tv where pass.visible[(b * tq + i) * tv + j] {
                        let ds = pass.weights[wBase + j] * (dw[j] - weighted) * factor
                        let kBase = ((b * tv + j) * h + head) * kd
                        for d in 0..<kd {
                            dq[qBase + d] += ds * pass.k[kBase + d]
                            dk[kBase + d] += ds * pass.q[qBase + d]
                        }
                    }
                }
            }
        }
        addActivityGradient(pass.q, to: &dq)
        addActivityGradient(pass.k, to: &dk)
        addActivityGradient(pass.v, to: &dv)
        /// Back through `x · kernel + bias` for a projection `(batch, steps, heads·dim)`.
        func projectionBackward(_ x: Tensor<Scalar>, _ d: [Scalar], kernel: Tensor<Scalar>) throws -> Tensor<Scalar> {
            let features = kernel.shape[0], width = kernel.scalarCount / max(features, 1)
            let n = x.scalarCount / max(features, 1)
            let dz = try Tensor(shape: [n, width], scalars: d)
            let x2 = try x.reshaped(to: [n, features])
            dWeights.append(try x2.transposed([1, 0]).matmul(dz).reshaped(to: kernel.shape))
            if useBias { dWeights.append(try biasGradient(dz, width: width).reshaped(to: [kernel.shape[1], kernel.shape[2]])) }
            return try dz.matmul(kernel.reshaped(to: [features, width]).transposed([1, 0])).reshaped(to: x.shape)
        }
        let dQuery = try projectionBackward(query, dq, kernel: projections[0])
        var dKey = try projectionBackward(key, dk, kernel: projections[step])
        var dValue = try projectionBackward(value, dv, kernel: projections[2 * step])
        dWeights.append(dOutputKernel)
        if useBias { dWeights.append(try biasGradient(g2, width: out)) }
        if pass.inputs.count == 2 {
            dValue = try dValue.adding(dKey)
            dKey = dValue
        }
        var gradients = LayerGradients(input: dQuery, weights: dWeights)
        gradients.otherInputs = pass.inputs.count == 3 ? [dValue, dKey] : [dValue]
        return gradients
    }
}
