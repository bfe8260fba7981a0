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

/// `gradient` plus the gradient of the activity penalty of `output` (`gradient` itself
/// without a regularizer); `output` and `gradient` have the same shape.
func addingActivityGradient<Scalar: TensorScalar>(
    _ regularizer: Regularizer?, output: Tensor<Scalar>, to gradient: Tensor<Scalar>
) throws -> Tensor<Scalar> {
    guard let extra = activityPenalty(regularizer, outputs: [output]).gradients[0] else { return gradient }
    return try gradient.adding(extra)
}
