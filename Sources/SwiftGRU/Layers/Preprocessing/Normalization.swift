/// Standardizes its input with a mean and variance (Keras' preprocessing `Normalization`):
/// `(x - mean) / max(sqrt(variance), 1e-7)`, or with `invert` the way back,
/// `mean + x * max(sqrt(variance), 1e-7)`. The mean and variance are per position of the
/// kept axes (`axis`, the last by default) and shared along the others: adapted ones are the
/// layer's weights (mean, variance and Keras' sample count), given ones are arguments. The mask
/// passes through; training leaves them as they are, as Keras does.
public final class Normalization<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// The kept axes (negative ones count from the end).
    public let axis: [Int]
    public let invert: Bool
    /// The mean and variance given as arguments (one value, or one per kept position); `nil`
    /// when they are the adapted weights.
    public let givenMean: [Double]?, givenVariance: [Double]?
    public var name: String
    public var trainable = true
    /// The adapted mean, variance and count, once built (none with given ones).
    private var adapted: [Tensor<Scalar>] = []
    /// The extents of the kept axes, once built: the shape of the mean and variance.
    public private(set) var keptShape: [Int]?
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when only one of `mean` and `variance` is given, or they differ
    ///   in length.
    public init(axis: [Int] = [-1], mean: [Double]? = nil, variance: [Double]? = nil, invert: Bool = false, name: String? = nil) throws {
        guard (mean == nil) == (variance == nil), mean?.count == variance?.count, mean?.isEmpty != true else {
            throw LayerError(.invalidArgument, "Normalization: give both mean and variance, of one length, or neither")
        }
        self.axis = axis
        self.givenMean = mean
        self.givenVariance = variance
        self.invert = invert
        self.name = name ?? "normalization"
    }

    /// The kept axes, positive, for an input of `rank` axes.
    private func kept(rank: Int) throws -> [Int] {
        try axis.map { a in
            let resolved = a < 0 ? a + rank : a
            guard resolved >= 1, resolved < rank else { throw LayerError(.invalidArgument, "\(name): axis \(a) does not fit an input of rank \(rank)") }
            return resolved
        }.sorted()
    }

    public var isBuilt: Bool { keptShape != nil }

    public func build(inputShape: [Int?]) throws {
        let shape = try kept(rank: inputShape.count).map { axis -> Int in
            guard let extent = inputShape[axis] else { throw LayerError(.invalidInputShape, "\(name): kept axis \(axis) of the input must be known") }
            return extent
        }
        if let keptShape {
            guard keptShape == shape else { throw LayerError(.invalidInputShape, "\(name): built for kept axes of \(keptShape), got \(shape)") }
            return
        }
        let positions = shape.reduce(1, *)
        if let givenMean, givenMean.count != 1, givenMean.count != positions {
            throw LayerError(.invalidInputShape, "\(name): \(givenMean.count) mean values for kept axes of \(shape)")
        }
        keptShape = shape
        if givenMean == nil { adapted = [Tensor(zeros: shape), Tensor(repeating: 1, shape: shape), Tensor(zeros: [])] }
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }

    public var weights: [Tensor<Scalar>] { adapted }
    public var trainableWeightCount: Int { 0 }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard givenMean == nil else { return try checkWeights(weights, expected: []) }
        guard let keptShape else { throw LayerError(.invalidWeights, "\(name): build the layer before setting its weights") }
        try checkWeights(weights, expected: [keptShape, keptShape, []])
        adapted = weights
    }

    /// Each value's mean and `max(sqrt(variance), 1e-7)`.
    private func statistics(_ shape: [Int]) throws -> (mean: [Scalar], spread: [Scalar], index: [Int]) {
        try build(inputShape: optionalShape(shape))
        let axes = try kept(rank: shape.count)
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let index = (0..<shape.reduce(1, *)).map { i in axes.reduce(0) { $0 * shape[$1] + (i / strides[$1]) % shape[$1] } }
        let mean = givenMean.map { $0.map { Scalar($0) } } ?? adapted[0].scalars
        let variance = givenVariance.map { $0.map { Scalar($0) } } ?? adapted[1].scalars
        let spread = variance.map { Swift.max($0.squareRoot(), Scalar(1e-7)) }
        return (mean, spread, index)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (mean, spread, index) = try statistics(input.shape)
        func at(_ values: [Scalar], _ i: Int) -> Scalar { values.count == 1 ? values[0] : values[index[i]] }
        var output = input
        output.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                values[i] = invert ? at(mean, i) + values[i] * at(spread, i) : (values[i] - at(mean, i)) / at(spread, i)
            }
        }
        return LayerOutput(output, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let shape = try popRecord(&records, layer: name).shape
        let (_, spread, index) = try statistics(shape)
        var g = try gradient(outputGradients, 0, shape: shape)
        g.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let s = spread.count == 1 ? spread[0] : spread[index[i]]
                values[i] = invert ? values[i] * s : values[i] / s
            }
        }
        return LayerGradients(input: g)
    }
}

extension Normalization {
    public var stepScope: StepScope {
        axis.contains(1) ? .acrossSteps("has a mean and variance per step position") : .eachStep
    }
}
