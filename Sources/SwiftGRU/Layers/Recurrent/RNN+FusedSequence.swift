internal import GRUMath

/// The GRU's sequence path on the CPU: whole sequences through ``GRUSequence`` (one matrix
/// product for the input projections, then the fused recurrence) instead of one cell step
/// at a time.
extension RNN {
    /// The cells as a list of GRU cells, when the cell is a GRU cell or a stack of them.
    var gruCells: [GRUCell<Scalar>]? {
        func flatten(_ cell: any RecurrentCell<Scalar>) -> [GRUCell<Scalar>]? {
            if let gru = cell as? GRUCell<Scalar> { return [gru] }
            guard let stacked = cell as? StackedRNNCells<Scalar> else { return nil }
            var cells = [GRUCell<Scalar>]()
            for child in stacked.cells {
                guard let inner = flatten(child) else { return nil }
                cells += inner
            }
            return cells
        }
        return flatten(cell)
    }

    /// Runs GRU cells over the sequence one cell at a time (the same result as stepping the
    /// stack, since each cell at step t reads only the cell below at step t), recording each
    /// cell's sequence when asked.
    func fusedSequence(
        _ cells: [GRUCell<Scalar>], _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?,
        initialStates: [Tensor<Scalar>], recording: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], sequences: [RecordedSequence<Scalar>], reversed: Bool) {
        // One cell walks backwards by itself; a stack reads the reversed sequence forwards.
        let reverse = goBackwards && cells.count > 1
        var x = reverse ? try inputs.reversed(alongAxis: timeMajor ? 0 : 1) : inputs
        let stepMask = reverse ? try mask?.reversed(alongAxis: 1) : mask
        var finals = [Tensor<Scalar>]()
        var sequences = [RecordedSequence<Scalar>]()
        for (k, cell) in cells.enumerated() {
            guard let (spec, cellWeights) = cell.parameters else {
                throw LayerError(.invalidInputShape, "\(name): the layer is not built")
            }
            let last = k == cells.count - 1
            let options = GRUSequenceOptions(
                goBackwards: goBackwards && !reverse, timeMajor: timeMajor,
                zeroOutputForMask: last && zeroOutputForMask, returnSequences: !last || returnSequences)
            let result: GRUSequenceOutput<Scalar>
            do {
                if recording {
                    let (output, tape) = try GRUSequence.forwardRecording(
                        spec: spec, weights: cellWeights, inputs: x, mask: stepMask, initialState: initialStates[k],
                        dropout: cell.dropoutMasks, options: options)
                    result = output
                    sequences.append(.cpu(tape, cellWeights))
                } else {
                    result = try GRUSequence.forward(
                        spec: spec, weights: cellWeights, inputs: x, mask: stepMask, initialState: initialStates[k],
                        dropout: cell.dropoutMasks, options: options)
                }
            } catch let error as TensorError {
                throw LayerError(.invalidInputShape, "\(name): \(error.message)")
            }
            x = result.output
            finals.append(result.finalState)
        }
        return (x, finals, sequences, reverse)
    }
}
