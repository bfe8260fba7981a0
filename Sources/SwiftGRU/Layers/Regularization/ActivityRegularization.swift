/// The identity that adds `l1 * sum(|x|) + l2 * sum(x²)` (divided by the batch size) to the
/// training loss (Keras' `ActivityRegularization`).
public final class ActivityRegularization<Scalar: TensorScalar>: ShapePreservingLayer {
    public let l1: Double
    public let l2: Double
    public var name: String
    public var trainable = true
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []
    public private(set) var activityLoss: Scalar = 0

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` for negative or non-finite factors.
    public init(l1: Double = 0, l2: Double = 0, name: String? = nil) throws {
        guard l1 >= 0, l2 >= 0, l1.isFinite, l2.isFinite else {
            throw LayerError(.invalidArgument, "ActivityRegularization: l1 and l2 must be non-negative, got \(l1) and \(l2)")
        }
        self.l1 = l1
        self.l2 = l2
        self.name = name ?? "activity_regularization"
    }

    private var regularizer: Regularizer? { l1 == 0 && l2 == 0 ? nil : .l1l2(l1: l1, l2: l2) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input, mask: mask)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        records.append(input)
        activityLoss = activityPenalty(regularizer, outputs: [input]).loss
        return LayerOutput(input, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: input.shape)
        return LayerGradients(input: try sum(g, activityPenalty(regularizer, outputs: [input]).gradients[0]))
    }

    public func clearRecords() { records.removeAll() }
}

extension ActivityRegularization {
    public var stepScope: StepScope { .eachStep }
}
