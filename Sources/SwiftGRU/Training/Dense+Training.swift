extension Dense: LogitsProducing {
    public var weightRegularizers: [Regularizer?] { [kernelRegularizer] + (useBias ? [biasRegularizer] : []) }
    public var weightConstraints: [Constraint?] { [kernelConstraint] + (useBias ? [biasConstraint] : []) }

    var outputActivation: Activation { activation }
    var recordedLogits: Tensor<Scalar>? { records.last?.logits }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let logits = try self.logits(input)
        let output = try activation.apply(to: logits)
        records.append((input, logits, output))
        activityLoss = activityPenalty(activityRegularizer, outputs: [output]).loss
        return LayerOutput(output, mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        guard let record = records.last else {
            throw LayerError(.unsupported, "layer '\(name)': backward without a recorded forward pass")
        }
        var g = try gradient(outputGradients, 0, shape: record.output.shape)
        if let extra = activityPenalty(activityRegularizer, outputs: [record.output]).gradients[0] { g = try g.adding(extra) }
        return try backward(logitsGradient: activation.gradient(input: record.logits, output: record.output, outputGradient: g))
    }

    func backward(logitsGradient: Tensor<Scalar>) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        guard let kernel, logitsGradient.shape == record.logits.shape else {
            throw LayerError(.invalidInputShape, "\(name): gradient shape \(logitsGradient.shape) does not match the output \(record.logits.shape)")
        }
        let features = kernel.shape[0]
        let rows = record.input.scalarCount / Swift.max(features, 1)
        let x = try record.input.reshaped(to: [rows, features])
        let g = try logitsGradient.reshaped(to: [rows, units])
        // dW = x^T g, db = sum of g over rows, dx = g W^T.
        let dKernel = try x.transposed([1, 0]).matmul(g)
        let dInput = try g.matmul(kernel.transposed([1, 0])).reshaped(to: record.input.shape)
        var weights = [dKernel]
        if useBias { weights.append(try biasGradient(g, width: units)) }
        return LayerGradients(input: dInput, weights: weights)
    }

    public func clearRecords() { records.removeAll() }
}
