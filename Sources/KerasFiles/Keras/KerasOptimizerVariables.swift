import SwiftGRU

// Keras' layouts of an optimizer's state in its files: `optimizer/vars` of a `.keras` file
// (Keras 3's `optimizer.variables`) and `optimizer_weights` of a tf.keras 2 `.h5` file.

extension OptimizerState {
    /// The state as Keras lists `optimizer.variables` (and writes `optimizer/vars` in a
    /// `.keras` file): the iteration count, the learning rate when it is constant, each slot
    /// variable in Keras' creation order, and Nadam's momentum product. Empty before the
    /// first step, as Keras' unbuilt optimizer.
    public func kerasVariables(for optimizer: Optimizer, weightShapes: [[Int]]) -> [Tensor<Double>] {
        guard !slots.isEmpty, slots.count == weightShapes.count else { return [] }
        var variables = [Tensor<Double>(repeating: Double(iterations), shape: [])]
        if optimizer.learningRateSchedule == nil {
            variables.append(Tensor(repeating: Double(Float(optimizer.learningRate)), shape: []))
        }
        for group in optimizer.rule.kerasSlotGroups {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group where slot < slots[k].count {
                    variables.append(Tensor(uncheckedShape: shape, scalars: slots[k][slot].map(Double.init)))
                }
            }
        }
        if optimizer.rule.keepsMomentumProduct { variables.append(Tensor(repeating: momentumProduct, shape: [])) }
        return variables
    }

    /// The state Keras saved (`optimizer/vars`, in ``kerasVariables(for:weightShapes:)``'s
    /// order) for `optimizer` training weights of `weightShapes`.
    ///
    /// - Throws: `LayerError` when the variables do not fit the optimizer and the weights.
    public init(kerasVariables variables: [Tensor<Double>], optimizer: Optimizer, weightShapes: [[Int]]) throws {
        self.init()
        guard !variables.isEmpty else { return }
        var rest = variables[...]
        func next(_ what: String, shape: [Int]) throws -> Tensor<Double> {
            guard let variable = rest.popFirst() else {
                throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables; \(optimizer.className) needs more (\(what))")
            }
            guard variable.shape == shape || (shape.isEmpty && variable.scalarCount == 1) else {
                throw LayerError(.invalidWeights, "the saved optimizer state's \(what) has shape \(variable.shape); \(shape) was expected")
            }
            return variable
        }
        let count = try next("iteration count", shape: [])
        guard let first = count.scalars.first, first >= 0, first < 1e15, first.rounded() == first else {
            throw LayerError(.invalidWeights, "the saved optimizer state's iteration count \(count.scalars) is not a step count")
        }
        if optimizer.learningRateSchedule == nil { _ = try next("learning rate", shape: []) }
        // An optimizer saved before it was built (a model compiled, not trained) holds only
        // its step count and rate; Keras starts it afresh, and so does this.
        guard !rest.isEmpty || optimizer.rule.kerasSlotGroups.isEmpty else { return }
        iterations = Int(first)
        let initial = optimizer.rule.slotStartingValues
        var restored = weightShapes.map { shape in initial.map { [Scalar](repeating: Scalar($0), count: shape.reduce(1, *)) } }
        for group in optimizer.rule.kerasSlotGroups {
            for (k, shape) in weightShapes.enumerated() {
                for slot in group {
                    restored[k][slot] = try next("slot \(slot) of weight \(k)", shape: shape).scalars.map { Scalar($0) }
                }
            }
        }
        if optimizer.rule.keepsMomentumProduct {
            momentumProduct = try next("momentum product", shape: []).scalars[0]
        }
        guard rest.isEmpty else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables, more than \(optimizer.className) uses for these weights")
        }
        slots = restored
    }

    /// The state as a tf.keras 2 `.h5` file keeps it (`optimizer_weights`): the iteration
    /// count, then each kind of slot for every weight in turn; empty before the first step.
    ///
    /// - Throws: `LayerError` for an optimizer whose tf.keras 2 state is not written here.
    public func tfKeras2Variables(for optimizer: Optimizer, weightShapes: [[Int]]) throws -> [Tensor<Double>] {
        guard let order = optimizer.rule.tfKeras2Slots else {
            throw LayerError(.unsupported, "the state of \(optimizer.className) is not written in tf.keras 2's layout")
        }
        guard !slots.isEmpty, slots.count == weightShapes.count else { return [] }
        var variables = [Tensor<Double>(repeating: Double(iterations), shape: [])]
        for slot in order {
            for (k, shape) in weightShapes.enumerated() where slot < slots[k].count {
                variables.append(Tensor(uncheckedShape: shape, scalars: slots[k][slot].map(Double.init)))
            }
        }
        return variables
    }

    /// The state a tf.keras 2 `.h5` file saved (`optimizer_weights`, in
    /// ``tfKeras2Variables(for:weightShapes:)``'s order), read as tf.keras reads it: a Keras
    /// 2.0-2.2 RMSprop saved no iteration count (it starts from 0), and the `vhat` slots a
    /// Keras 2.0-2.2 Adam kept without amsgrad are left out.
    ///
    /// - Throws: `LayerError` when the variables do not fit the optimizer and the weights, or
    ///   the optimizer's tf.keras 2 state is not read here.
    public init(tfKeras2Variables variables: [Tensor<Double>], optimizer: Optimizer, weightShapes: [[Int]]) throws {
        self.init()
        guard !variables.isEmpty else { return }
        guard let order = optimizer.rule.tfKeras2Slots else {
            throw LayerError(.unsupported, "the saved state of a tf.keras 2 \(optimizer.className) is not read here")
        }
        let n = weightShapes.count
        var values = variables
        if values.count == order.count * n { values.insert(Tensor(repeating: 0, shape: []), at: 0) }
        let unread = optimizer.rule.tfKeras2UnreadSlots
        if unread > 0, values.count == (order.count + unread) * n + 1 { values.removeLast(unread * n) }
        guard values.count == order.count * n + 1 else {
            throw LayerError(.invalidWeights, "the saved optimizer state has \(variables.count) variables; \(optimizer.className) keeps \(order.count * n + 1) for \(n) weights")
        }
        guard let first = values[0].scalars.first, values[0].scalarCount == 1, first >= 0, first < 1e15, first.rounded() == first else {
            throw LayerError(.invalidWeights, "the saved optimizer state's iteration count \(values[0].scalars) is not a step count")
        }
        let initial = optimizer.rule.slotStartingValues
        var restored = weightShapes.map { shape in initial.map { [Scalar](repeating: Scalar($0), count: shape.reduce(1, *)) } }
        var index = 1
        for slot in order {
            for (k, shape) in weightShapes.enumerated() {
                guard values[index].shape == shape else {
                    throw LayerError(.invalidWeights, "the saved optimizer state's slot \(slot) of weight \(k) has shape \(values[index].shape); \(shape) was expected")
                }
                restored[k][slot] = values[index].scalars.map { Scalar($0) }
                index += 1
            }
        }
        iterations = Int(first)
        slots = restored
    }
}

extension Trainer {
    /// The optimizer's state as Keras saves it with a model (`optimizer/vars`), so that
    /// training can go on from a file where it stopped; empty before the first step.
    public var kerasOptimizerVariables: [Tensor<Double>] {
        optimizerState.kerasVariables(for: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// Continues from the optimizer state Keras saved with the model (`optimizer/vars` of a
    /// `.keras` file, ``KerasModelFile/optimizerVariables``): momentums, velocities, the step
    /// count and, for a constant rate, the learning rate (which a callback such as
    /// `ReduceLROnPlateau` may have lowered), so that the next steps are the ones Keras would take.
    ///
    /// - Throws: `LayerError` when the state does not fit this optimizer and model.
    public func restoreOptimizerState(kerasVariables: [Tensor<Double>]) throws {
        optimizerState = try OptimizerState(
            kerasVariables: kerasVariables, optimizer: optimizer, weightShapes: trainableWeights.map(\.shape))
        if optimizer.learningRateSchedule == nil, kerasVariables.count > 1, let rate = kerasVariables[1].scalars.first {
            guard rate.isFinite, rate >= 0 else {
                throw LayerError(.invalidWeights, "the saved optimizer state's learning rate \(rate) is not a rate")
            }
            optimizer.learningRate = rate
        }
    }

    /// The optimizer's state as a tf.keras 2 `.h5` file keeps it (`optimizer_weights`); empty
    /// before the first step.
    ///
    /// - Throws: `LayerError` for an optimizer whose tf.keras 2 state is not written here.
    public func tfKeras2OptimizerVariables() throws -> [Tensor<Double>] {
        try optimizerState.tfKeras2Variables(for: optimizer, weightShapes: trainableWeights.map(\.shape))
    }

    /// Continues from the optimizer state a tf.keras 2 `.h5` file saved (`optimizer_weights`),
    /// as tf.keras does when it loads the file.
    ///
    /// - Throws: `LayerError` when the state does not fit this optimizer and model.
    public func restoreOptimizerState(tfKeras2Variables: [Tensor<Double>]) throws {
        optimizerState = try OptimizerState(
            tfKeras2Variables: tfKeras2Variables, optimizer: optimizer, weightShapes: trainableWeights.map(\.shape))
    }
}
