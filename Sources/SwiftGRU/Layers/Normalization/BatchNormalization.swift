/// Normalizes features (Keras' `BatchNormalization`) along the last axis: in prediction with
/// the moving statistics, `gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta`;
/// in training with the batch's mean and (biased) variance, over the unmasked positions when
/// there is a mask, while the moving statistics follow them
/// (`moving = moving * momentum + batch * (1 - momentum)`), as in Keras.
///
/// Gamma and beta train; the moving statistics are the layer's own (non-trainable) weights.
public final class BatchNormalization<Scalar: TensorScalar>: Layer {
    /// The feature axis; only the last one is supported (`-1`, or its index).
    public let axis: Int
    /// Added to the variance before its square root.
    public let epsilon: Double
    /// The moving averages' decay in training (Keras' `momentum`), kept for the file.
    public let momentum: Double
    /// Whether `beta` is added.
    public let center: Bool
    /// Whether `gamma` multiplies.
    public let scale: Bool
    /// Gamma's starting values (Keras' `gamma_initializer`).
    public var gammaInitializer: Initializer = .ones
    /// Beta's starting values (Keras' `beta_initializer`).
    public var betaInitializer: Initializer = .zeros
    /// The moving mean's starting values (Keras' `moving_mean_initializer`).
    public var movingMeanInitializer: Initializer = .zeros
    /// The moving variance's starting values (Keras' `moving_variance_initializer`).
    public var movingVarianceInitializer: Initializer = .ones
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
    private var gamma: Tensor<Scalar>?
    private var beta: Tensor<Scalar>?
    private var movingMean: Tensor<Scalar>?
    private var movingVariance: Tensor<Scalar>?
    /// Recorded calls: the normalized input, each feature's 1/sqrt(variance + epsilon), the
    /// per-position mask weights and their total, and whether the statistics were the batch's
    /// (training) or the moving ones (a frozen layer); `nil` for a call in inference mode.
    var records: [(normalized: Tensor<Scalar>, inverse: [Double], weights: [Double]?, total: Double, batchStatistics: Bool)?] = []

    /// Creates the layer with Keras' defaults (normalizing the last axis).
    ///
    /// - Throws: ``LayerError`` for a negative `epsilon`.
    public init(
        axis: Int = -1, momentum: Double = 0.99, epsilon: Double = 0.001, center: Bool = true, scale: Bool = true,
        name: String? = nil
    ) throws {
        guard epsilon >= 0, epsilon.isFinite else {
            throw LayerError(.invalidArgument, "BatchNormalization: epsilon must be non-negative, got \(epsilon)")
        }
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.name = name ?? "batch_normalization"
    }

    public var isBuilt: Bool { movingMean != nil }

    public func build(inputShape: [Int?]) throws {
        guard axis == -1 || axis == inputShape.count - 1 else {
            throw LayerError(.unsupported, "\(name): axis \(axis) is not the last axis of shape \(describe(inputShape)); only the last axis is supported")
        }
        guard let last = inputShape.last, let features = last, features > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the last axis must be known, got shape \(describe(inputShape))")
        }
        if let built = movingMean?.scalarCount {
            guard built == features else {
                throw LayerError(.invalidInputShape, "\(name): built for \(built) features, got shape \(describe(inputShape))")
            }
            return
        }
        _ = try WeightLimits.scalarCount(of: [features])
        gamma = scale ? try gammaInitializer.makeTensor(shape: [features]) : nil
        beta = center ? try betaInitializer.makeTensor(shape: [features]) : nil
        movingMean = try movingMeanInitializer.makeTensor(shape: [features])
        movingVariance = try movingVarianceInitializer.makeTensor(shape: [features])
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// Keras' `get_weights()` order: gamma, beta (each when used), moving mean, moving variance.
    public var weights: [Tensor<Scalar>] {
        [gamma, beta, movingMean, movingVariance].compactMap { $0 }
    }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard let features = weights.last?.scalarCount ?? movingMean?.scalarCount else {
            throw LayerError(.invalidWeights, "\(name): expects \((scale ? 1 : 0) + (center ? 1 : 0) + 2) weights, got none")
        }
        let expected = [[Int]](repeating: [features], count: (scale ? 1 : 0) + (center ? 1 : 0) + 2)
        try checkWeights(weights, expected: expected)
        var rest = weights[...]
        gamma = scale ? rest.popFirst() : nil
        beta = center ? rest.popFirst() : nil
        movingMean = rest.popFirst()
        movingVariance = rest.popFirst()
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        if !isBuilt { try build(inputShape: input.shape.map(Optional.some)) }
        guard let mean = movingMean?.scalars, let variance = movingVariance?.scalars,
              input.shape.last == mean.count else {
            throw LayerError(.invalidInputShape, "\(name): expects \(movingMean?.scalarCount ?? 0) features on the last axis, got shape \(input.shape)")
        }
        let features = mean.count
        var factor = [Scalar](repeating: 0, count: features), shift = [Scalar](repeating: 0, count: features)
        for j in 0..<features {
            let g = gamma?.scalars[j] ?? 1, b = beta?.scalars[j] ?? 0
            factor[j] = g / Scalar.sqrt(variance[j] + Scalar(epsilon))
            shift[j] = b - mean[j] * factor[j]
        }
        var output = input
        output.withUnsafeMutableBufferPointer { values in
            for i in 0..<values.count { values[i] = values[i] * factor[i % features] + shift[i % features] }
        }
        return LayerOutput(output, mask: mask)
    }

    /// Gamma and beta (those used); the moving statistics are updated by the layer.
    public var trainableWeightCount: Int { (scale ? 1 : 0) + (center ? 1 : 0) }

    /// Aligned with ``weights``: gamma's and beta's, none for the moving statistics.
    public var weightRegularizers: [Regularizer?] { (scale ? [gammaRegularizer] : []) + (center ? [betaRegularizer] : []) + [nil, nil] }

    public var weightConstraints: [Constraint?] { (scale ? [gammaConstraint] : []) + (center ? [betaConstraint] : []) + [nil, nil] }

    /// In training, normalizes with the batch's statistics and moves the moving ones toward
    /// them; otherwise, and when frozen (as Keras 3), as prediction.
    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard training else {
            records.append(nil)
            return try forward(input, mask: mask, training: false)
        }
        guard trainable else {
            // Backpropagated through the fixed affine map the moving statistics define.
            let result = try forward(input, mask: mask, training: false)
            guard let mean = movingMean?.scalars, let variance = movingVariance?.scalars else { return result }
            let features = mean.count
            let inverse = variance.map { 1 / (Double($0) + epsilon).squareRoot() }
            var normalized = input
            normalized.withUnsafeMutableBufferPointer { values in
                for i in 0..<values.count {
                    values[i] = Scalar((Double(values[i]) - Double(mean[i % features])) * inverse[i % features])
                }
            }
            records.append((normalized, inverse, nil, 0, false))
            return result
        }
        if !isBuilt { try build(inputShape: input.shape.map(Optional.some)) }
        guard let mean = movingMean, let variance = movingVariance, input.shape.last == mean.scalarCount else {
            throw LayerError(.invalidInputShape, "\(name): expects \(movingMean?.scalarCount ?? 0) features on the last axis, got shape \(input.shape)")
        }
        let features = mean.scalarCount, positions = input.scalarCount / max(features, 1)
        var weights: [Double]? = nil
        if let mask {
            guard mask.scalarCount == positions, Array(input.shape.dropLast()).starts(with: mask.shape) else {
                throw LayerError(.invalidMask, "\(name): a mask of shape \(mask.shape) does not fit inputs of shape \(input.shape)")
            }
            weights = mask.scalars.map { $0 ? 1 : 0 }
        }
        let total = weights?.reduce(0, +) ?? Double(positions)
        var batchMean = [Double](repeating: 0, count: features), batchVariance = [Double](repeating: 0, count: features)
        for p in 0..<positions {
            let w = weights?[p] ?? 1
            for j in 0..<features { batchMean[j] += w * Double(input.scalars[p * features + j]) }
        }
        for j in 0..<features { batchMean[j] /= max(total, 1e-30) }
        for p in 0..<positions {
            let w = weights?[p] ?? 1
            for j in 0..<features {
                let d = Double(input.scalars[p * features + j]) - batchMean[j]
                batchVariance[j] += w * d * d
            }
        }
        for j in 0..<features { batchVariance[j] /= max(total, 1e-30) }
        let m = Scalar(momentum)
        movingMean = try Tensor(shape: [features], scalars: (0..<features).map { mean.scalars[$0] * m + Scalar(batchMean[$0]) * (1 - m) })
        movingVariance = try Tensor(shape: [features], scalars: (0..<features).map { variance.scalars[$0] * m + Scalar(batchVariance[$0]) * (1 - m) })
        let inverse = batchVariance.map { 1 / ($0 + epsilon).squareRoot() }
        var normalized = [Scalar](repeating: 0, count: input.scalarCount), output = normalized
        for p in 0..<positions {
            for j in 0..<features {
                let hat = (Double(input.scalars[p * features + j]) - batchMean[j]) * inverse[j]
                normalized[p * features + j] = Scalar(hat)
                output[p * features + j] = Scalar(hat * Double(gamma?.scalars[j] ?? 1) + Double(beta?.scalars[j] ?? 0))
            }
        }
        records.append((try Tensor(shape: input.shape, scalars: normalized), inverse, weights, total, true))
        return LayerOutput(try Tensor(shape: input.shape, scalars: output), mask: mask)
    }

    /// dL/dx = s * (a - w/W * (sum(a) + x̂ * sum(a * x̂))) with a = gamma * dL/dy, per feature,
    /// w the position's mask weight and W their total; gamma and beta get sum(g * x̂) and sum(g).
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        guard let record = try popRecord(&records, layer: name) else {
            throw LayerError(.unsupported, "layer '\(name)' (BatchNormalization) was called in inference mode; it is backpropagated in training mode only")
        }
        let x = record.normalized
        let g = try gradient(outputGradients, 0, shape: x.shape)
        let features = record.inverse.count, positions = x.scalarCount / max(features, 1)
        var sumA = [Double](repeating: 0, count: features), sumAHat = sumA, dGamma = sumA, dBeta = sumA
        for p in 0..<positions {
            for j in 0..<features {
                let gi = Double(g.scalars[p * features + j]), hat = Double(x.scalars[p * features + j])
                let a = gi * Double(gamma?.scalars[j] ?? 1)
                // Every output depends on the batch statistics, masked ones too.
                sumA[j] += a
                sumAHat[j] += a * hat
                dGamma[j] += gi * hat
                dBeta[j] += gi
            }
        }
        var dx = [Scalar](repeating: 0, count: x.scalarCount)
        let total = max(record.total, 1e-30)
        for p in 0..<positions {
            let w = record.weights?[p] ?? 1
            for j in 0..<features {
                let a = Double(g.scalars[p * features + j]) * Double(gamma?.scalars[j] ?? 1), hat = Double(x.scalars[p * features + j])
                dx[p * features + j] = Scalar(record.batchStatistics
                    ? record.inverse[j] * (a - w / total * (sumA[j] + hat * sumAHat[j])) : record.inverse[j] * a)
            }
        }
        var weights = [Tensor<Scalar>]()
        if scale { weights.append(try Tensor(shape: [features], scalars: dGamma.map { Scalar($0) })) }
        if center { weights.append(try Tensor(shape: [features], scalars: dBeta.map { Scalar($0) })) }
        return LayerGradients(input: try Tensor(shape: x.shape, scalars: dx), weights: weights)
    }

    public func clearRecords() { records.removeAll() }
}

extension BatchNormalization {
    public var stepScope: StepScope { axis == 1 ? .acrossSteps("normalizes each step position with its own statistics") : .eachStep }
}
