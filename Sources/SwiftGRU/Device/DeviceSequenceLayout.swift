internal import GRUMath
import GRUTensor

/// How a Keras call (mask, `go_backwards`, time-major) maps onto the packed rows a device
/// runs: each row's unmasked steps, in processing order, moved to the front.
///
/// Keras skips a masked step: the state is carried over and the output repeats the previous
/// one (zeros before the first unmasked step, or always zeros with `zero_output_for_mask`).
/// Running only the unmasked steps and spreading the outputs back gives exactly that, for
/// every mask pattern.
struct DeviceSequenceLayout: Sendable {
    let batch: Int
    let steps: Int
    let timeMajor: Bool
    let goBackwards: Bool
    /// `batch * steps` values, or `nil` when every step counts.
    private let mask: [Bool]?
    /// Unmasked steps of each row.
    let lengths: [Int32]
    /// The longest row: the packed sequences' step count.
    let packedSteps: Int

    /// - Returns: `nil` when a row has no unmasked step (no device runs an empty sequence).
    init?(batch: Int, steps: Int, mask: Tensor<Bool>?, goBackwards: Bool, timeMajor: Bool) {
        self.batch = batch
        self.steps = steps
        self.timeMajor = timeMajor
        self.goBackwards = goBackwards
        self.mask = mask?.scalars
        var lengths = [Int32]()
        for b in 0..<batch {
            let count = mask.map { mask in (0..<steps).reduce(0) { $0 + (mask.scalars[b * steps + $1] ? 1 : 0) } } ?? steps
            guard count > 0, let length = Int32(exactly: count) else { return nil }
            lengths.append(length)
        }
        guard batch > 0, steps > 0 else { return nil }
        self.lengths = lengths
        packedSteps = Int(lengths.max() ?? 0)
    }

    /// The input step read at processing position `p`.
    private func time(_ p: Int) -> Int { goBackwards ? steps - 1 - p : p }

    private func isValid(_ b: Int, _ p: Int) -> Bool { mask?[b * steps + time(p)] ?? true }

    /// Index of `(b, t)` in a Keras sequence tensor.
    private func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }

    /// Index of row `b`'s packed step `k` (packed sequences are step-major).
    private func packedRow(_ b: Int, _ k: Int) -> Int { k * batch + b }

    /// Calls `body(b, p, k)` for every processing position, with `k` the packed step whose
    /// output Keras shows there (`nil` before the first unmasked step) and whether `p` itself runs.
    private func walk(_ body: (_ b: Int, _ p: Int, _ k: Int?, _ runs: Bool) -> Void) {
        for b in 0..<batch {
            var k = -1
            for p in 0..<steps {
                let runs = isValid(b, p)
                if runs { k += 1 }
                body(b, p, k >= 0 ? k : nil, runs)
            }
        }
    }

    /// The inputs as packed rows, each multiplied by its input-dropout mask `(batch, features)`.
    func pack<S: TensorScalar>(_ inputs: Tensor<S>, dropout: Tensor<S>?) -> PackedSequences<S> {
        let f = inputs.shape[2]
        var packed = [S](repeating: 0, count: batch * packedSteps * f)
        let x = inputs.scalars, scale = dropout?.scalars
        walk { b, p, k, runs in
            guard runs, let k else { return }
            let source = row(b, time(p)) * f, target = packedRow(b, k) * f
            for i in 0..<f { packed[target + i] = x[source + i] * (scale?[b * f + i] ?? 1) }
        }
        return PackedSequences(values: packed, batch: batch, steps: packedSteps, width: f, lengths: lengths)
    }

    /// Keras' output from the packed outputs: the sequence in processing order, or the last output.
    func unpackOutput<S: TensorScalar>(
        _ packed: [S], units u: Int, returnSequences: Bool, zeroOutputForMask: Bool
    ) throws -> Tensor<S> {
        if !returnSequences {
            var output = [S](repeating: 0, count: batch * u)
            for b in 0..<batch where !zeroOutputForMask || isValid(b, steps - 1) {
                let source = packedRow(b, Int(lengths[b]) - 1) * u
                for j in 0..<u { output[b * u + j] = packed[source + j] }
            }
            return try Tensor(shape: [batch, u], scalars: output)
        }
        var output = [S](repeating: 0, count: batch * steps * u)
        walk { b, p, k, runs in
            guard let k, runs || !zeroOutputForMask else { return }
            let source = packedRow(b, k) * u, target = row(b, p) * u
            for j in 0..<u { output[target + j] = packed[source + j] }
        }
        return try Tensor(shape: timeMajor ? [steps, batch, u] : [batch, steps, u], scalars: output)
    }

    /// The gradient of Keras' output as a gradient of the packed outputs (the transpose of
    /// ``unpackOutput(_:units:returnSequences:zeroOutputForMask:)``).
    func packOutputGradient<S: TensorScalar>(
        _ gradient: Tensor<S>?, units u: Int, returnSequences: Bool, zeroOutputForMask: Bool
    ) -> [S] {
        var packed = [S](repeating: 0, count: batch * packedSteps * u)
        guard let dY = gradient?.scalars, !dY.isEmpty else { return packed }
        if !returnSequences {
            for b in 0..<batch where !zeroOutputForMask || isValid(b, steps - 1) {
                let target = packedRow(b, Int(lengths[b]) - 1) * u
                for j in 0..<u { packed[target + j] += dY[b * u + j] }
            }
            return packed
        }
        walk { b, p, k, runs in
            guard let k, runs || !zeroOutputForMask else { return }
            let target = packedRow(b, k) * u, source = row(b, p) * u
            for j in 0..<u { packed[target + j] += dY[source + j] }
        }
        return packed
    }

    /// The packed input gradient in Keras' input layout, through the input-dropout mask
    /// (zeros at masked steps, which the output does not depend on).
    func unpackInputGradient<S: TensorScalar>(_ packed: [S], features f: Int, dropout: Tensor<S>?) throws -> Tensor<S> {
        var gradient = [S](repeating: 0, count: batch * steps * f)
        let scale = dropout?.scalars
        walk { b, p, k, runs in
            guard runs, let k else { return }
            let source = packedRow(b, k) * f, target = row(b, time(p)) * f
            for i in 0..<f { gradient[target + i] = packed[source + i] * (scale?[b * f + i] ?? 1) }
        }
        return try Tensor(shape: timeMajor ? [steps, batch, f] : [batch, steps, f], scalars: gradient)
    }
}
