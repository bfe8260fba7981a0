/// Normalizes each sample over the given axes (Keras' `LayerNormalization`):
/// `gamma * (x - mean) / sqrt(variance + epsilon) + beta`, the statistics taken over `axis`;
/// with `rmsScaling`, `gamma * x / sqrt(mean(x²) + epsilon)`.
///
/// `gamma` and `beta` have the extents of the normalized axes. The mask passes through.
public final class LayerNormalization<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// The normalized axes (negative ones count from the end).
    public let axis: [Int]
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    /// Scales by the root mean square instead of centering and scaling by the deviation.
    public let rmsScaling: Bool
    /// Gamma's starting values (Keras' `gamma_initializer`).
    public var gammaInitializer: Initializer = .ones
    /// Beta's starting values (Keras' `beta_initializer`).
    public var betaInitializer: Initializer = .zeros
    /// Gamma's penalty in the training loss (Keras' `gamma_regularizer`).
    public var gammaRegularizer: Regularizer?
    /// Beta's penalty in the training loss (Keras' `beta_regularizer`).
    public var betaRegularizer: Regularizer?
    /// Applied to gamma after each update (Keras' `gamma_constraint`).
    public var gammaConstraint: Constraint?
    /// Applied to beta after each update (Keras' `beta_constraint`).
    public var betaConstraint: Constraint?
    public var name: String
    public var trainable = true
    public private(set) var gamma: Tensor<Scalar>?
    public private(set) var beta: Tensor<Scalar>?
    private var builtShape: [Int]?
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' defaults (the last axis).
    ///
    /// - Throws: ``LayerError`` for a negative `epsilon` or no axes.
    public init(
        axis: [Int] = [-1], epsilon: Double = 0.001, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false,
        name: String? = nil
    ) throws {
        guard epsilon >= 0, epsilon.isFinite else {
            throw LayerError(.invalidArgument, "LayerNormalization: epsilon must be non-negative, got \(epsilon)")
        }
        guard !axis.isEmpty else { throw LayerError(.invalidArgument, "LayerNormalization: axis must name at least one axis") }
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rmsScaling = rmsScaling
        self.name = name ?? "layer_normalization"
    }

    /// The normalized axes as indices of a shape of `rank` axes, sorted.
    private func axes(rank: Int) throws -> [Int] {
        let resolved = axis.map { $0 < 0 ? $0 + rank : $0 }
        guard resolved.allSatisfy({ $0 >= 1 && $0 < rank }), Set(resolved).count == resolved.count else {
            throw LayerError(.invalidInputShape, "\(name): axis \(axis) does not fit input of rank \(rank) (the batch axis cannot be normalized)")
        }
        return resolved.sorted()
    }

    public var isBuilt: Bool { builtShape != nil }

    public func build(inputShape: [Int?]) throws {
        let shape = try axes(rank: inputShape.count).map { inputShape[$0] }
        guard shape.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw LayerError(.invalidInputShape, "\(name): the normalized axes must be known, got shape \(describe(inputShape))")
        }
        let extents = shape.map { $0 ?? 0 }
        if let builtShape {
            guard builtShape == extents else {
                throw LayerError(.invalidInputShape, "\(name): built for normalized extents \(builtShape), got shape \(describe(inputShape))")
            }
            return
        }
        _ = try WeightLimits.scalarCount(of: extents)
        gamma = scale ? try gammaInitializer.makeTensor(shape: extents) : nil
        beta = center && !rmsScaling ? try betaInitializer.makeTensor(shape: extents) : nil
        builtShape = extents
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        _ = try axes(rank: inputShape.count)
        return inputShape
    }

    public var weights: [Tensor<Scalar>] { [gamma, beta].compactMap { $0 } }

    public var weightRegularizers: [Regularizer?] { (gamma != nil ? [gammaRegularizer] : []) + (beta != nil ? [betaRegularizer] : []) }

    public var weightConstraints: [Constraint?] { (gamma != nil ? [gammaConstraint] : []) + (beta != nil ? [betaConstraint] : []) }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard let shape = builtShape ?? weights.first?.shape else {
            let count = (scale ? 1 : 0) + (center && !rmsScaling ? 1 : 0)
            guard count == 0 else { throw LayerError(.invalidWeights, "layer '\(name)' expects \(count) weights, got none") }
            return
        }
        try checkWeights(weights, expected: Array(repeating: shape, count: (scale ? 1 : 0) + (center && !rmsScaling ? 1 : 0)))
        var rest = weights[...]
        gamma = scale ? rest.popFirst() : nil
        beta = center && !rmsScaling ? rest.popFirst() : nil
        builtShape = shape
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try normalize(input, outputGradient: nil).output, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let result = try normalize(input, outputGradient: gradient(outputGradients, 0, shape: input.shape))
        return LayerGradients(input: result.input, weights: result.weights)
    }


    /// The normalized input and, given dL/d(output), the gradients of the input, gamma and beta.
    private func normalize(
        _ input: Tensor<Scalar>, outputGradient: Tensor<Scalar>?
    ) throws -> (output: Tensor<Scalar>, input: Tensor<Scalar>?, weights: [Tensor<Scalar>]) {
        try build(inputShape: optionalShape(input.shape))
        let normalized = try axes(rank: input.rank)
        let kept = (0..<input.rank).filter { !normalized.contains($0) }
        let order = kept + normalized
        let identity = order == Array(0..<input.rank)
        var inverseOrder = [Int](repeating: 0, count: order.count)
        for (i, axis) in order.enumerated() { inverseOrder[axis] = i }
        let moved = identity ? input : try input.transposed(order)
        let g = try outputGradient.map { identity ? $0 : try $0.transposed(order) }
        let width = max(normalized.reduce(1) { $0 * input.shape[$1] }, 1)
        var values = moved.scalars
        var dx = [Scalar](repeating: 0, count: g == nil ? 0 : values.count)
        var dGamma = [Double](repeating: 0, count: width), dBeta = [Double](repeating: 0, count: width)
        let gammas = gamma?.scalars, betas = beta?.scalars
        for start in stride(from: 0, to: values.count, by: width) {
            let row = values[start..<(start + width)].map(Double.init)
            let mean = rmsScaling ? 0 : row.reduce(0, +) / Double(width)
            let variance = row.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            let inverse = 1 / (variance + epsilon).squareRoot()
            let hat = row.map { ($0 - mean) * inverse }
            for j in 0..<width {
                var y = hat[j]
                if let gammas { y *= Double(gammas[j]) }
                if let betas { y += Double(betas[j]) }
                values[start + j] = Scalar(y)
            }
            guard let g else { continue }
            var dHat = [Double](repeating: 0, count: width)
            for j in 0..<width {
                let gj = Double(g.scalars[start + j])
                dGamma[j] += gj * hat[j]
                dBeta[j] += gj
                dHat[j] = gj * Double(gammas?[j] ?? 1)
            }
            let meanDHat = rmsScaling ? 0 : dHat.reduce(0, +) / Double(width)
            let meanDHatHat = zip(dHat, hat).reduce(0.0) { $0 + $1.0 * $1.1 } / Double(width)
            for j in 0..<width { dx[start + j] = Scalar(inverse * (dHat[j] - meanDHat - hat[j] * meanDHatHat)) }
        }
        var output = try Tensor(shape: moved.shape, scalars: values)
        if !identity { output = try output.transposed(inverseOrder) }
        guard g != nil, let shape = builtShape else { return (output, nil, []) }
        var inputGradient = try Tensor(shape: moved.shape, scalars: dx)
        if !identity { inputGradient = try inputGradient.transposed(inverseOrder) }
        var weights = [Tensor<Scalar>]()
        if scale { weights.append(try Tensor(shape: shape, scalars: dGamma.map { Scalar($0) })) }
        if center && !rmsScaling { weights.append(try Tensor(shape: shape, scalars: dBeta.map { Scalar($0) })) }
        return (output, inputGradient, weights)
    }
}

extension LayerNormalization {
    public var stepScope: StepScope { axis.contains(1) ? .acrossSteps("normalizes along the steps axis") : .eachStep }
}
