/// Randomly zeroes inputs in training and scales the rest by `1 / (1 - rate)`
/// (Keras' `Dropout`); the identity in inference.
public final class Dropout<Scalar: TensorScalar>: Layer {
    /// The fraction of inputs dropped.
    public let rate: Double
    /// The shape of the mask, `nil` entries taken from the input (Keras' `noise_shape`).
    public let noiseShape: [Int?]?
    /// Seed of the masks; `nil` draws one from `GlobalRandom`.
    public let seed: UInt64?
    public var name: String
    public var trainable = true
    private var generator: RandomGenerator
    /// Recorded calls: the scaling applied to each element.
    var records: [Tensor<Scalar>] = []

    /// Creates a dropout layer.
    ///
    /// - Throws: ``LayerError`` when `rate` is outside `[0, 1)`.
    public init(rate: Double, noiseShape: [Int?]? = nil, seed: UInt64? = nil, name: String? = nil) throws {
        try checkRate(rate, "rate", layer: "Dropout")
        self.rate = rate
        self.noiseShape = noiseShape
        self.seed = seed
        self.name = name ?? "dropout"
        self.generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        guard training, rate > 0 else { return LayerOutput(input, mask: mask) }
        return LayerOutput(try scaling(for: input).combined(with: input, *), mask: mask)
    }

    /// The factor for each element of `input`: 0 or `1 / (1 - rate)`, broadcast from the noise shape.
    func scaling(for input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        var shape = input.shape
        if let noiseShape {
            guard noiseShape.count == input.rank else {
                throw LayerError(.invalidInputShape, "\(name): noise_shape \(describe(noiseShape)) does not fit input shape \(input.shape)")
            }
            shape = zip(noiseShape, input.shape).map { $0 ?? $1 }
            guard zip(shape, input.shape).allSatisfy({ $0 == $1 || $0 == 1 }) else {
                throw LayerError(.invalidInputShape, "\(name): noise_shape \(describe(noiseShape)) does not broadcast to \(input.shape)")
            }
        }
        let noise: Tensor<Scalar> = dropoutMask(shape: shape, rate: rate, generator: &generator)
        var output = Tensor<Scalar>(repeating: 1, shape: input.shape)
        let strides = Self.strides(shape)
        let inputStrides = Self.strides(input.shape)
        output.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                // Broadcast the mask over axes where its extent is 1.
                var rest = i, index = 0
                for axis in 0..<shape.count {
                    let coordinate = rest / inputStrides[axis]
                    rest %= inputStrides[axis]
                    if shape[axis] != 1 { index += coordinate * strides[axis] }
                }
                buffer[i] *= noise.scalars[index]
            }
        }
        return output
    }

    private static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }
}

extension Dropout {
    public var stepScope: StepScope { .eachStep }
}
