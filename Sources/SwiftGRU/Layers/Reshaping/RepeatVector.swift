/// Repeats a `(batch, features)` input `n` times into `(batch, n, features)` (Keras' `RepeatVector`).
public final class RepeatVector<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// How many times the input is repeated.
    public let n: Int

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `n` is not positive.
    public init(n: Int, name: String? = nil) throws {
        guard n > 0, n <= 1 << 24 else { throw LayerError(.invalidArgument, "RepeatVector: n must be a positive integer, got \(n)") }
        self.n = n
        super.init(name: name ?? "repeat_vector")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 2 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 2 (batch, features), got shape \(describe(inputShape))")
        }
        return [inputShape[0], n, inputShape[1]]
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        _ = try outputShape(forInputShape: optionalShape(input.shape))
        let (batch, features) = (input.shape[0], input.shape[1])
        _ = try WeightLimits.scalarCount(of: [batch, n, features])
        var values = [Scalar]()
        values.reserveCapacity(batch * n * features)
        for b in 0..<batch {
            let row = input.scalars[(b * features)..<((b + 1) * features)]
            for _ in 0..<n { values.append(contentsOf: row) }
        }
        return try Tensor(shape: [batch, n, features], scalars: values)
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        let (batch, features) = (inputShape[0], inputShape[1])
        var values = [Scalar](repeating: 0, count: batch * features)
        for b in 0..<batch {
            for r in 0..<n {
                for f in 0..<features { values[b * features + f] += outputGradient.scalars[(b * n + r) * features + f] }
            }
        }
        return try Tensor(shape: inputShape, scalars: values)
    }
}
