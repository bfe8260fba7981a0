/// Builds `(batch, newSteps, features)` from a `(batch, steps, features)` input, each new step
/// a copy of the input step `source(newStep)` or zeros where it is `nil`.
func rearrangeSteps<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, steps newSteps: Int, layer: String, source: (Int) -> Int?
) throws -> Tensor<Scalar> {
    guard input.rank == 3 else {
        throw LayerError(.invalidInputShape, "\(layer): expects input of rank 3 (batch, steps, features), got shape \(input.shape)")
    }
    let (batch, steps, features) = (input.shape[0], input.shape[1], input.shape[2])
    let count = try WeightLimits.scalarCount(of: [batch, newSteps, features])
    var values = [Scalar](repeating: 0, count: count)
    for b in 0..<batch {
        for t in 0..<newSteps {
            guard let s = source(t), s >= 0, s < steps else { continue }
            let from = (b * steps + s) * features, to = (b * newSteps + t) * features
            for f in 0..<features { values[to + f] = input.scalars[from + f] }
        }
    }
    return try Tensor(shape: [batch, newSteps, features], scalars: values)
}

/// The gradient of ``rearrangeSteps(_:steps:layer:source:)``: each new step's gradient added
/// to the input step it was copied from, giving `(batch, steps, features)`.
func rearrangeStepsBackward<Scalar: TensorScalar>(
    _ outputGradient: Tensor<Scalar>, steps: Int, layer: String, source: (Int) -> Int?
) throws -> Tensor<Scalar> {
    guard outputGradient.rank == 3 else {
        throw LayerError(.invalidInputShape, "\(layer): the output gradient must have rank 3, got shape \(outputGradient.shape)")
    }
    let (batch, newSteps, features) = (outputGradient.shape[0], outputGradient.shape[1], outputGradient.shape[2])
    var values = [Scalar](repeating: 0, count: try WeightLimits.scalarCount(of: [batch, steps, features]))
    for b in 0..<batch {
        for t in 0..<newSteps {
            guard let s = source(t), s >= 0, s < steps else { continue }
            let from = (b * newSteps + t) * features, to = (b * steps + s) * features
            for f in 0..<features { values[to + f] += outputGradient.scalars[from + f] }
        }
    }
    return try Tensor(shape: [batch, steps, features], scalars: values)
}

/// Checks a `(before, after)` pair of non-negative step counts.
func stepPair(_ pair: (Int, Int), _ argument: String, layer: String) throws -> (Int, Int) {
    guard pair.0 >= 0, pair.1 >= 0, pair.0 <= 1 << 24, pair.1 <= 1 << 24 else {
        throw LayerError(.invalidArgument, "\(layer): \(argument) must be non-negative, got (\(pair.0), \(pair.1))")
    }
    return pair
}

/// Checks a rank-3 shape and returns its step axis.
func stepsAxis(_ shape: [Int?], layer: String) throws -> Int? {
    guard shape.count == 3 else {
        throw LayerError(.invalidInputShape, "\(layer): expects input of rank 3 (batch, steps, features), got shape \(describe(shape))")
    }
    return shape[1]
}
