/// Normalizes each sample over groups of channels (Keras' `GroupNormalization`): the
/// channels along `axis` split into `groups` runs, each run normalized with the mean and
/// variance of its values at every position, then `gamma * x̂ + beta` per channel.
///
/// With `groups` equal to the channels it is instance normalization; with one group, layer
/// normalization over every axis but the batch. The mask passes through.
public final class GroupNormalization<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// The number of channel groups.
    public let groups: Int
    /// The channel axis (negative counts from the end).
    public let axis: Int
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
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
    private var channels: Int?
    var records: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' defaults (32 groups over the last axis).
    ///
    /// - Throws: ``LayerError`` for a group count that is not positive or a negative `epsilon`.
    public init(groups: Int = 32, axis: Int = -1, epsilon: Double = 0.001, center: Bool = true, scale: Bool = true, name: String? = nil) throws {
        guard groups > 0, groups <= 1 << 24 else { throw LayerError(.invalidArgument, "GroupNormalization: groups must be positive, got \(groups)") }
        guard epsilon >= 0, epsilon.isFinite else {
            throw LayerError(.invalidArgument, "GroupNormalization: epsilon must be non-negative, got \(epsilon)")
        }
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.name = name ?? "group_normalization"
    }

    private func channelAxis(rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 1, resolved < rank else {
            throw LayerError(.invalidInputShape, "\(name): axis \(axis) does not fit input of rank \(rank) (the batch axis cannot be normalized)")
        }
        return resolved
    }

    public var isBuilt: Bool { channels != nil }

    public func build(inputShape: [Int?]) throws {
        guard let count = inputShape[try channelAxis(rank: inputShape.count)], count > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        guard count >= groups, count % groups == 0 else {
            throw LayerError(.invalidInputShape, "\(name): \(count) channels cannot be split into \(groups) groups")
        }
        if let channels {
            guard channels == count else { throw LayerError(.invalidInputShape, "\(name): built for \(channels) channels, got shape \(describe(inputShape))") }
            return
        }
        gamma = scale ? try gammaInitializer.makeTensor(shape: [count]) : nil
        beta = center ? try betaInitializer.makeTensor(shape: [count]) : nil
        channels = count
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        _ = try channelAxis(rank: inputShape.count)
        return inputShape
    }

    /// Gamma, then beta (Keras' order).
    public var weights: [Tensor<Scalar>] { [gamma, beta].compactMap { $0 } }
    public var weightRegularizers: [Regularizer?] { (gamma != nil ? [gammaRegularizer] : []) + (beta != nil ? [betaRegularizer] : []) }
    public var weightConstraints: [Constraint?] { (gamma != nil ? [gammaConstraint] : []) + (beta != nil ? [betaConstraint] : []) }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let count = channels ?? weights.first?.scalarCount ?? 0
        try checkWeights(weights, expected: Array(repeating: [count], count: (scale ? 1 : 0) + (center ? 1 : 0)))
        var rest = weights[...]
        gamma = scale ? rest.popFirst() : nil
        beta = center ? rest.popFirst() : nil
        if !weights.isEmpty { channels = count }
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
        let channelAxis = try channelAxis(rank: input.rank)
        let count = input.shape[channelAxis], perGroup = count / groups
        let inner = input.shape[(channelAxis + 1)...].reduce(1, *), batch = input.shape[0]
        let outer = input.shape[1..<channelAxis].reduce(1, *)
        // The statistic (sample, group) of each value.
        func statistic(_ i: Int) -> Int { (i / (outer * count * inner)) * groups + (i / inner % count) / perGroup }
        func channel(_ i: Int) -> Int { i / inner % count }
        let n = Double(input.scalarCount / max(batch * groups, 1))
        var sums = [Double](repeating: 0, count: batch * groups), squares = sums
        for (i, v) in input.scalars.enumerated() { sums[statistic(i)] += Double(v) }
        let means = sums.map { $0 / n }
        for (i, v) in input.scalars.enumerated() { squares[statistic(i)] += (Double(v) - means[statistic(i)]) * (Double(v) - means[statistic(i)]) }
        let inverses = squares.map { 1 / ($0 / n + epsilon).squareRoot() }
        let gammas = gamma?.scalars, betas = beta?.scalars
        let hat = input.scalars.enumerated().map { i, v in (Double(v) - means[statistic(i)]) * inverses[statistic(i)] }
        let output = try Tensor(shape: input.shape, scalars: hat.enumerated().map { i, h in
            Scalar(h * Double(gammas?[channel(i)] ?? 1) + Double(betas?[channel(i)] ?? 0))
        })
        guard let g = outputGradient?.scalars else { return (output, nil, []) }
        var dGamma = [Double](repeating: 0, count: count), dBeta = dGamma
        var meanDHat = [Double](repeating: 0, count: batch * groups), meanDHatHat = meanDHat
        let dHat = g.enumerated().map { i, gi in Double(gi) * Double(gammas?[channel(i)] ?? 1) }
        for i in g.indices {
            dGamma[channel(i)] += Double(g[i]) * hat[i]
            dBeta[channel(i)] += Double(g[i])
            meanDHat[statistic(i)] += dHat[i] / n
            meanDHatHat[statistic(i)] += dHat[i] * hat[i] / n
        }
        let dx = g.indices.map { i in
            Scalar(inverses[statistic(i)] * (dHat[i] - meanDHat[statistic(i)] - hat[i] * meanDHatHat[statistic(i)]))
        }
        var weights = [Tensor<Scalar>]()
        if scale { weights.append(try Tensor(shape: [count], scalars: dGamma.map { Scalar($0) })) }
        if center { weights.append(try Tensor(shape: [count], scalars: dBeta.map { Scalar($0) })) }
        return (output, try Tensor(shape: input.shape, scalars: dx), weights)
    }
}
