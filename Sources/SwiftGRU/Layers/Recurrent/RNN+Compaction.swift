internal import GRUMath

/// A right-padded batch stepped through an LSTM or SimpleRNN cell: each step computes only the
/// sequences still running (and, when fewer than five run, the first others with them, so that
/// no product has fewer than five rows and every row runs on the same kernels as in the whole
/// batch), forwards and backwards. A masked step's gradients are zero, so the weight gradients
/// sum the same values in the same order with the zeros left out: the results are the bits of
/// stepping every row (`CompactionTests` in SwiftGRUTests).
struct RunningRows {
    /// The fewest rows a step computes (the batch's, when smaller).
    static var minimumRows: Int { 5 }

    /// The unmasked length of each sequence.
    let lengths: [Int]

    /// The rows a step at input time `t` computes, ascending; empty when none runs.
    func rows(at t: Int) -> [Int] {
        var rows = lengths.indices.filter { lengths[$0] > t }
        guard !rows.isEmpty, rows.count < Self.minimumRows else { return rows }
        let others = lengths.indices.filter { lengths[$0] <= t }.prefix(Self.minimumRows - rows.count)
        rows = (rows + others).sorted()
        return rows
    }

    /// Whether each of `rows` runs at input time `t`.
    func keeps(_ rows: [Int], at t: Int) -> [Bool] { rows.map { lengths[$0] > t } }
}

extension RNN {
    /// The running rows of a call over `inputs` masked by `mask`, when its steps run compacted:
    /// a right-padded mask with a sequence shorter than the steps, an LSTM or SimpleRNN cell
    /// without dropout masks, and a shape whose weight gradients sum a step's rows in one chain
    /// in every kernel (at most 512 rows, one panel of the products; at least two features and
    /// units, as the one-row product sums even and odd rows apart).
    func runningRows(_ inputs: Tensor<Scalar>, mask: Tensor<Bool>?) -> RunningRows? {
        guard GRUSequence.compactsPaddedBatches, let mask, inputs.rank == 3,
              cell is LSTMCell<Scalar> || cell is SimpleRNNCell<Scalar>,
              let differentiable = cell as? any DifferentiableRecurrentCell<Scalar>,
              differentiable.dropoutMasks.allSatisfy({ $0 == nil }) else { return nil }
        let batch = timeMajor ? inputs.shape[1] : inputs.shape[0], steps = timeMajor ? inputs.shape[0] : inputs.shape[1]
        guard (RunningRows.minimumRows...512).contains(batch), inputs.shape[2] >= 2, cell.outputSize >= 2,
              let lengths = GRUSequence.rightPaddedLengths(mask.scalars, batch: batch, steps: steps) else { return nil }
        return RunningRows(lengths: lengths)
    }

    /// One step of the cell over `rows` of the batch: the new output and states, the rows that
    /// do not run at `t` carried over as the mask says.
    func stepRows(
        _ rows: [Int], of running: RunningRows, at t: Int, input x: Tensor<Scalar>, states: [Tensor<Scalar>],
        previous: Tensor<Scalar>, training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], stepInput: Tensor<Scalar>, stepStates: [Tensor<Scalar>]) {
        let carried = zeroOutputForMask ? Tensor(zeros: previous.shape) : previous
        guard !rows.isEmpty else { return (carried, states, x, states) }
        let stepInput = try x.rows(rows), stepStates = try states.map { try $0.rows(rows) }
        let (output, newStates) = try cell.step(stepInput, states: stepStates, constants: [], training: training)
        guard output.shape == [rows.count, cell.outputSize], newStates.count == states.count else {
            throw LayerError(.invalidInputShape, "\(name): the cell returned output \(output.shape) and \(newStates.count) states; expected [\(rows.count), \(cell.outputSize)] and \(states.count)")
        }
        let keep = running.keeps(rows, at: t)
        return (
            try carried.replacingRows(rows, with: output, where: keep),
            try zip(states, newStates).map { try $0.replacingRows(rows, with: $1, where: keep) },
            stepInput, stepStates)
    }
}

extension Tensor {
    /// The entries `rows` along the first axis, in that order.
    func rows(_ rows: [Int]) throws -> Tensor {
        guard rank >= 1, rows.allSatisfy({ (0..<shape[0]).contains($0) }) else {
            throw TensorError("rows \(rows) are out of range for shape \(shape)")
        }
        let width = shape.dropFirst().reduce(1, *)
        var values = [Scalar]()
        values.reserveCapacity(rows.count * width)
        for r in rows { values += scalars[(r * width)..<((r + 1) * width)] }
        return Tensor(uncheckedShape: [rows.count] + shape.dropFirst(), scalars: values)
    }

    /// A copy whose row `rows[i]` is row `i` of `values` wherever `keep[i]`.
    func replacingRows(_ rows: [Int], with values: Tensor, where keep: [Bool]) throws -> Tensor {
        let width = shape.dropFirst().reduce(1, *)
        guard rank >= 1, values.shape == [rows.count] + shape.dropFirst(), keep.count == rows.count,
              rows.allSatisfy({ (0..<shape[0]).contains($0) }) else {
            throw TensorError("cannot place rows of shape \(values.shape) at \(rows) of shape \(shape)")
        }
        var result = self
        result.withUnsafeMutableBufferPointer { target in
            values.withUnsafeBufferPointer { source in
                for (i, r) in rows.enumerated() where keep[i] {
                    for j in 0..<width { target[r * width + j] = source[i * width + j] }
                }
            }
        }
        return result
    }
}
