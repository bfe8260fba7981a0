/// Marks timesteps whose features all equal `maskValue` as skipped, and zeroes
/// them (Keras' `Masking`).
public final class Masking<Scalar: TensorScalar>: Layer {
    /// The value that marks padding.
    public let maskValue: Scalar
    public var name: String
    public var trainable = true
    /// Recorded calls: which rows were kept.
    var records: [Tensor<Bool>] = []

    /// Creates a masking layer.
    public init(maskValue: Scalar = 0, name: String? = nil) {
        self.maskValue = maskValue
        self.name = name ?? "masking"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    /// The mask `(batch, steps)`: `true` where some feature differs from `maskValue`.
    ///
    /// - Throws: ``LayerError`` when the input has fewer than two axes.
    public func computeMask(_ input: Tensor<Scalar>) throws -> Tensor<Bool> {
        guard input.rank >= 2 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 2 or more, got shape \(input.shape)")
        }
        let width = input.shape[input.rank - 1]
        let rows = input.scalarCount / Swift.max(width, 1)
        var values = [Bool](repeating: false, count: rows)
        for r in 0..<rows {
            for j in 0..<width where input.scalars[r * width + j] != maskValue {
                values[r] = true
                break
            }
        }
        return try Tensor(shape: Array(input.shape.dropLast()), scalars: values)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let newMask = try computeMask(input)
        let width = input.shape[input.rank - 1]
        var output = input
        output.withUnsafeMutableBufferPointer { buffer in
            for (r, keep) in newMask.scalars.enumerated() where !keep {
                for j in 0..<width { buffer[r * width + j] = 0 }
            }
        }
        return LayerOutput(output, mask: newMask)
    }
}

extension Masking {
    public var stepScope: StepScope { .eachStep }
}
