/// Keras' activity regularization: the penalty of each output divided by its
/// first extent (the batch size), and the matching gradients.
func activityPenalty<Scalar: TensorScalar>(
    _ regularizer: Regularizer?, outputs: [Tensor<Scalar>]
) -> (loss: Scalar, gradients: [Tensor<Scalar>?]) {
    guard let regularizer else { return (0, outputs.map { _ in nil }) }
    var loss: Scalar = 0
    var gradients = [Tensor<Scalar>?]()
    for output in outputs {
        let batch = Scalar(Swift.max(output.shape.first ?? 1, 1))
        loss += regularizer.penalty(output) / batch
        gradients.append(regularizer.gradient(output).scaled(by: 1 / batch))
    }
    return (loss, gradients)
}

/// `a + b`, where `nil` is zero.
func sum<Scalar: TensorScalar>(_ a: Tensor<Scalar>?, _ b: Tensor<Scalar>?) throws -> Tensor<Scalar>? {
    guard let a else { return b }
    guard let b else { return a }
    return try a.adding(b)
}
